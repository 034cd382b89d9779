"""Retention: each channel's limit really deletes what is older; opt-in and opt-out by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from assistant.config import parse_settings
from assistant.people.optouts import OptOuts
from assistant.people.privacy import opt_in, opt_out, purge_expired, retention_days
from assistant.recorder import Recorder
from assistant.storage.database import Database
from assistant.testing.factories import ChatScript

NET = "libera"
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture
async def db(open_database: Callable[..., Awaitable[Database]]) -> AsyncIterator[Database]:
    """A fresh database on each backend (SQLite, PostgreSQL)."""
    async with await open_database() as database:
        yield database


async def count(db: Database, sql: str) -> int:
    row = await db.fetchone(sql)
    assert row is not None
    return int(row[0])


async def test_the_daily_purge_deletes_what_is_older_than_the_channel_allows(
    db: Database,
) -> None:
    settings = parse_settings(
        {
            "networks": {
                NET: {
                    "channels": [
                        {"name": "#Short", "retention_days": 30},
                        {"name": "#forever"},
                    ]
                }
            }
        }
    )
    limits = retention_days(settings)
    assert limits == {(NET, "#short"): 30}
    chat = ChatScript(NET, start=NOW, sink=Recorder(db).record)
    chat.joined("old", "#short", at=40 * DAY)
    chat.said("old", "forty days ago", "#short", message_id="m1", at=40 * DAY)
    chat.left("old", "#short", at=39 * DAY)
    chat.joined("stayer", "#short", at=45 * DAY)  # still there: the present, kept
    chat.topic("old", "#short", "an old topic", at=35 * DAY)
    chat.said("new", "ten days ago", "#short", at=10 * DAY)
    chat.said("old", "forty days ago elsewhere", "#forever", at=40 * DAY)
    await db.execute(
        "INSERT INTO message_analyses (message_id, key, analyzed_at) "
        "SELECT id, 'm1', 0 FROM messages WHERE message_id = 'm1'"
    )

    result = await purge_expired(db, limits, now=NOW)

    assert (result.messages, result.intervals, result.topics) == (1, 1, 1)
    texts = [row["text"] for row in await db.fetchall("SELECT text FROM messages ORDER BY id")]
    assert texts == ["ten days ago", "forty days ago elsewhere"]
    assert await count(db, "SELECT count(*) FROM message_analyses") == 0
    assert await count(db, "SELECT count(*) FROM presence_intervals WHERE left_at IS NULL") == 1
    assert await count(db, "SELECT count(*) FROM topics") == 0
    again = await purge_expired(db, limits, now=NOW)
    assert again.total == 0


async def test_opt_out_and_in_by_hand(db: Database) -> None:
    recorder = Recorder(db)
    chat = ChatScript(NET, sink=recorder.record)
    erin = chat.who("erin", account="Erin")
    chat.said(erin, "hello", "#chan")
    chat.nick_changed(erin, "erin_")
    assert await opt_out(db, erin) > 0
    assert await count(db, "SELECT count(*) FROM identities") == 0
    chat.said(chat.who("erin_"), "my other nick was opted out too", "#chan")
    chat.said(chat.who("someone", account="erin"), "and my account", "#chan")
    assert await count(db, "SELECT count(*) FROM messages") == 0
    stored = await db.fetchall("SELECT kind, value FROM people_optouts ORDER BY kind, value")
    assert [tuple(row) for row in stored] == [
        ("account", "erin"),
        ("key", "erin"),
        ("key", "erin_"),
    ]
    assert await opt_in(db, erin)
    assert not OptOuts.of(db).blocks(erin)
    chat.said(erin, "recorded again", "#chan")
    assert await count(db, "SELECT count(*) FROM messages") == 1
    assert not await opt_in(db, chat.who("never"))
