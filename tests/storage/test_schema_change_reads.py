"""A statement run again after another instance changed the schema gives the rows of now.

On PostgreSQL a connection keeps its statements prepared for the next call
(:meth:`assistant.storage.postgresql.PgConnection._fetch`); SQLite's driver keeps its own.
A migration of another instance sharing the database can change what such a statement
reads (a column added to a table it reads with ``*``, an index its plan used dropped and
made again): run again, the statement must give the rows the schema holds now, outside a
transaction and inside one, and the writer must go on storing messages.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from assistant.events import Identity, MessageReceived
from assistant.recorder import Recorder
from assistant.storage.database import Database
from assistant.storage.presence import last_seen

OpenDatabase = Callable[..., Awaitable[Database]]

START = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
ANA = Identity(platform="discord", network="guild", nick="ana", user_id="1")
BO = Identity(platform="discord", network="guild", nick="bo", user_id="2")

# Every column of the messages of a channel: a column added to messages changes its rows.
EVERY_COLUMN = (
    "SELECT * FROM messages WHERE channel_id = (SELECT id FROM channels WHERE name = ?) ORDER BY id"
)
# The same rows read in a transaction, as a statement of its own.
IN_TRANSACTION = (
    "SELECT m.* FROM messages AS m JOIN channels AS c ON c.id = m.channel_id "
    "WHERE c.name = ? ORDER BY m.id"
)


def said(n: int, text: str, who: Identity = ANA) -> MessageReceived:
    return MessageReceived(
        platform="discord",
        network="guild",
        timestamp=START + timedelta(seconds=n),
        channel="#a",
        actor=who,
        text=text,
    )


def columns(rows: list[Any]) -> list[dict[str, Any]]:
    # By name: an asyncpg Record iterates its values, a sqlite3.Row too.
    return [{key: row[key] for key in row.keys()} for row in rows]  # noqa: SIM118


async def record(db: Database, *events: MessageReceived) -> None:
    recorder = Recorder(db)
    for event in events:
        recorder.record(event)
    await db.flush()


async def test_a_column_added_by_another_instance_is_in_the_rows_read_again(
    open_database: OpenDatabase,
) -> None:
    db = await open_database(batch_size=1000, flush_interval=60)
    other = await open_database()
    try:
        await record(db, said(0, "one"), said(1, "two", BO))
        before = columns(await db.fetchall(EVERY_COLUMN, ("#a",)))
        inside_before = await db.transaction(
            lambda conn: columns(conn.execute(IN_TRANSACTION, ("#a",)).fetchall())
        )

        await other.execute("ALTER TABLE messages ADD COLUMN mood TEXT NOT NULL DEFAULT 'calm'")

        # Inside a transaction first: there an error would have aborted it, no retry.
        inside_after = await db.transaction(
            lambda conn: columns(conn.execute(IN_TRANSACTION, ("#a",)).fetchall())
        )
        after = columns(await db.fetchall(EVERY_COLUMN, ("#a",)))
        # The writer's batch (its messages as one statement on PostgreSQL) goes on too.
        await record(db, said(2, "three"), said(3, "four", BO), said(4, "five"))
        last = columns(await db.fetchall(EVERY_COLUMN, ("#a",)))
    finally:
        await other.close()
        await db.close()

    assert [row["text"] for row in before] == ["one", "two"]
    assert all("mood" not in row for row in before)
    assert inside_before == before
    assert after == [{**row, "mood": "calm"} for row in before]
    assert inside_after == after
    assert [row["text"] for row in last] == ["one", "two", "three", "four", "five"]
    assert [row["mood"] for row in last] == ["calm"] * 5


async def test_an_index_dropped_and_made_again_by_another_instance_leaves_the_answer(
    open_database: OpenDatabase,
) -> None:
    db = await open_database(batch_size=1000, flush_interval=60)
    other = await open_database()
    try:
        await record(db, said(0, "one"), said(5, "two", BO), said(9, "three"))
        before = await last_seen(db, "guild", "ana")
        messages_before = await db.fetchall(
            "SELECT text FROM messages WHERE identity_id = "
            "(SELECT id FROM identities WHERE nick = ?) ORDER BY at",
            ("bo",),
        )

        await other.execute("DROP INDEX messages_identity_at_channel")
        dropped = await last_seen(db, "guild", "ana")
        await other.execute(
            "CREATE INDEX messages_identity_at_channel ON messages (identity_id, at, channel_id)"
        )
        await record(db, said(12, "four", BO))
        remade = await last_seen(db, "guild", "ana")
        messages_after = await db.fetchall(
            "SELECT text FROM messages WHERE identity_id = "
            "(SELECT id FROM identities WHERE nick = ?) ORDER BY at",
            ("bo",),
        )
    finally:
        await other.close()
        await db.close()

    assert before is not None
    assert dropped == before
    assert remade == before
    assert [row["text"] for row in messages_before] == ["two"]
    assert [row["text"] for row in messages_after] == ["two", "four"]
