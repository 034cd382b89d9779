"""A real ngircd on 127.0.0.1, for tests and demos that must talk to an actual IRC server.

The config is written to a private temp dir with the flood penalty off and the per-IP and
per-user limits lifted (notes §2.1); the server counts as ready once a probe client is welcomed
with 001, not merely when the port opens. Usable as ``async with run_ngircd() as server`` and
``with run_ngircd() as server``; ``stop()`` and ``start()`` again keep the same port, so
reconnection can be tested. ``tls=True`` adds a TLS listener on ``tls_port`` (this Debian build
links GnuTLS) with a throwaway certificate whose CA is ``ca_path``.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from assistant.testing.daemon import DaemonNotFoundError, DaemonServer, free_port, search_path

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

_TLS_CONFIG = """\
[SSL]
\tCertFile = {cert}
\tKeyFile = {key}
\tPorts = {tls_port}
"""


class NgircdNotFoundError(DaemonNotFoundError):
    """ngircd is not installed; the message says how to install it."""


def find_ngircd() -> str:
    """Locate the ngircd binary (it lives in /usr/sbin, often not on a user's PATH).

    Raises:
        NgircdNotFoundError: with the install hint.
    """
    found = shutil.which("ngircd", path=search_path())
    if found is None:
        raise NgircdNotFoundError(f"ngircd is not installed: {INSTALL_HINT}")
    return found


class NgircdServer(DaemonServer):
    """One ngircd process on ``host``:``port`` with its own temp dir, restartable on that port."""

    kind = "ngircd"

    def __init__(
        self,
        port: int | None = None,
        *,
        host: str = "127.0.0.1",
        name: str = "irc.test.local",
        oper_name: str = "oper",
        oper_password: str = "operpw",
        tls: bool = False,
    ) -> None:
        self.executable = find_ngircd()
        super().__init__(port, host=host, tls=tls)
        self.name = name
        self.oper_name = oper_name
        self.oper_password = oper_password
        (self.dir / "conf.d").mkdir(mode=0o755)

    @property
    def config_path(self) -> Path:
        """Where the generated ngircd.conf is written."""
        return self.dir / "ngircd.conf"

    def _write_config(self) -> None:
        text = _CONFIG.format(
            name=self.name,
            host=self.host,
            port=self.port,
            include_dir=self.dir / "conf.d",
            oper_name=self.oper_name,
            oper_password=self.oper_password,
        )
        if self.tls is not None:
            text += _TLS_CONFIG.format(
                cert=self.tls.cert_path, key=self.tls.key_path, tls_port=self.tls_port
            )
        self.config_path.write_text(text, encoding="utf-8")
        self.config_path.chmod(0o644)

    def _command(self) -> Sequence[str]:
        return [self.executable, "--nodaemon", "--config", str(self.config_path)]


def run_ngircd(port: int | None = None, *, tls: bool = False, **options: str) -> NgircdServer:
    """A not-yet-started ngircd; enter it with ``async with`` or ``with`` to start and stop it.

    Raises:
        NgircdNotFoundError: ngircd is not installed (with the install hint).
    """
    return NgircdServer(port, tls=tls, **options)
