"""A real ngircd on 127.0.0.1, for tests and demos that must talk to an actual IRC server.

The config is written to a private temp dir with the flood penalty off and the per-IP and
per-user limits lifted (notes §2.1); the server counts as ready once a probe client is welcomed
with 001, not merely when the port opens. Usable as ``async with run_ngircd() as server`` and
``with run_ngircd() as server``; ``stop()`` and ``start()`` again keep the same port, so
reconnection can be tested.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Self

__all__ = ["NgircdNotFoundError", "NgircdServer", "find_ngircd", "free_port", "run_ngircd"]

INSTALL_HINT = "apt-get install ngircd (or run `make test`, which installs it)"

_CONFIG = """\
[Global]
\tName = {name}
\tInfo = Presence test server
\tAdminInfo1 = test
\tAdminInfo2 = test
\tAdminEMail = test@localhost
\tListen = {host}
\tPorts = {port}
\tMotdPhrase = "test"
[Limits]
\tMaxConnections = 0
\tMaxConnectionsIP = 0
\tMaxJoins = 0
\tMaxNickLength = 30
\tMaxPenaltyTime = 0
\tPingTimeout = 120
\tPongTimeout = 20
[Options]
\tIncludeDir = {include_dir}
\tDNS = no
\tIdent = no
\tPAM = no
\tOperCanUseMode = yes
[Operator]
\tName = {oper_name}
\tPassword = {oper_password}
"""


class NgircdNotFoundError(RuntimeError):
    """ngircd is not installed; the message says how to install it."""


def find_ngircd() -> str:
    """Locate the ngircd binary (it lives in /usr/sbin, often not on a user's PATH).

    Raises:
        NgircdNotFoundError: with the install hint.
    """
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin", "/sbin"])
    found = shutil.which("ngircd", path=search)
    if found is None:
        raise NgircdNotFoundError(f"ngircd is not installed: {INSTALL_HINT}")
    return found


def free_port(host: str = "127.0.0.1") -> int:
    """Pick a currently free TCP port (racy by nature; ``start`` retries once on a clash)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _probe(host: str, port: int, timeout: float) -> bool:
    """Register a throwaway client; True once the server sends 001."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            sock = socket.create_connection((host, port), timeout=1.0)
        except OSError:
            time.sleep(0.01)
            continue
        with sock:
            try:
                sock.sendall(b"NICK readyprobe\r\nUSER probe 0 * :probe\r\n")
                buffer = b""
                while b" 001 " not in buffer:
                    sock.settimeout(max(0.05, deadline - time.monotonic()))
                    data = sock.recv(4096)
                    if not data:
                        break
                    buffer += data
                if b" 001 " in buffer:
                    sock.sendall(b"QUIT\r\n")
                    return True
            except OSError:
                pass
        time.sleep(0.02)
    return False


async def _aprobe(host: str, port: int, timeout: float) -> bool:
    """The asyncio twin of :func:`_probe`, so an async caller's loop keeps running."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            async with asyncio.timeout(max(0.05, deadline - time.monotonic())):
                reader, writer = await asyncio.open_connection(host, port)
                try:
                    writer.write(b"NICK readyprobe\r\nUSER probe 0 * :probe\r\n")
                    await writer.drain()
                    while line := await reader.readline():
                        if b" 001 " in line:
                            writer.write(b"QUIT\r\n")
                            await writer.drain()
                            return True
                finally:
                    writer.close()
        except (OSError, TimeoutError):
            pass
        await asyncio.sleep(0.02)
    return False


class NgircdServer:
    """One ngircd process on ``host``:``port`` with its own temp dir, restartable on that port."""

    def __init__(
        self,
        port: int | None = None,
        *,
        host: str = "127.0.0.1",
        name: str = "irc.test.local",
        oper_name: str = "oper",
        oper_password: str = "operpw",
    ) -> None:
        self.executable = find_ngircd()
        self.host = host
        self.name = name
        self.oper_name = oper_name
        self.oper_password = oper_password
        self._fixed_port = port is not None
        self.port = port if port is not None else free_port(host)
        self.dir = Path(tempfile.mkdtemp(prefix="presence-ngircd-"))
        # ngircd drops to "nobody" when started as root; it must still read its config.
        self.dir.chmod(0o755)
        (self.dir / "conf.d").mkdir(mode=0o755)
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def config_path(self) -> Path:
        """Where the generated ngircd.conf is written."""
        return self.dir / "ngircd.conf"

    @property
    def log_path(self) -> Path:
        """The server's combined stdout/stderr."""
        return self.dir / "ngircd.log"

    @property
    def running(self) -> bool:
        """True while the process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def _spawn(self) -> None:
        self.config_path.write_text(
            _CONFIG.format(
                name=self.name,
                host=self.host,
                port=self.port,
                include_dir=self.dir / "conf.d",
                oper_name=self.oper_name,
                oper_password=self.oper_password,
            )
        )
        self.config_path.chmod(0o644)
        self._log = self.log_path.open("ab")
        self._proc = subprocess.Popen(
            [self.executable, "--nodaemon", "--config", str(self.config_path)],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def _failed(self, attempt: int) -> bool:
        """After a failed start: clean up, and say whether to retry on a fresh port."""
        exited_early = self._proc is not None and self._proc.poll() is not None
        self.stop()
        if exited_early and not self._fixed_port and attempt == 0:
            self.port = free_port(self.host)  # the usual free-port race: pick again, once
            return True
        return False

    def _not_ready(self) -> RuntimeError:
        return RuntimeError(
            f"ngircd did not welcome a client on {self.host}:{self.port}; see {self.log_path}"
        )

    def start(self, timeout: float = 10.0) -> Self:
        """Start the server and block until a probe client is registered."""
        for attempt in range(2):
            self._spawn()
            if _probe(self.host, self.port, timeout):
                return self
            if not self._failed(attempt):
                break
        raise self._not_ready()

    async def astart(self, timeout: float = 10.0) -> Self:
        """Start the server and wait, without blocking the event loop, until it is ready."""
        for attempt in range(2):
            self._spawn()
            if await _aprobe(self.host, self.port, timeout):
                return self
            if not self._failed(attempt):
                break
        raise self._not_ready()

    def stop(self) -> int | None:
        """Terminate the server (SIGTERM, then SIGKILL after 5 s); returns its exit code."""
        code = None
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.send_signal(signal.SIGTERM)
                try:
                    self._proc.wait(5)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait()
            code = self._proc.returncode
            self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None
        return code

    def kill(self) -> None:
        """Kill the server abruptly (SIGKILL), as a crash would."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self.stop()

    def close(self) -> None:
        """Stop the server and remove its temp dir."""
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return await self.astart()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def run_ngircd(port: int | None = None, **options: str) -> NgircdServer:
    """A not-yet-started ngircd; enter it with ``async with`` or ``with`` to start and stop it.

    Raises:
        NgircdNotFoundError: ngircd is not installed (with the install hint).
    """
    return NgircdServer(port, **options)
