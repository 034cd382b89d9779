"""What every test IRC daemon launcher shares: ports, binaries, processes, probes and TLS files.

A launcher subclasses :class:`DaemonServer`, writes its config into the server's private temp
dir and names the command to run; this module does the rest the same way for every daemon
(notes §2.5): Popen with the output in a log file, readiness only once a probe client has
been welcomed with 001 (an open port proves nothing: InspIRCd binds before it validates its
config), SIGTERM then SIGKILL, one retry on a fresh port after the usual free-port race, and
the temp dir kept when start-up failed so its log can be read.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import resource
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar

if TYPE_CHECKING:
    import trustme

__all__ = [
    "DaemonNotFoundError",
    "DaemonServer",
    "TlsFiles",
    "aprobe",
    "find_executable",
    "free_port",
    "run_sync",
    "search_path",
    "spawn_logged",
    "terminate",
]

T = TypeVar("T")
# How long a daemon may take to welcome a client: a bound on a hang, not on speed. A quiet
# machine starts ngircd in ~20 ms and InspIRCd with atheme linked in a few seconds; one that
# other programs keep busy took more than 15 s.
START_TIMEOUT = 120.0
_PROBE_TRY = 10.0  # seconds one registration attempt of the readiness probe may take
_SBIN = ("/usr/sbin", "/usr/local/sbin", "/sbin")
TRUSTME_HINT = "pip install trustme (it is in the `dev` extras: pip install -e '.[dev]')"


class DaemonNotFoundError(RuntimeError):
    """A daemon's binary is not installed; the message says how to install it."""


def search_path() -> str:
    """PATH plus the sbin dirs, where Debian puts daemons that a user's PATH often lacks."""
    return os.pathsep.join([os.environ.get("PATH", ""), *_SBIN])


def find_executable(name: str, hint: str, error: type[RuntimeError] = DaemonNotFoundError) -> str:
    """Locate ``name`` on :func:`search_path`.

    Raises:
        error: with ``hint``, when the binary is nowhere to be found.
    """
    found = shutil.which(name, path=search_path())
    if found is None:
        raise error(f"{name} is not installed: {hint}")
    return found


def free_port(host: str = "127.0.0.1") -> int:
    """Pick a currently free TCP port (racy by nature; ``start`` retries once on a clash)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to completion from sync code, even when the caller's loop is running.

    It gets a private thread and loop, so the sync and async launcher entry points share one
    implementation of every probe.
    """
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="daemon-probe") as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def aprobe(
    host: str,
    port: int,
    timeout: float,
    *,
    ssl_context: ssl.SSLContext | None = None,
    nick: str = "readyprobe",
    alive: Callable[[], bool] | None = None,
) -> bool:
    """Register a throwaway client until the server sends 001; False when ``timeout`` ran out.

    ``alive`` (the server's process is running) ends the wait early once it says False.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            return False
        with contextlib.suppress(OSError, TimeoutError, ssl.SSLError):
            # One try at most _PROBE_TRY, so a server that died is noticed between tries.
            async with asyncio.timeout(max(0.05, min(_PROBE_TRY, deadline - time.monotonic()))):
                reader, writer = await asyncio.open_connection(
                    host, port, ssl=ssl_context, server_hostname=host if ssl_context else None
                )
                try:
                    writer.write(f"NICK {nick}\r\nUSER probe 0 * :probe\r\n".encode())
                    await writer.drain()
                    while line := await reader.readline():
                        if b" 001 " in line:
                            writer.write(b"QUIT\r\n")
                            await writer.drain()
                            return True
                finally:
                    writer.close()
                    with contextlib.suppress(OSError, ssl.SSLError):
                        await writer.wait_closed()
        await asyncio.sleep(0.02)
    return False


class TlsFiles:
    """A throwaway CA and a certificate for 127.0.0.1 and localhost, written into ``folder``.

    Tests trust the CA (``ca_path`` or :meth:`configure_trust`); the daemon serves ``cert_path``
    (the leaf then the CA, PEM) with ``key_path``. Requires the ``trustme`` package.
    """

    def __init__(self, folder: Path) -> None:
        try:
            import trustme
        except ImportError:
            raise DaemonNotFoundError(
                f"TLS test certificates need trustme: {TRUSTME_HINT}"
            ) from None
        self.ca: trustme.CA = trustme.CA(organization_name="Presence test CA")
        leaf = self.ca.issue_cert("127.0.0.1", "localhost")
        self.ca_path = folder / "ca.pem"
        self.cert_path = folder / "server-cert.pem"
        self.key_path = folder / "server-key.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_path))
        self.cert_path.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
        leaf.private_key_pem.write_to_path(str(self.key_path))
        for path in (self.ca_path, self.cert_path, self.key_path):
            # A daemon that drops root for "nobody" (ngircd) must still read its throwaway key.
            path.chmod(0o644)

    def configure_trust(self, context: ssl.SSLContext) -> None:
        """Make ``context`` trust the test CA."""
        self.ca.configure_trust(context)

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context (hostname checks on) that trusts only the test CA."""
        return ssl.create_default_context(cafile=str(self.ca_path))


async def _tls_handshake(host: str, port: int, context: ssl.SSLContext, timeout: float) -> bool:
    """True once a verified TLS handshake with ``host``:``port`` succeeds within ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, TimeoutError, ssl.SSLError):
            async with asyncio.timeout(max(0.05, deadline - time.monotonic())):
                _, writer = await asyncio.open_connection(
                    host, port, ssl=context, server_hostname=host
                )
                writer.close()
                with contextlib.suppress(OSError, ssl.SSLError):
                    await writer.wait_closed()
                return True
        await asyncio.sleep(0.02)
    return False


class DaemonServer:
    """One daemon process with its own temp dir, restartable on the same ports.

    Subclasses set ``kind``, write their config in :meth:`_write_config` and name the command
    in :meth:`_command`; they may start companions in :meth:`_aready` (e.g. services).
    """

    kind = "daemon"

    def __init__(self, port: int | None, *, host: str, tls: bool) -> None:
        self.host = host
        self._fixed_port = port is not None
        self.port = port if port is not None else free_port(host)
        self.dir = Path(tempfile.mkdtemp(prefix=f"presence-{self.kind}-"))
        # ngircd drops to "nobody" when started as root; it must still read its config.
        self.dir.chmod(0o755)
        self.tls: TlsFiles | None = TlsFiles(self.dir) if tls else None
        self.tls_port: int | None = free_port(host) if tls else None
        self._proc: subprocess.Popen[bytes] | None = None

    # --- what subclasses provide ------------------------------------------------------------

    def _write_config(self) -> None:
        raise NotImplementedError

    def _command(self) -> Sequence[str]:
        raise NotImplementedError

    def _pick_new_ports(self) -> None:
        """After a port clash: choose every port afresh (subclasses add their extra ports)."""
        self.port = free_port(self.host)
        if self.tls_port is not None:
            self.tls_port = free_port(self.host)

    async def _aready(self, deadline: float) -> bool:
        """Wait until the daemon serves clients (plain, then TLS when configured)."""
        remaining = max(0.1, deadline - time.monotonic())
        if not await aprobe(self.host, self.port, remaining, alive=lambda: self.running):
            return False
        if self.tls is None or self.tls_port is None:
            return True
        context = self.tls.client_context()
        remaining = max(0.1, deadline - time.monotonic())
        return await _tls_handshake(self.host, self.tls_port, context, remaining)

    def _stop_companions(self) -> None:
        """Stop processes started next to the daemon (none by default)."""

    # --- shared behaviour -------------------------------------------------------------------

    @property
    def log_path(self) -> Path:
        """The daemon's combined stdout/stderr."""
        return self.dir / f"{self.kind}.log"

    @property
    def ca_path(self) -> Path:
        """The PEM file of the CA that signed the TLS certificate (only with ``tls=True``)."""
        if self.tls is None:
            raise RuntimeError(f"{self.kind} was started without tls=True")
        return self.tls.ca_path

    @property
    def pid(self) -> int | None:
        """The daemon's process id while started."""
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        """True while the process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def _spawn(self) -> None:
        self._write_config()
        self._proc = spawn_logged(self._command(), self.log_path, self.dir)

    def _failed(self, attempt: int) -> bool:
        """After a failed start: clean up, and say whether to retry on fresh ports."""
        exited_early = self._proc is not None and self._proc.poll() is not None
        self.stop()
        if exited_early and not self._fixed_port and attempt == 0:
            self._pick_new_ports()  # the usual free-port race: pick again, once
            return True
        return False

    def _not_ready(self) -> RuntimeError:
        return RuntimeError(
            f"{self.kind} did not welcome a client on {self.host}:{self.port}; see {self.log_path}"
        )

    async def astart(self, timeout: float = START_TIMEOUT) -> Self:
        """Start the daemon and wait, without blocking the event loop, until it is ready."""
        for attempt in range(2):
            self._spawn()
            if await self._aready(time.monotonic() + timeout):
                return self
            if not self._failed(attempt):
                break
        raise self._not_ready()

    def start(self, timeout: float = START_TIMEOUT) -> Self:
        """Start the daemon and block until it is ready."""
        return run_sync(self.astart(timeout))

    def stop(self) -> int | None:
        """Terminate the daemon (SIGTERM, then SIGKILL after 5 s); returns its exit code."""
        self._stop_companions()
        code = terminate(self._proc)
        self._proc = None
        return code

    def kill(self) -> None:
        """Kill the daemon abruptly (SIGKILL), as a crash would."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self.stop()

    def close(self) -> None:
        """Stop the daemon and remove its temp dir."""
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


def terminate(proc: subprocess.Popen[bytes] | None, grace: float = 5.0) -> int | None:
    """SIGTERM ``proc``, SIGKILL it after ``grace`` seconds; return its exit code."""
    if proc is None:
        return None
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def spawn_logged(command: Sequence[str], log_path: Path, cwd: Path) -> subprocess.Popen[bytes]:
    """Start a companion process (e.g. services) with its output appended to ``log_path``."""
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            list(command), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=cwd
        )
    # InspIRCd raises its own core limit at start-up, and its TLS module crashes on the way out;
    # a throwaway daemon must not leave megabytes of core files behind.
    with contextlib.suppress(OSError, AttributeError):
        resource.prlimit(proc.pid, resource.RLIMIT_CORE, (0, 0))
    return proc
