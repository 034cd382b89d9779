"""A throwaway PostgreSQL cluster on 127.0.0.1, for tests of the PostgreSQL storage backend.

``initdb`` writes a fresh cluster into a private temp dir and ``pg_ctl`` starts it on a free
port, listening on 127.0.0.1 only (its Unix socket lives in the same temp dir). The cluster
has one superuser, :attr:`PostgresCluster.user`, who logs in over TCP with a password
(SCRAM), so a test sees the same DSN shape a deployment uses, password included.

PostgreSQL refuses to run as root, and CI runs as root: there the cluster runs as an
unprivileged account (``postgres``, which Debian's package creates, else ``nobody``), which
owns the temp dir. :meth:`PostgresCluster.stop` shuts the server down and removes the dir.
A missing server is :class:`PostgresNotFoundError` with the install hint, never a skip.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import quote

from assistant.testing.daemon import DaemonNotFoundError, free_port

__all__ = [
    "INSTALL_HINT",
    "PostgresCluster",
    "PostgresNotFoundError",
    "find_postgres_bin",
    "run_postgres",
]

INSTALL_HINT = "apt-get install postgresql (or run `make test`, which installs it)"

_DEBIAN_BIN_GLOB = "/usr/lib/postgresql/*/bin"
_UNPRIVILEGED_USERS = ("postgres", "nobody")
_START_TIMEOUT = 60  # seconds pg_ctl waits for the server to accept connections
_STOP_TIMEOUT = 60


class PostgresNotFoundError(DaemonNotFoundError):
    """PostgreSQL's server binaries are not installed; the message says how to install them."""


def find_postgres_bin() -> Path:
    """Return the folder of the newest installed ``initdb``/``pg_ctl``/``postgres``.

    Debian keeps them out of PATH, in ``/usr/lib/postgresql/VERSION/bin``; elsewhere they are
    looked up on PATH.

    Raises:
        PostgresNotFoundError: with the install hint.
    """
    candidates = []
    for folder in Path("/").glob(_DEBIAN_BIN_GLOB.lstrip("/")):
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            version = folder.parent.name
            candidates.append((int(version) if version.isdigit() else 0, folder))
    if candidates:
        return max(candidates)[1]
    initdb = shutil.which("initdb")
    if initdb is not None and shutil.which("pg_ctl") is not None:
        return Path(initdb).parent
    raise PostgresNotFoundError(
        f"PostgreSQL's server (initdb, pg_ctl) is not installed: {INSTALL_HINT}"
    )


def _server_account() -> pwd.struct_passwd | None:
    """The account the server runs as: None (the current one) unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in _UNPRIVILEGED_USERS:
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise PostgresNotFoundError(
        "PostgreSQL refuses to run as root and no unprivileged account "
        f"({', '.join(_UNPRIVILEGED_USERS)}) exists: {INSTALL_HINT} creates 'postgres'"
    )


class PostgresCluster:
    """One PostgreSQL server with its own cluster in a temp dir, on ``host``:``port``.

    Use it as ``with run_postgres() as cluster`` (or call :meth:`start` and :meth:`stop`).
    :meth:`create_database` makes a fresh, empty database and returns its DSN.
    """

    def __init__(self, *, host: str = "127.0.0.1", user: str = "presence") -> None:
        """Find the binaries and the account to run as; nothing is started yet.

        Raises:
            PostgresNotFoundError: the server is not installed (with the install hint).
        """
        self.bin = find_postgres_bin()
        self.host = host
        self.user = user
        self.password = secrets.token_urlsafe(16)
        self.port = 0
        self._account = _server_account()
        self.dir = Path(tempfile.mkdtemp(prefix="presence-postgres-"))
        self._started = False
        self._databases = 0
        if self._account is not None:
            os.chown(self.dir, self._account.pw_uid, self._account.pw_gid)
        self.dir.chmod(0o700)

    @property
    def data_dir(self) -> Path:
        """The cluster's data directory (``PGDATA``)."""
        return self.dir / "data"

    @property
    def log_path(self) -> Path:
        """The server's log file; its tail is shown when the server fails to start."""
        return self.dir / "server.log"

    def dsn(self, database: str = "postgres") -> str:
        """The DSN of ``database`` on this server, with the superuser's password in it."""
        return (
            f"postgresql://{quote(self.user)}:{quote(self.password, safe='')}"
            f"@{self.host}:{self.port}/{quote(database)}"
        )

    def start(self) -> None:
        """Create the cluster (once) and start the server on a free port.

        Raises:
            RuntimeError: initdb or the server failed (with the server log's tail).
        """
        if self._started:
            return
        if not self.data_dir.exists():
            self._initdb()
        last_error = ""
        # A free port can be taken between choosing it and the bind: try again, a few times.
        for _ in range(3):
            self.port = free_port(self.host)
            options = (
                f"-c listen_addresses={self.host} -c port={self.port} "
                f"-c unix_socket_directories={self.dir}"
            )
            result = self._run(
                "pg_ctl", "start", "-w", "-t", str(_START_TIMEOUT), "-D", str(self.data_dir),
                "-l", str(self.log_path), "-o", options, check=False,
            )  # fmt: skip
            if result.returncode == 0:
                self._started = True
                return
            last_error = result.stdout + result.stderr
        raise RuntimeError(f"PostgreSQL did not start: {last_error.strip()}\n{self._log_tail()}")

    def stop(self) -> None:
        """Stop the server (if running) and remove the temp dir (idempotent)."""
        try:
            if self._started:
                self._started = False
                self._run(
                    "pg_ctl", "stop", "-w", "-m", "fast", "-t", str(_STOP_TIMEOUT),
                    "-D", str(self.data_dir), check=False,
                )  # fmt: skip
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database owned by :attr:`user` and return its DSN.

        Without ``name`` each call makes a new one (``test_1``, ``test_2``...), so every test
        can have a database of its own on one shared server.
        """
        if name is None:
            self._databases += 1
            name = f"test_{self._databases}"
        self._run_client("createdb", "-O", self.user, name)
        return self.dsn(name)

    def _initdb(self) -> None:
        password_file = self.dir / "password"
        password_file.write_text(self.password + "\n", encoding="utf-8")
        password_file.chmod(0o600)
        if self._account is not None:
            os.chown(password_file, self._account.pw_uid, self._account.pw_gid)
        try:
            self._run(
                "initdb", "-D", str(self.data_dir), "-U", self.user, "-E", "UTF8",
                "--locale=C", "--no-sync", "--auth-local=trust",
                "--auth-host=scram-sha-256", f"--pwfile={password_file}",
            )  # fmt: skip
        finally:
            password_file.unlink(missing_ok=True)

    def _run(
        self, program: str, *args: str, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run a server program as the server's account, in the temp dir."""
        account = self._account
        env = {**os.environ, "LC_ALL": "C"}
        if account is not None:
            env["HOME"] = str(self.dir)
            env["USER"] = env["LOGNAME"] = account.pw_name
        result = subprocess.run(
            [str(self.bin / program), *args],
            cwd=self.dir,
            env=env,
            user=None if account is None else account.pw_uid,
            group=None if account is None else account.pw_gid,
            extra_groups=None if account is None else [],
            capture_output=True,
            text=True,
            check=False,
            timeout=_START_TIMEOUT * 2,
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"{program} failed ({result.returncode}): {(result.stdout + result.stderr).strip()}"
            )
        return result

    def _run_client(self, program: str, *args: str) -> None:
        """Run a client program (createdb...) against the server over TCP."""
        env = {
            **os.environ,
            "PGHOST": self.host,
            "PGPORT": str(self.port),
            "PGUSER": self.user,
            "PGPASSWORD": self.password,
            "PGDATABASE": "postgres",
        }
        result = subprocess.run(
            [str(self.bin / program), *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=_START_TIMEOUT,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{program} failed: {(result.stdout + result.stderr).strip()}")

    def _log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"PostgresCluster({self.host}:{self.port})"


def run_postgres(**options: str) -> PostgresCluster:
    """A not-yet-started cluster; enter it with ``with`` to start it and to stop it after.

    Raises:
        PostgresNotFoundError: PostgreSQL is not installed (with the install hint).
    """
    return PostgresCluster(**options)
