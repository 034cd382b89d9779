"""A real InspIRCd 3 on 127.0.0.1, optionally linked to atheme-services, for IRCv3 tests.

InspIRCd offers what ngircd lacks (server-time, message-tags, account-notify, extended-join,
away-notify, chghost, echo-message, SASL once services are linked), at the price of about 1 s
per client registration: connect test clients in parallel. The config is the tuned one from the
notes (§2.2): flood limits off, a 64 KB network buffer, every path absolute in a private temp
dir. With ``services=True`` atheme-services links as ``services.test.local`` (§2.4; see
:mod:`assistant.testing.atheme`) and the server is ready only once ``sasl`` is offered.
``tls=True`` adds a GnuTLS listener on ``tls_port`` with a throwaway certificate (``ca_path``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from assistant.testing.atheme import SERVICES_NAME, write_atheme_config
from assistant.testing.daemon import (
    DaemonNotFoundError,
    DaemonServer,
    find_executable,
    free_port,
    spawn_logged,
    terminate,
)
from assistant.testing.irc_client import SimulatedMember

__all__ = ["InspircdNotFoundError", "InspircdServer", "find_inspircd", "run_inspircd"]

INSTALL_HINT = "apt-get install inspircd atheme-services (or run `make test`, which installs them)"
# How long the services may take to link and offer SASL; atheme retries its uplink every 10 s,
# and on a busy machine the first tries can fail (a bound on a hang, not on speed).
SERVICES_TIMEOUT = 120.0

_CONFIG = """\
<config format="xml">
<server name="{name}" description="Presence test server" network="{network}" id="001">
<admin name="test" nick="test" email="test@localhost">
<bind address="{host}" port="{port}" type="clients">
<connect name="main" allow="*" timeout="20" pingfreq="120"
         hardsendq="16M" softsendq="1M" recvq="1M"
         threshold="1000000" commandrate="100000000" fakelag="no"
         localmax="1000" globalmax="1000" maxchans="100" limit="5000"
         resolvehostnames="no" useident="no">
<class name="Everything" commands="*" privs="*" usermodes="*" chanmodes="*" snomasks="*">
<type name="NetAdmin" classes="Everything" vhost="netadmin.test.local">
<oper name="{oper_name}" password="{oper_password}" host="*@*" type="NetAdmin">
<files motd="{dir}/motd.txt">
<channels users="100" opers="100">
<dns server="{host}" timeout="1">
<performance netbuffersize="65000">
<options prefixquit="Quit: " hostintopic="no" syntaxhints="no" announcets="yes">
<security hideserver="" userstats="Pu" flatlinks="no" hidesplits="no" hideulines="no"
          hidebans="no" maxtargets="20">
<limits maxnick="30" maxchan="64" maxmodes="20" maxident="11" maxhost="64" maxquit="255"
        maxtopic="307" maxkick="255" maxreal="128" maxaway="200">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="{dir}/ircd.log">
<module name="cap">
<module name="ircv3">
<module name="ircv3_accounttag">
<module name="ircv3_batch">
<module name="ircv3_capnotify">
<module name="ircv3_chghost">
<module name="ircv3_ctctags">
<module name="ircv3_echomessage">
<module name="ircv3_invitenotify">
<module name="ircv3_labeledresponse">
<module name="ircv3_msgid">
<module name="ircv3_servertime">
<module name="namesx">
<module name="uhnames">
<module name="services_account">
<module name="sasl">
<sasl target="{services}" requiressl="no">
<module name="setname">
<module name="monitor">
<module name="chghost">
<module name="sajoin">
<module name="sapart">
<module name="sanick">
<module name="saquit">
"""

_TLS_CONFIG = """\
<module name="ssl_gnutls">
<sslprofile name="Clients" provider="gnutls" certfile="{cert}" keyfile="{key}"
            hash="sha256" requestclientcert="no">
<bind address="{host}" port="{tls_port}" type="clients" sslprofile="Clients">
"""

_LINK_CONFIG = """\
<module name="spanningtree">
<bind address="{host}" port="{link_port}" type="servers">
<link name="{services}" ipaddr="{host}" port="{link_port}" allowmask="{host}/32"
      sendpass="{link_password}" recvpass="{link_password}">
<uline server="{services}" silent="yes">
<module name="hidechans">
<module name="servprotect">
"""


class InspircdNotFoundError(DaemonNotFoundError):
    """InspIRCd (or atheme-services) is not installed; the message says how to install it."""


def find_inspircd() -> str:
    """Locate the inspircd binary (in /usr/sbin on Debian).

    Raises:
        InspircdNotFoundError: with the install hint.
    """
    return find_executable("inspircd", INSTALL_HINT, InspircdNotFoundError)


class InspircdServer(DaemonServer):
    """One InspIRCd process (and, with services, one atheme-services) in its own temp dir.

    ``stop()`` returns InspIRCd's exit code: 10 is its clean SIGTERM exit; with ``tls=True``
    the Debian build's m_ssl_gnutls crashes while unloading at shutdown (-11, no core file is
    left), after every client is gone, so tests are unaffected.
    """

    kind = "inspircd"

    def __init__(
        self,
        port: int | None = None,
        *,
        host: str = "127.0.0.1",
        name: str = "irc.test.local",
        network: str = "TestNet",
        services: bool = False,
        tls: bool = False,
        oper_name: str = "oper",
        oper_password: str = "operpw",
        link_password: str = "linkpw",
    ) -> None:
        self.executable = find_inspircd()
        self.atheme = (
            find_executable("atheme-services", INSTALL_HINT, InspircdNotFoundError)
            if services
            else None
        )
        super().__init__(port, host=host, tls=tls)
        self.name = name
        self.network = network
        self.services = services
        self.oper_name = oper_name
        self.oper_password = oper_password
        self.link_password = link_password
        self.link_port: int | None = free_port(host) if services else None
        self._atheme_proc: subprocess.Popen[bytes] | None = None
        (self.dir / "motd.txt").write_text("Presence test server\n", encoding="utf-8")

    @property
    def config_path(self) -> Path:
        """Where the generated inspircd.conf is written."""
        return self.dir / "inspircd.conf"

    @property
    def services_log_path(self) -> Path:
        """atheme-services' own log (only with ``services=True``)."""
        return self.dir / "atheme.log"

    @property
    def services_pid(self) -> int | None:
        """atheme-services' process id while it runs (only with ``services=True``)."""
        return self._atheme_proc.pid if self._atheme_proc is not None else None

    def _write_config(self) -> None:
        fields = {
            "name": self.name,
            "network": self.network,
            "host": self.host,
            "port": self.port,
            "dir": self.dir,
            "services": SERVICES_NAME,
            "oper_name": self.oper_name,
            "oper_password": self.oper_password,
            "link_port": self.link_port,
            "link_password": self.link_password,
            "tls_port": self.tls_port,
        }
        text = _CONFIG.format(**fields)
        if self.tls is not None:
            text += _TLS_CONFIG.format(cert=self.tls.cert_path, key=self.tls.key_path, **fields)
        if self.link_port is not None:
            text += _LINK_CONFIG.format(**fields)
            write_atheme_config(
                self.dir,
                uplink=self.name,
                host=self.host,
                port=self.link_port,
                password=self.link_password,
                network=self.network,
            )
        self.config_path.write_text(text, encoding="utf-8")

    def _command(self) -> Sequence[str]:
        command = [self.executable, "--nofork", "--nopid", f"--config={self.config_path}"]
        if os.geteuid() == 0:
            command.append("--runasroot")  # otherwise it refuses root with exit code 8
        return command

    def _pick_new_ports(self) -> None:
        super()._pick_new_ports()
        if self.link_port is not None:
            self.link_port = free_port(self.host)

    async def _aready(self, deadline: float) -> bool:
        # The 1 s registration of the probe dominates; the TLS check then costs nothing.
        if not await super()._aready(deadline):
            return False
        if self.atheme is None:
            return True
        # Started after InspIRCd, because atheme connects out and retries only every 10 s.
        self._atheme_proc = spawn_logged(
            [
                self.atheme,
                "-n",
                "-c",
                str(self.dir / "atheme.conf"),
                "-D",
                str(self.dir),
                "-l",
                str(self.services_log_path),
                "-p",
                str(self.dir / "atheme.pid"),
            ],
            self.dir / "atheme.out",
            self.dir,
        )
        services_deadline = min(deadline, time.monotonic() + SERVICES_TIMEOUT)
        return await self._await_sasl(services_deadline)

    async def _await_sasl(self, deadline: float) -> bool:
        """Poll CAP LS (answered before registration, so no 1 s wait) until ``sasl`` shows."""
        while time.monotonic() < deadline:
            if self._atheme_proc is not None and self._atheme_proc.poll() is not None:
                return False
            if not self.running:
                return False
            with contextlib.suppress(OSError, TimeoutError):
                async with asyncio.timeout(max(0.1, deadline - time.monotonic())):
                    if "sasl" in await self.cap_ls():
                        return True
            await asyncio.sleep(0.1)
        return False

    async def cap_ls(self) -> dict[str, str]:
        """The capabilities the server offers right now (``CAP LS 302``), with their values."""
        reader, writer = await asyncio.open_connection(self.host, self.port)
        caps: dict[str, str] = {}
        try:
            writer.write(b"CAP LS 302\r\n")
            await writer.drain()
            while line := await reader.readline():
                words = line.decode("utf-8", "replace").rstrip("\r\n").split(" ")
                if len(words) < 4 or words[1] != "CAP" or words[3] != "LS":
                    continue
                more = len(words) > 5 and words[4] == "*"
                text = " ".join(words[5 if more else 4 :]).removeprefix(":")
                for cap in text.split():
                    key, _, value = cap.partition("=")
                    caps[key] = value
                if not more:
                    break
            writer.write(b"QUIT\r\n")
            await writer.drain()
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        return caps

    def _not_ready(self) -> RuntimeError:
        if not self.services:
            return super()._not_ready()
        return RuntimeError(
            f"{self.kind} did not welcome a client or offer sasl on {self.host}:{self.port}; "
            f"see {self.log_path}, {self.dir / 'ircd.log'} and {self.services_log_path}"
        )

    def _stop_companions(self) -> None:
        terminate(self._atheme_proc)
        self._atheme_proc = None

    async def register_account(self, account: str, password: str, *, timeout: float = 10.0) -> None:
        """Register a NickServ account, so a test can then log in as it with SASL PLAIN.

        The account is registered from a throwaway client using ``account`` as its nick.

        Raises:
            RuntimeError: the server runs without services, or NickServ refused.
            TimeoutError: NickServ did not answer within ``timeout``.
        """
        if not self.services:
            raise RuntimeError("register_account needs run_inspircd(services=True)")
        member = await SimulatedMember.connect(self.host, self.port, account, timeout=timeout)
        try:
            await member.say("NickServ", f"REGISTER {password} {account}@example.com")
            reply = await member.wait_for(
                r"^(@\S+ )?:NickServ!\S+ NOTICE \S+ :.*(registered|not|cannot|too|invalid)",
                timeout,
            )
            if "is now registered" not in reply:
                raise RuntimeError(f"NickServ refused to register {account}: {reply}")
        finally:
            await member.quit()


def run_inspircd(
    port: int | None = None,
    *,
    services: bool = False,
    tls: bool = False,
    **options: str,
) -> InspircdServer:
    """A not-yet-started InspIRCd; enter it with ``async with`` or ``with`` to start and stop it.

    Raises:
        InspircdNotFoundError: inspircd (or, with services, atheme-services) is not installed.
    """
    return InspircdServer(port, services=services, tls=tls, **options)
