"""The daemon launchers: InspIRCd with atheme-services (SASL, accounts), TLS, loopback only.

InspIRCd registers each client in about 1 s, so one server (services and TLS on) serves the
whole module and clients connect in parallel.
"""

from __future__ import annotations

import asyncio
import base64
import shutil
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.testing.atheme import EXAMPLE, atheme_config
from assistant.testing.inspircd import InspircdNotFoundError, InspircdServer, run_inspircd
from assistant.testing.irc_client import SimulatedMember
from assistant.testing.ircd import NgircdServer, run_ngircd

pytestmark = pytest.mark.ircd

WAIT = 10.0


@pytest.fixture(scope="module")
def inspircd() -> Iterator[InspircdServer]:
    """One InspIRCd with services and a TLS listener for the module."""
    with run_inspircd(services=True, tls=True) as server:
        yield server


@pytest.fixture(scope="module")
def ngircd_tls() -> Iterator[NgircdServer]:
    """One ngircd with a TLS listener for the module."""
    with run_ngircd(tls=True) as server:
        yield server


def listening_addresses(pid: int) -> set[str]:
    """The local addresses (``ip:port``, hex as in /proc) that process ``pid`` listens on."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = fd.readlink().as_posix() if fd.is_symlink() else ""
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    found = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: TCP_LISTEN
                found.add(fields[1])
    return found


async def test_inspircd_welcomes_members_over_plain_and_trusted_tls(
    inspircd: InspircdServer,
) -> None:
    assert inspircd.tls_port is not None
    context = ssl.create_default_context(cafile=inspircd.ca_path)
    plain, secure = await asyncio.gather(
        SimulatedMember.connect(inspircd.host, inspircd.port, "plainann", timeout=WAIT),
        SimulatedMember.connect(
            inspircd.host, inspircd.tls_port, "tlsbob", timeout=WAIT, ssl=context
        ),
    )
    try:
        await asyncio.gather(plain.join("#both"), secure.join("#both"))
        await secure.say("#both", "over tls")
        line = await plain.wait_for(r":tlsbob!\S+ PRIVMSG #both :over tls")
        assert line.startswith(":tlsbob!")
    finally:
        await asyncio.gather(plain.quit(), secure.quit())


async def test_inspircd_offers_the_ircv3_caps_and_sasl(inspircd: InspircdServer) -> None:
    caps = await inspircd.cap_ls()
    assert "PLAIN" in caps["sasl"].split(",")
    wanted = {"server-time", "message-tags", "account-notify", "extended-join", "away-notify"}
    assert wanted <= caps.keys()


async def sasl_login(server: InspircdServer, nick: str, account: str, password: str) -> str:
    """Log in with SASL PLAIN before registration; return the 900 (logged in) line."""
    reader, writer = await asyncio.open_connection(server.host, server.port)
    received: list[str] = []

    async def expect(pattern: str) -> str:
        async with asyncio.timeout(WAIT):
            while line := (await reader.readline()).decode().rstrip("\r\n"):
                received.append(line)
                if pattern in line:
                    return line
        raise AssertionError(f"no {pattern!r} in {received}")

    try:
        writer.write(f"CAP REQ :sasl\r\nNICK {nick}\r\nUSER {nick} 0 * :{nick}\r\n".encode())
        await expect("ACK")
        writer.write(b"AUTHENTICATE PLAIN\r\n")
        await expect("AUTHENTICATE")
        token = base64.b64encode(f"{account}\0{account}\0{password}".encode()).decode()
        writer.write(f"AUTHENTICATE {token}\r\n".encode())
        logged_in = await expect(" 900 ")
        await expect(" 903 ")
        writer.write(b"CAP END\r\n")
        await expect(" 001 ")
        return logged_in
    finally:
        writer.write(b"QUIT\r\n")
        writer.close()
        await writer.wait_closed()


async def test_a_registered_account_logs_in_with_sasl_and_cannot_be_taken_again(
    inspircd: InspircdServer,
) -> None:
    await inspircd.register_account("carol", "carol-secret-1")
    again = inspircd.register_account("carol", "carol-secret-2")
    logged_in, refused = await asyncio.gather(
        sasl_login(inspircd, "carolclient", "carol", "carol-secret-1"),
        again,
        return_exceptions=True,
    )
    assert isinstance(logged_in, str) and "carol" in logged_in, logged_in
    assert isinstance(refused, RuntimeError), refused
    assert "NickServ refused to register carol" in str(refused)


@pytest.mark.parametrize("daemon", ["inspircd", "ngircd_tls"])
async def test_tls_without_the_test_ca_fails_verification(
    daemon: str, request: pytest.FixtureRequest
) -> None:
    server: InspircdServer | NgircdServer = request.getfixturevalue(daemon)
    assert server.tls_port is not None
    untrusting = ssl.create_default_context()  # the system CAs only
    with pytest.raises(ssl.SSLCertVerificationError):
        await SimulatedMember.connect(server.host, server.tls_port, "nobody", ssl=untrusting)


async def test_ngircd_tls_member_with_the_ca_trusted_registers(ngircd_tls: NgircdServer) -> None:
    assert ngircd_tls.tls is not None and ngircd_tls.tls_port is not None
    context = ssl.create_default_context()
    ngircd_tls.tls.configure_trust(context)
    member = await SimulatedMember.connect("localhost", ngircd_tls.tls_port, "tlserin", ssl=context)
    await member.quit()


def test_the_daemons_listen_on_loopback_only(
    inspircd: InspircdServer, ngircd_tls: NgircdServer
) -> None:
    pids = [inspircd.pid, inspircd.services_pid, ngircd_tls.pid]
    addresses: set[str] = set()
    for pid in pids:
        assert pid is not None
        addresses |= listening_addresses(pid)
    loopback = "0100007F:"  # 127.0.0.1 as /proc/net/tcp spells it
    assert addresses and all(address.startswith(loopback) for address in addresses), addresses


def test_atheme_config_disables_http_and_links_to_the_test_server(tmp_path: Path) -> None:
    text = atheme_config(
        EXAMPLE.read_text(encoding="utf-8"),
        folder=tmp_path,
        uplink="irc.test.local",
        host="127.0.0.1",
        port=7000,
        password="pw",
        network="TestNet",
    )
    assert "0.0.0.0" not in text
    assert '#loadmodule "modules/misc/httpd";' in text
    assert '#loadmodule "modules/transport/xmlrpc";' in text
    assert 'uplink "irc.test.local"' in text and "example.net" not in text
    assert f'logfile "{tmp_path}/account.log"' in text


def test_missing_binaries_fail_with_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    real_which = shutil.which

    def without(name: str) -> object:
        def which(cmd: str, *args: Any, **kwargs: Any) -> str | None:
            return None if cmd == name else real_which(cmd, *args, **kwargs)

        return which

    for missing, options in (("inspircd", {}), ("atheme-services", {"services": True})):
        monkeypatch.setattr(shutil, "which", without(missing))
        with pytest.raises(InspircdNotFoundError, match=r"apt-get install inspircd atheme"):
            run_inspircd(**options)


async def test_register_account_needs_services() -> None:
    server = InspircdServer()
    try:
        with pytest.raises(RuntimeError, match="services=True"):
            await server.register_account("erin", "erin-secret-1")
    finally:
        server.close()


async def test_a_daemon_that_exits_at_start_is_reported_not_waited_for() -> None:
    # A daemon that cannot bind its port exits at once; the start must say so with its log,
    # not wait the whole (here hour-long) start timeout for a welcome that cannot come.
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    server = run_ngircd(port=taken.getsockname()[1])
    try:
        with pytest.raises(RuntimeError, match="did not welcome a client") as caught:
            await server.astart(timeout=3600)
        assert str(server.log_path) in str(caught.value)
        assert "Address already in use" in server.log_path.read_text(encoding="utf-8")
    finally:
        server.close()
        taken.close()
