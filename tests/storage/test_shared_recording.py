"""Recorders of two instances sharing one PostgreSQL database store each line once (issue 34).

Each recorder gets its own connection, as each ``presence run`` has; they see the same
events a few milliseconds apart and commit at the same moment.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from assistant.events import Event, Identity, MemberJoined, MemberLeft, MessageReceived
from assistant.recorder import Recorder
from assistant.storage.database import Database

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ALICE = Identity(platform="irc", network="north", nick="alice", userhost="alice@h")
MESSAGES = "SELECT text FROM messages ORDER BY id"
STAYS = "SELECT left_kind FROM presence_intervals ORDER BY id"


def seen(lag: float) -> list[Event]:
    """What one instance sees of alice, ``lag`` seconds after it happened."""

    def at(seconds: float) -> datetime:
        return START + timedelta(seconds=seconds + lag)

    base = {"platform": "irc", "network": "north", "channel": "#chat", "actor": ALICE}
    return [
        MemberJoined(timestamp=at(0), **base),
        MessageReceived(timestamp=at(1), text="hello", **base),
        MessageReceived(timestamp=at(1.1), text="+1", **base),
        MessageReceived(timestamp=at(1.2), text="+1", **base),  # said again at once
        MessageReceived(timestamp=at(4), text="+1", **base),  # and seconds later
        MemberLeft(timestamp=at(5), kind="part", reason="", **base),
        MemberJoined(timestamp=at(5.002), **base),  # back before the other saw the part
        MessageReceived(timestamp=at(6), text="back", **base),
    ]


async def rows(db: Database, sql: str) -> list[object]:
    return [row[0] for row in await db.fetchall(sql)]


async def test_two_recorders_store_each_line_and_stay_once(postgres_dsn: str) -> None:
    first = await Database.open_postgresql(postgres_dsn)
    second = await Database.open_postgresql(postgres_dsn)
    try:
        for db, lag in ((first, 0.0), (second, 0.006)):
            recorder = Recorder(db)
            for event in seen(lag):
                recorder.record(event)
        await asyncio.gather(first.flush(), second.flush())
        assert await rows(first, MESSAGES) == ["hello", "+1", "+1", "+1", "back"]
        assert await rows(first, STAYS) == ["part", None]
    finally:
        await first.close()
        await second.close()


async def test_two_recorders_store_each_stay_once_when_members_come_and_go_together(
    postgres_dsn: str,
) -> None:
    # Several members at once: each recorder's batch runs its arrivals, and its
    # departures, as one statement each (pg_bulk), checked against the other's rows.
    people = [
        Identity(platform="irc", network="north", nick=nick, userhost=f"{nick}@h")
        for nick in ("alice", "bob", "carol")
    ]

    def seen_together(lag: float) -> list[Event]:
        def at(seconds: float) -> datetime:
            return START + timedelta(seconds=seconds + lag)

        base = {"platform": "irc", "network": "north", "channel": "#chat"}
        events: list[Event] = []
        for who in people:
            events.append(MemberJoined(timestamp=at(0), actor=who, **base))
        for who in people:
            events.append(MemberLeft(timestamp=at(5), kind="part", reason="", actor=who, **base))
        for who in people[:2]:
            events.append(MemberJoined(timestamp=at(5.002), actor=who, **base))
        return events

    first = await Database.open_postgresql(postgres_dsn, flush_interval=60)
    second = await Database.open_postgresql(postgres_dsn, flush_interval=60)
    try:
        for db, lag in ((first, 0.0), (second, 0.006)):
            recorder = Recorder(db)
            for event in seen_together(lag):
                recorder.record(event)
        await asyncio.gather(first.flush(), second.flush())
        assert first.writer.batches == second.writer.batches == 1
        stays = await first.fetchall(
            "SELECT i.nick, p.left_kind FROM presence_intervals AS p "
            "JOIN identities AS i ON i.id = p.identity_id ORDER BY p.id"
        )
        assert [(row[0], row[1]) for row in stays] == [
            ("alice", "part"),
            ("bob", "part"),
            ("carol", "part"),
            ("alice", None),
            ("bob", None),
        ]
    finally:
        await first.close()
        await second.close()


async def test_one_recorder_keeps_every_repeat(
    open_database: Callable[..., Awaitable[Database]],
) -> None:
    db = await open_database()
    try:
        recorder = Recorder(db)
        for event in seen(0.0):
            recorder.record(event)
        await db.flush()
        assert await rows(db, MESSAGES) == ["hello", "+1", "+1", "+1", "back"]
        assert await rows(db, STAYS) == ["part", None]
        expected = None if db.backend.name == "sqlite" else recorder.instance
        assert recorder.instance is not None or db.backend.name == "sqlite"
        assert set(await rows(db, "SELECT recorded_by FROM messages")) == {expected}
    finally:
        await db.close()
