"""Connections that break, several networks at once, TLS trust, and netsplits, on real daemons.

A server killed mid-chat must leave a recorded gap, not invented departures; every line said
after the restart must be recorded. TLS is verified against the launcher's throwaway CA.
InspIRCd 3 sends no IRCv3 netsplit batch: splitting off its services gives the classic
``server server`` QUIT, which is what the netsplit scenario records.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from assistant.config import NetworkSettings
from assistant.connectors.irc import IrcConnector
from assistant.events import Connected, Event
from assistant.testing.atheme import SERVICES_NAME
from assistant.testing.daemon import DaemonServer
from assistant.testing.inspircd import run_inspircd
from assistant.testing.irc_client import SimulatedMember
from assistant.testing.ircd import NgircdServer, run_ngircd

pytestmark = pytest.mark.ircd

WAIT = 10.0
Live = Any  # conftest's Live
Start = Callable[..., Awaitable[Live]]
People = Callable[..., Awaitable[list[SimulatedMember]]]
Net = Callable[..., dict[str, Any]]

STAYS = (
    "SELECT i.nick, p.left_kind FROM presence_intervals p "
    "JOIN identities i ON i.id = p.identity_id ORDER BY p.joined_at, i.nick, p.id"
)


@pytest.fixture(params=["ngircd", "inspircd"])
async def own_daemon(request: pytest.FixtureRequest) -> AsyncIterator[DaemonServer]:
    """A server of this test's own, which it may kill and restart on the same port."""
    server: DaemonServer = run_ngircd() if request.param == "ngircd" else run_inspircd()
    async with server:
        yield server


async def test_a_server_killed_mid_chat_leaves_a_gap_and_loses_nothing_after(
    own_daemon: DaemonServer, presence: Start, people: People, net: Net, uid: str
) -> None:
    me, channel = f"pres{uid}", f"#crash{uid}"
    nicks = [f"alice{uid}", f"bob{uid}"]
    live, members = await asyncio.gather(
        presence({"testnet": net(own_daemon, me, [channel])}), people(own_daemon, *nicks)
    )
    for member in members:
        await member.join(channel)
    await live.until(lambda: live.connector().members(channel) == nicks)
    await members[0].say(channel, "before the crash")
    await live.until_rows("SELECT text FROM messages", expect=[("before the crash",)])

    own_daemon.kill()
    await live.until(lambda: not live.connector().connected)
    await own_daemon.astart()
    members = await people(own_daemon, *nicks)
    for member in members:
        await member.join(channel)
    await live.until(lambda: live.connector().members(channel) == nicks)
    # One speaker: lines from two sockets may reach the server in either order.
    await members[0].say(channel, "after the restart")
    await members[0].action(channel, "is back too")
    await members[0].say(channel, "nothing lost")

    await live.until_rows(
        "SELECT text FROM messages ORDER BY id",
        expect=[("before the crash",), ("after the restart",), ("is back too",), ("nothing lost",)],
    )
    await live.until_rows(
        STAYS,
        expect=[
            (nicks[0], "disconnected"),
            (nicks[1], "disconnected"),
            (nicks[0], None),
            (nicks[1], None),
        ],
    )
    gaps = await live.rows("SELECT ended_at > started_at, reason FROM connection_gaps")
    assert len(gaps) == 1 and gaps[0][0] == 1 and gaps[0][1]
    connected = [e for e in live.witness.events if isinstance(e, Connected)]
    assert len(connected) == 2


async def test_two_networks_recorded_by_one_assistant(
    ngircd_tls: NgircdServer, presence: Start, people: People, net: Net, uid: str
) -> None:
    me, first, second = f"pres{uid}", f"#one{uid}", f"#two{uid}"
    async with run_ngircd() as other:
        live, (ann,), (ben,) = await asyncio.gather(
            presence({"one": net(ngircd_tls, me, [first]), "two": net(other, me, [second])}),
            people(ngircd_tls, f"ann{uid}"),
            people(other, f"ben{uid}"),
        )
        await ann.join(first)
        await ben.join(second)
        await live.until(lambda: live.connector("one").members(first) == [f"ann{uid}"])
        await live.until(lambda: live.connector("two").members(second) == [f"ben{uid}"])
        await ann.say(first, "hello from one")
        await ben.say(second, "hello from two")
        await live.until_rows(
            "SELECT n.name, c.name, i.nick, m.text FROM messages m "
            "JOIN channels c ON c.id = m.channel_id JOIN networks n ON n.id = c.network_id "
            "JOIN identities i ON i.id = m.identity_id ORDER BY n.name",
            expect=[
                ("one", first, f"ann{uid}", "hello from one"),
                ("two", second, f"ben{uid}", "hello from two"),
            ],
        )
        await live.assistant.send("two", second, "answer on two")
        assert (await ben.wait_for(rf"^:{me}!\S+ PRIVMSG {second} :", WAIT)).endswith("two")


async def connect_tls(daemon: DaemonServer, nick: str, **extra: Any) -> IrcConnector:
    """Run a connector over TLS until ``Connected`` (returned) or until ``run`` fails (raised)."""
    assert daemon.tls_port is not None
    settings = NetworkSettings(host=daemon.host, port=daemon.tls_port, tls=True, nick=nick, **extra)
    connector = IrcConnector("tls", settings, connect_timeout=WAIT)
    connected = asyncio.Event()

    async def emit(event: Event) -> None:
        if isinstance(event, Connected):
            connected.set()

    task = asyncio.create_task(connector.run(emit))
    waiter = asyncio.create_task(connected.wait())
    try:
        async with asyncio.timeout(WAIT):
            await asyncio.wait([task, waiter], return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()  # raises the connection error
        return connector
    finally:
        waiter.cancel()
        await connector.stop()
        with contextlib.suppress(ConnectionError):
            await task


async def test_tls_is_verified_against_the_ca_and_refused_when_untrusted(
    daemon: DaemonServer, uid: str
) -> None:
    trusted, untrusted, unverified = await asyncio.gather(
        connect_tls(daemon, f"tls{uid}", ca_file=daemon.ca_path),
        connect_tls(daemon, f"notls{uid}"),
        connect_tls(daemon, f"novfy{uid}", verify_tls=False),
        return_exceptions=True,
    )
    assert isinstance(trusted, IrcConnector) and isinstance(unverified, IrcConnector)
    assert isinstance(untrusted, ConnectionError)
    message = str(untrusted)
    assert "not trusted" in message and "ca_file" in message and "verify_tls" in message


async def test_a_netsplit_is_recorded_as_a_netsplit(
    presence: Start, people: People, net: Net, uid: str
) -> None:
    me, account, channel = f"pres{uid}", f"fdr{uid}", f"#split{uid}"
    async with run_inspircd(services=True) as server:
        _, (founder, oper) = await asyncio.gather(
            server.register_account(account, "founderpw"),
            people(server, f"founder{uid}", f"oper{uid}"),
        )
        await founder.say("NickServ", f"IDENTIFY {account} founderpw")
        await founder.wait_for(r"You are now identified", WAIT)
        await founder.join(channel)  # first in, so channel operator: ChanServ lets it register
        live = await presence({"testnet": net(server, me, [channel])})
        await live.until(lambda: f"founder{uid}" in live.connector().members(channel))
        await founder.say("ChanServ", f"REGISTER {channel}")  # ChanServ then sits in the channel
        await live.until(lambda: "ChanServ" in live.connector().members(channel))

        await oper.send_raw(f"OPER {server.oper_name} {server.oper_password}")
        await oper.wait_for(r" 381 ", WAIT)
        await oper.send_raw(f"SQUIT {SERVICES_NAME} :splitting for a test")
        await live.until_rows(
            "SELECT i.nick, p.left_kind, p.left_reason FROM presence_intervals p "
            "JOIN identities i ON i.id = p.identity_id WHERE p.left_at IS NOT NULL",
            expect=[("ChanServ", "netsplit", f"{server.name} {SERVICES_NAME}")],
        )
