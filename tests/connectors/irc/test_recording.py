"""What Presence records from real IRC daemons, through the real Assistant, into SQLite.

Each scenario runs against ngircd (RFC 2812, ``multi-prefix`` only) and InspIRCd 3 (IRCv3:
server-time, account-tag, extended-join, WHOX...), with simulated members on raw sockets playing
the room, and asserts on the database rows, not on the connector's events.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import pytest

from assistant.events import MemberModeChanged, MessageReceived
from assistant.testing.daemon import DaemonServer
from assistant.testing.irc_client import SimulatedMember

pytestmark = pytest.mark.ircd

WAIT = 10.0
Live = Any  # conftest's Live: .assistant, .witness, .connector(), .rows(), .until_rows()
Start = Callable[..., Awaitable[Live]]
People = Callable[..., Awaitable[list[SimulatedMember]]]
Net = Callable[..., dict[str, Any]]

STAYS = (
    "SELECT i.nick, p.already_present, p.modes, p.left_kind FROM presence_intervals p "
    "JOIN identities i ON i.id = p.identity_id JOIN channels c ON c.id = p.channel_id "
    "WHERE c.name = ? ORDER BY p.joined_at, i.nick, p.id"
)
MESSAGES = (
    "SELECT i.nick, m.kind, m.text FROM messages m JOIN identities i ON i.id = m.identity_id "
    "JOIN channels c ON c.id = m.channel_id WHERE c.name = ? ORDER BY m.id"
)


Seat = Callable[..., Awaitable[tuple[Live, list[SimulatedMember]]]]


@pytest.fixture
def seat(daemon: DaemonServer, presence: Start, people: People, net: Net, uid: str) -> Seat:
    """Seat members (the first opped, as channel creator), then start Presence in the channel."""

    async def go(channel: str, *nicks: str) -> tuple[Live, list[SimulatedMember]]:
        members = await people(daemon, *(f"{nick}{uid}" for nick in nicks))
        for member in members:
            await member.join(channel)
        me = f"pres{uid}"
        live = await presence({"testnet": net(daemon, me, [channel])})
        await members[0].wait_for(rf"^(@\S+ )?:{me}!\S+ JOIN :?{channel}$", WAIT)
        return live, members

    return go


async def test_roster_at_join_then_a_join_nick_part_kick_quit_chain(
    seat: Seat, people: People, daemon: DaemonServer, uid: str
) -> None:
    channel = f"#chain{uid}"
    alice, bob = f"alice{uid}", f"bob{uid}"
    (carol,) = await people(daemon, f"carol{uid}")
    live, (op, _) = await seat(channel, "alice", "bob")
    await op.send_raw(f"MODE {channel} +v {bob}")
    await live.until_rows(STAYS, channel, expect=[(alice, 1, "@", None), (bob, 1, "+", None)])

    await carol.join(channel)
    await carol.change_nick(f"caroline{uid}")
    await carol.part(channel, "brb")
    await carol.join(channel)
    await op.kick(channel, f"caroline{uid}", "enough")
    await carol.wait_for(rf" KICK {channel} caroline{uid}\b", WAIT)
    await carol.join(channel)
    await carol.quit("gone")
    await live.until_rows(
        STAYS,
        channel,
        expect=[
            (alice, 1, "@", None),
            (bob, 1, "+", None),
            (f"carol{uid}", 0, "", "nick"),
            (f"caroline{uid}", 0, "", "part"),
            (f"caroline{uid}", 0, "", "kick"),
            (f"caroline{uid}", 0, "", "quit"),
        ],
    )
    people_ids = await live.rows(
        "SELECT count(DISTINCT person_id) FROM identities WHERE nick IN (?, ?)",
        f"carol{uid}",
        f"caroline{uid}",
    )
    assert people_ids == [(1,)]  # the nick chain is one person
    kicker = await live.rows(
        "SELECT i.nick FROM presence_intervals p JOIN identities i ON i.id = p.left_by"
    )
    assert kicker == [(alice,)]


async def test_actions_notices_mirc_codes_and_invalid_utf8_are_recorded_as_text(
    seat: Seat, uid: str
) -> None:
    channel = f"#talk{uid}"
    live, (alice,) = await seat(channel, "alice")
    await alice.say(channel, "\x02bold\x02 \x0304,12red\x03 \x1fplain\x1f\x0f")
    await alice.action(channel, "waves")
    await alice.notice(channel, "heads up")
    await alice.send_raw(f"PRIVMSG {channel} :caf\xe9 cr\xe8me \xff".encode("latin-1"))
    await alice.say(channel, "naïve ✓")
    nick = f"alice{uid}"
    await live.until_rows(
        MESSAGES,
        channel,
        expect=[
            (nick, "message", "bold red plain"),
            (nick, "action", "waves"),
            (nick, "notice", "heads up"),
            (nick, "message", "café crème ÿ"),
            (nick, "message", "naïve ✓"),
        ],
    )
    lines = {
        event.text: event.raw["line"]
        for event in live.witness.events
        if isinstance(event, MessageReceived) and isinstance(event.raw, dict)
    }
    assert lines["bold red plain"].endswith("\x02bold\x02 \x0304,12red\x03 \x1fplain\x1f\x0f")
    assert lines["café crème ÿ"].endswith(f"PRIVMSG {channel} :café crème ÿ")
    assert live.connector().connected  # the undecodable bytes did not cost the connection


async def test_ops_and_voices_are_recorded_as_member_status(seat: Seat, uid: str) -> None:
    channel = f"#modes{uid}"
    live, (alice, _) = await seat(channel, "alice", "bob")
    bob_nick = f"bob{uid}"
    await alice.send_raw(f"MODE {channel} +v {bob_nick}")
    await alice.send_raw(f"MODE {channel} +mo {bob_nick}")
    await alice.send_raw(f"MODE {channel} -v+b {bob_nick} *!*@spam.example")
    await live.until_rows(
        STAYS, channel, expect=[(f"alice{uid}", 1, "@", None), (bob_nick, 1, "@", None)]
    )
    changes = [
        (event.modes, event.status, event.by.nick if event.by else None)
        for event in live.witness.events
        if isinstance(event, MemberModeChanged)
    ]
    owner = f"alice{uid}"
    assert changes == [("+v", "+", owner), ("+o", "@+", owner), ("-v", "@", owner)]
    assert live.connector().status(channel, bob_nick) == "@"


async def test_a_600_byte_message_is_split_and_arrives_whole(seat: Seat, uid: str) -> None:
    channel, me = f"#long{uid}", f"pres{uid}"
    live, (alice,) = await seat(channel, "alice")
    text = " ".join(f"wörd{n:03d}" for n in range(100))
    text = text.encode()[:600].decode("utf-8", "ignore").rstrip()
    text += "x" * (600 - len(text.encode()))
    assert len(text.encode()) == 600

    await live.assistant.send("testnet", channel, text)
    parts = []
    for _ in range(2):
        line = await alice.wait_for(rf"^:{me}!\S+ PRIVMSG {channel} :", WAIT)
        parts.append(line.split(f"PRIVMSG {channel} :", 1)[1])
    assert " ".join(parts) == text  # nothing truncated by the server, cut at a space
    assert all(len(part.encode()) <= 400 for part in parts)


async def test_a_crlf_quit_injection_is_neutralised(seat: Seat, uid: str) -> None:
    channel, me = f"#safe{uid}", f"pres{uid}"
    live, (alice,) = await seat(channel, "alice")
    await live.assistant.send("testnet", channel, "hello\r\nQUIT :pwned\nJOIN #evil\x00")
    await live.assistant.send("testnet", channel, "still here")
    first = await alice.wait_for(rf"^:{me}!\S+ ", WAIT)
    second = await alice.wait_for(rf"^:{me}!\S+ ", WAIT)
    assert first.endswith(f"PRIVMSG {channel} :hello QUIT :pwned JOIN #evil")
    assert second.endswith(f"PRIVMSG {channel} :still here")
    assert live.connector().connected and live.connector().channels == [channel]
    with pytest.raises(ValueError):
        await live.assistant.send("testnet", f"{channel}\r\nQUIT", "x")


@pytest.mark.parametrize("daemon", ["inspircd"], indirect=True)
async def test_server_time_is_the_recorded_time(seat: Seat, uid: str) -> None:
    channel = f"#time{uid}"
    live, (alice,) = await seat(channel, "alice")
    await alice.say(channel, "what time is it")
    await live.until_rows(MESSAGES, channel, expect=[(f"alice{uid}", "message", "what time is it")])
    (event,) = [
        e for e in live.witness.events if isinstance(e, MessageReceived) and e.channel == channel
    ]
    stamp = event.raw["tags"]["time"]  # e.g. 2026-11-25T20:06:49.458Z
    tagged = datetime.fromisoformat(stamp).timestamp()
    assert await live.rows("SELECT at FROM messages") == [(tagged,)]
    assert round(tagged * 1000) == tagged * 1000  # millisecond precision: the server's clock
