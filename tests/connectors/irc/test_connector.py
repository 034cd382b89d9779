"""The IRC connector against a real ngircd on 127.0.0.1, with simulated members playing the room."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from assistant.config import NetworkSettings
from assistant.connectors.base import Connector
from assistant.connectors.irc import IrcConnector
from assistant.events import (
    Connected,
    Disconnected,
    Event,
    MemberJoined,
    MemberLeft,
    MessageReceived,
    NickChanged,
    TopicChanged,
)
from assistant.testing import ircd as ircd_module
from assistant.testing.irc_client import SimulatedMember
from assistant.testing.ircd import NgircdNotFoundError, NgircdServer, free_port, run_ngircd

pytestmark = pytest.mark.ircd

WAIT = 5.0
Bot = Any  # conftest's Bot: .connector, .recorder (.wait_for, .events, .of), .task
MemberFactory = Callable[..., Awaitable[SimulatedMember]]
BotFactory = Callable[..., Awaitable[Bot]]
WithAlice = Callable[..., Awaitable[tuple[SimulatedMember, Bot]]]


def joined(nick: str, channel: str | None = None) -> Callable[[Event], bool]:
    return lambda e: (
        isinstance(e, MemberJoined)
        and e.actor.nick == nick
        and (channel is None or e.channel == channel)
    )


def said(text: str) -> Callable[[Event], bool]:
    return lambda e: isinstance(e, MessageReceived) and e.text == text


async def until(condition: Callable[[], bool]) -> None:
    """Poll a condition on connector state (which has no event of its own), bounded by WAIT."""
    async with asyncio.timeout(WAIT):
        while True:
            if condition():
                return
            await asyncio.sleep(0.01)


async def bot_in(bot: Bot, channel: str) -> None:
    await until(lambda: channel in bot.connector.channels)


@pytest.fixture
async def own_server() -> AsyncIterator[NgircdServer]:
    """A server of this test's own, which it may kill and restart."""
    async with run_ngircd() as server:
        yield server


@pytest.fixture
def with_alice(member: MemberFactory, start_bot: BotFactory, uid: str) -> WithAlice:
    """Seat alice{uid} in ``channel`` (and ``also``), then start pres{uid} in ``channel``."""

    async def seat(channel: str, *also: str) -> tuple[SimulatedMember, Bot]:
        alice = await member(f"alice{uid}")
        for name in (channel, *also):
            await alice.join(name)
        bot = await start_bot(f"pres{uid}", [channel])
        await bot_in(bot, channel)
        return alice, bot

    return seat


def test_irc_connector_implements_the_protocol(ircd: NgircdServer) -> None:
    connector = IrcConnector("n", NetworkSettings(tls=False))
    assert isinstance(connector, Connector)
    assert (connector.platform, connector.network, connector.nick) == ("irc", "n", "presence")


async def test_members_already_present_are_reported_when_presence_joins(
    member: MemberFactory, start_bot: BotFactory, uid: str
) -> None:
    channel = f"#roster{uid}"
    alice = await member(f"alice{uid}")
    await alice.join(channel)  # first in: channel operator
    bob = await member(f"bob{uid}")
    await bob.join(channel)

    bot = await start_bot(f"pres{uid}", [channel])
    first = await bot.recorder.seen(joined(f"alice{uid}"))
    second = await bot.recorder.seen(joined(f"bob{uid}"))

    assert isinstance(first, MemberJoined) and isinstance(second, MemberJoined)
    assert (first.already_present, first.modes, first.channel) == (True, "@", channel)
    assert (second.already_present, second.modes) == (True, "")
    assert not any(e.actor.nick == f"pres{uid}" for e in bot.recorder.of(MemberJoined))
    assert bot.connector.members(channel) == [f"alice{uid}", f"bob{uid}"]
    assert bot.recorder.of(Connected)[0].nick == f"pres{uid}"


async def test_join_nick_part_kick_and_quit_chain(
    member: MemberFactory, start_bot: BotFactory, uid: str
) -> None:
    one, two = f"#chain{uid}", f"#chain{uid}b"
    alice = await member(f"alice{uid}")
    await alice.join(one)
    await alice.join(two)
    bot = await start_bot(f"pres{uid}", [one, two])
    await bot.recorder.wait_for(joined(f"alice{uid}", two))
    rec = bot.recorder

    carol = await member(f"carol{uid}")
    await carol.join(one)
    arrived = await rec.wait_for(joined(f"carol{uid}", one))
    assert isinstance(arrived, MemberJoined) and not arrived.already_present
    assert arrived.actor.userhost == f"~carol{uid}@127.0.0.1"
    await carol.join(two)
    await rec.wait_for(joined(f"carol{uid}", two))

    await carol.change_nick(f"caroline{uid}")
    renamed = await rec.wait_for(lambda e: isinstance(e, NickChanged))
    assert isinstance(renamed, NickChanged)
    assert (renamed.actor.nick, renamed.new_nick) == (f"carol{uid}", f"caroline{uid}")

    await carol.part(two, "later")
    parted = await rec.wait_for(lambda e: isinstance(e, MemberLeft))
    assert isinstance(parted, MemberLeft)
    assert (parted.kind, parted.channel, parted.reason) == ("part", two, "later")
    assert parted.actor.nick == f"caroline{uid}"

    await alice.kick(one, f"caroline{uid}", "enough")
    kicked = await rec.wait_for(lambda e: isinstance(e, MemberLeft))
    assert isinstance(kicked, MemberLeft) and kicked.by is not None
    assert (kicked.kind, kicked.channel, kicked.reason) == ("kick", one, "enough")
    assert (kicked.actor.nick, kicked.by.nick) == (f"caroline{uid}", f"alice{uid}")

    await carol.join(one)
    await carol.join(two)
    await rec.wait_for(joined(f"caroline{uid}", two))
    await carol.quit("gone")
    quits = [await rec.wait_for(lambda e: isinstance(e, MemberLeft)) for _ in range(2)]
    assert {(e.kind, e.channel) for e in quits if isinstance(e, MemberLeft)} == {
        ("quit", one),
        ("quit", two),
    }
    assert all("gone" in e.reason for e in quits if isinstance(e, MemberLeft))
    assert len(rec.of(NickChanged)) == 1
    assert bot.connector.members(one) == [f"alice{uid}"]
    assert bot.connector.members(two) == [f"alice{uid}"]


async def test_messages_actions_notices_private_and_topic(
    member: MemberFactory, start_bot: BotFactory, uid: str
) -> None:
    channel, me = f"#talk{uid}", f"pres{uid}"
    alice = await member(f"alice{uid}")
    await alice.join(channel)
    await alice.topic(channel, "Sunday \x02blogging\x02 chat")
    bot = await start_bot(me, [channel])
    rec = bot.recorder
    announced = await rec.wait_for(lambda e: isinstance(e, TopicChanged))
    assert isinstance(announced, TopicChanged)
    assert (announced.channel, announced.topic) == (channel, "Sunday blogging chat")
    await bot_in(bot, channel)

    await alice.say(channel, "\x0304hello\x03 \x1fall\x1f")
    await alice.action(channel, "waves")
    await alice.notice(channel, "heads up")
    await alice.say(me, "psst")
    await alice.notice(me, "a private note")
    await alice.topic(channel, "new topic")

    hello = await rec.wait_for(said("hello all"))
    waves = await rec.wait_for(said("waves"))
    heads = await rec.wait_for(said("heads up"))
    psst = await rec.wait_for(said("psst"))
    note = await rec.wait_for(said("a private note"))
    topic = await rec.wait_for(lambda e: isinstance(e, TopicChanged))
    assert isinstance(hello, MessageReceived)
    assert (hello.kind, hello.channel, hello.actor.nick) == ("message", channel, f"alice{uid}")
    assert isinstance(hello.raw, dict) and "\x0304hello" in str(hello.raw["line"])
    assert isinstance(waves, MessageReceived) and waves.kind == "action"
    assert isinstance(heads, MessageReceived) and (heads.kind, heads.channel) == ("notice", channel)
    assert isinstance(psst, MessageReceived) and psst.is_private and psst.kind == "message"
    assert isinstance(note, MessageReceived) and note.is_private and note.kind == "notice"
    assert isinstance(topic, TopicChanged) and topic.actor.nick == f"alice{uid}"
    assert topic.topic == "new topic"


async def test_a_latin1_byte_does_not_kill_the_connection(with_alice: WithAlice, uid: str) -> None:
    channel = f"#latin{uid}"
    alice, bot = await with_alice(channel)
    await alice.send_raw(b"PRIVMSG " + channel.encode() + b" :caf\xe9 cr\xe8me")
    await alice.say(channel, "still here ✓")
    await bot.recorder.wait_for(said("café crème"))
    await bot.recorder.wait_for(said("still here ✓"))
    assert bot.connector.connected


async def test_ctcp_version_and_ping_are_answered_others_ignored(
    member: MemberFactory, start_bot: BotFactory, uid: str
) -> None:
    me = f"pres{uid}"
    alice = await member(f"alice{uid}")
    await start_bot(me, [])
    await alice.ctcp(me, "FINGER")
    await alice.ctcp(me, "VERSION")
    await alice.ctcp(me, "PING 12345")
    first = await alice.wait_for(rf"^:{me}!\S+ NOTICE alice{uid} :\x01")
    second = await alice.wait_for(rf"^:{me}!\S+ NOTICE alice{uid} :\x01")
    assert first.endswith("\x01") and ":\x01VERSION Presence" in first
    assert second.endswith(":\x01PING 12345\x01")


async def test_send_splits_long_text_and_the_member_gets_every_part(
    with_alice: WithAlice, uid: str
) -> None:
    channel, me = f"#long{uid}", f"pres{uid}"
    alice, bot = await with_alice(channel)
    text = " ".join(f"wörd{n}" for n in range(500))  # ~3.9 kB of UTF-8

    await bot.connector.send(channel, text)
    parts: list[str] = []
    while " ".join(parts) != text:
        assert len(parts) < 20, parts
        line = await alice.wait_for(rf"^:{me}!\S+ PRIVMSG {channel} :")
        parts.append(line.split(f"PRIVMSG {channel} :", 1)[1])
    assert len(parts) >= 10
    assert all(len(part.encode()) <= 400 for part in parts)


async def test_send_neutralises_line_break_injection(with_alice: WithAlice, uid: str) -> None:
    channel, evil, me = f"#safe{uid}", f"#evil{uid}", f"pres{uid}"
    alice, bot = await with_alice(channel, evil)

    await bot.connector.send(channel, f"hello\r\nJOIN {evil}\nPRIVMSG {channel} :injected\x00!")
    await bot.connector.send(channel, "after")
    await alice.wait_for(rf"^:{me}!\S+ JOIN :?{channel}$")
    first = await alice.wait_for(rf"^:{me}!\S+ ")
    second = await alice.wait_for(rf"^:{me}!\S+ ")
    assert first.endswith(f"PRIVMSG {channel} :hello JOIN {evil} PRIVMSG {channel} :injected!")
    assert second.endswith(f"PRIVMSG {channel} :after")
    assert evil not in bot.connector.channels
    with pytest.raises(ValueError):
        await bot.connector.send(f"{channel}\r\nQUIT", "x")
    with pytest.raises(ValueError):
        await bot.connector.send(f"{channel},{evil}", "x")


async def test_nick_fallback_through_alternatives(
    member: MemberFactory, start_bot: BotFactory, uid: str
) -> None:
    await member(f"pres{uid}")
    await member(f"alt{uid}")
    bot = await start_bot(f"pres{uid}", [], settings={"alt_nicks": [f"alt{uid}"]})
    assert bot.recorder.of(Connected)[0].nick == f"pres{uid}_"
    assert bot.connector.nick == f"pres{uid}_"


async def test_stop_quits_with_the_message_and_run_returns(
    with_alice: WithAlice, uid: str, recorder: Any
) -> None:
    channel, me = f"#stop{uid}", f"pres{uid}"
    alice, bot = await with_alice(channel)
    with pytest.raises(RuntimeError):
        await bot.connector.run(recorder)

    await bot.connector.stop("see you Sunday")
    async with asyncio.timeout(WAIT):
        await bot.task  # returns normally, no ConnectionError
    last = bot.recorder.events[-1]
    assert isinstance(last, Disconnected) and last.reason == "stopped"
    assert "see you Sunday" in await alice.wait_for(rf"^:{me}!\S+ QUIT")
    assert not bot.connector.connected and bot.connector.channels == []


async def test_server_loss_then_reconnect_on_the_same_object(
    own_server: NgircdServer, member: MemberFactory, start_bot: BotFactory, uid: str
) -> None:
    channel, me = f"#again{uid}", f"pres{uid}"
    alice = await member(f"alice{uid}", own_server)
    await alice.join(channel)
    bot = await start_bot(me, [channel], server=own_server)
    await bot.recorder.wait_for(joined(f"alice{uid}"))

    own_server.kill()
    lost = await bot.recorder.wait_for(lambda e: isinstance(e, Disconnected))
    assert isinstance(lost, Disconnected) and lost.reason
    with pytest.raises(ConnectionError):
        async with asyncio.timeout(WAIT):
            await bot.task
    assert not bot.connector.connected

    await bot.connector.send(channel, "queued while away")
    assert bot.connector.queued == 1
    await own_server.astart()
    alice = await member(f"alice{uid}", own_server)
    await alice.join(channel)

    bot.task = asyncio.create_task(bot.connector.run(bot.recorder))
    await bot.recorder.wait_for(lambda e: isinstance(e, Connected))
    back = await bot.recorder.wait_for(joined(f"alice{uid}"))
    assert isinstance(back, MemberJoined) and back.already_present
    assert "queued while away" in await alice.wait_for(rf"^:{me}!\S+ PRIVMSG {channel} :")
    assert bot.connector.queued == 0


async def test_run_raises_connection_error_when_nothing_listens(recorder: Any) -> None:
    settings = NetworkSettings(host="127.0.0.1", port=free_port(), tls=False)
    with pytest.raises(ConnectionError):
        await IrcConnector("n", settings, connect_timeout=WAIT).run(recorder)
    assert recorder.events == []


@pytest.fixture
async def mute_port() -> AsyncIterator[int]:
    """A port whose server accepts and reads but never welcomes anyone."""

    async def mute(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while await reader.readline():
                pass
        writer.close()

    server = await asyncio.start_server(mute, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


async def test_registration_times_out(mute_port: int, recorder: Any) -> None:
    settings = NetworkSettings(host="127.0.0.1", port=mute_port, tls=False)
    connector = IrcConnector("n", settings, connect_timeout=0.3)
    with pytest.raises(ConnectionError, match="registration"):
        async with asyncio.timeout(WAIT):
            await connector.run(recorder)
    assert recorder.events == []


async def test_stop_before_registration_returns_without_events(
    mute_port: int, recorder: Any
) -> None:
    settings = NetworkSettings(host="127.0.0.1", port=mute_port, tls=False)
    connector = IrcConnector("n", settings)
    task = asyncio.create_task(connector.run(recorder))
    await asyncio.sleep(0.05)
    async with asyncio.timeout(WAIT):
        await connector.stop("bye")
        await task  # returns normally, no ConnectionError
    assert recorder.events == []


async def test_keepalive_declares_a_silent_server_dead(recorder: Any) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Welcome the client, then never answer anything (not even PING)."""
        with contextlib.suppress(ConnectionError):
            while line := await reader.readline():
                if line.startswith(b"USER"):
                    writer.write(b":silent.test 001 presence :Welcome\r\n")
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    connector = IrcConnector(
        "n",
        NetworkSettings(host="127.0.0.1", port=port, tls=False),
        ping_interval=0.1,
        ping_timeout=0.2,
    )
    try:
        with pytest.raises(ConnectionError, match="PING"):
            async with asyncio.timeout(WAIT):
                await connector.run(recorder)
    finally:
        server.close()
        await server.wait_closed()
    assert [type(e).__name__ for e in recorder.events] == ["Connected", "Disconnected"]
    assert "PING" in recorder.of(Disconnected)[0].reason


async def test_queue_while_disconnected_is_bounded(caplog: pytest.LogCaptureFixture) -> None:
    connector = IrcConnector("n", NetworkSettings(tls=False), queue_limit=3)
    with caplog.at_level(logging.WARNING):
        for n in range(5):
            await connector.send("#c", f"line {n}")
    assert connector.queued == 3
    assert len(re.findall("dropped oldest", caplog.text)) == 2


def test_missing_ngircd_fails_with_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ircd_module.shutil, "which", lambda *_a, **_k: None)
    with pytest.raises(NgircdNotFoundError, match="apt-get install ngircd"):
        run_ngircd()


async def test_keepalive_measures_lag_and_warns_when_it_is_high(
    start_bot: BotFactory, uid: str, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await start_bot(f"pres{uid}", [], ping_interval=0.05, lag_warning=0.0)
    await until(lambda: bot.connector.lag is not None)
    assert bot.connector.lag >= 0
    await until(lambda: "lag is" in caplog.text)
    assert "testnet: lag is" in caplog.text and bot.connector.connected
