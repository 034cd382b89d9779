"""Presence intervals: gaps are "unknown", rosters re-open stays, voice is its own kind."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from assistant.events import Identity, MemberJoined, MemberLeft
from assistant.recorder import Recorder
from assistant.storage.database import Database
from assistant.storage.presence import last_seen
from assistant.testing.factories import ChatScript

NET = "libera"
T0 = datetime(2024, 1, 7, 8, 30, tzinfo=UTC)


def t(seconds: int) -> float:
    return (T0 + timedelta(seconds=seconds)).timestamp()


@pytest.fixture
async def db(open_database: Callable[..., Awaitable[Database]]) -> AsyncIterator[Database]:
    """A fresh database on each backend (SQLite, PostgreSQL)."""
    async with await open_database() as database:
        yield database


async def stays(db: Database, nick: str) -> list[tuple[object, ...]]:
    rows = await db.fetchall(
        "SELECT c.name, p.via, p.joined_at, p.already_present, p.left_at, p.left_kind "
        "FROM presence_intervals AS p JOIN identities AS i ON i.id = p.identity_id "
        "JOIN channels AS c ON c.id = p.channel_id WHERE i.nick = ? ORDER BY p.id",
        (nick,),
    )
    return [tuple(row) for row in rows]


async def test_a_lost_connection_closes_stays_as_unknown_and_the_roster_reopens_them(
    db: Database,
) -> None:
    chat = ChatScript(NET, start=T0, sink=Recorder(db).record)
    chat.joined("alice", "#chan")  # t1
    chat.joined("bob", "#chan")  # t2
    chat.disconnected("ping timeout")  # t3
    chat.connected()  # t4
    chat.joined("alice", "#chan", already_present=True)  # t5: the roster after rejoining
    chat.disconnected("again")  # t6
    chat.connected()  # t7
    chat.joined("alice", "#chan", already_present=True)  # t8

    assert await stays(db, "alice") == [
        ("#chan", "channel", t(1), 0, t(3), "disconnected"),
        ("#chan", "channel", t(5), 1, t(6), "disconnected"),
        ("#chan", "channel", t(8), 1, None, None),
    ]
    # bob was not in the roster: his stay ended at the gap, and that is not a departure.
    assert await stays(db, "bob") == [("#chan", "channel", t(2), 0, t(3), "disconnected")]
    gaps = await db.fetchall("SELECT started_at, ended_at, reason FROM connection_gaps")
    assert [tuple(row) for row in gaps] == [(t(3), t(4), "ping timeout"), (t(6), t(7), "again")]
    bob = await last_seen(db, NET, "bob")
    assert bob is not None and (bob.at.timestamp(), bob.still_here) == (t(2), False)
    alice = await last_seen(db, NET, "alice")
    assert alice is not None and alice.still_here


async def test_voice_and_text_presence_are_separate_stays(db: Database) -> None:
    recorder = Recorder(db)
    member = Identity("discord", "guild", "Problogger", user_id="4242")
    base = {"platform": "discord", "network": "guild", "actor": member}

    def at(seconds: int) -> datetime:
        return T0 + timedelta(seconds=seconds)

    recorder.record(MemberJoined(**base, channel="#general", timestamp=at(1)))
    recorder.record(MemberJoined(**base, channel="#general", timestamp=at(2), via="voice"))
    recorder.record(MemberJoined(**base, channel="Town hall", timestamp=at(3), via="stage"))
    left = MemberLeft(**base, channel="#general", timestamp=at(4), kind="part", via="voice")
    recorder.record(left)
    assert await stays(db, "Problogger") == [
        ("#general", "channel", t(1), 0, None, None),
        ("#general", "voice", t(2), 0, t(4), "part"),
        ("Town hall", "stage", t(3), 0, None, None),
    ]
    seen = await last_seen(db, "guild", "problogger")
    assert seen is not None and seen.still_here


async def test_a_nick_change_carries_each_kind_of_stay(db: Database) -> None:
    chat = ChatScript(NET, start=T0, sink=Recorder(db).record)
    chat.joined("carol", "#chan")  # t1
    chat.nick_changed("carol", "carol_")  # t2
    chat.disconnected()  # t3
    assert await stays(db, "carol_") == [("#chan", "channel", t(2), 0, t(3), "disconnected")]
    assert await stays(db, "carol") == [("#chan", "channel", t(1), 0, t(2), "nick")]
