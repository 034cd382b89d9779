"""The owner's merges and splits: everything moves, attendance combines, a split undoes it."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from assistant.config import Settings
from assistant.people.linking import relink_people
from assistant.people.merging import MergeError, merge_persons, split_identity
from assistant.recorder import Recorder
from assistant.storage.database import Database
from assistant.storage.people import person_id_for
from assistant.testing.factories import ChatScript

NET = "libera"
NOTES = (
    "CREATE TABLE notes_about (person_id INTEGER NOT NULL UNIQUE "
    "REFERENCES persons (id) ON DELETE CASCADE, note TEXT NOT NULL)"
)


@pytest.fixture
async def db(open_database: Callable[..., Awaitable[Database]]) -> AsyncIterator[Database]:
    """A fresh database on each backend (SQLite, PostgreSQL)."""
    async with await open_database() as database:
        yield database


async def attendance(db: Database) -> set[tuple[object, ...]]:
    rows = await db.fetchall(
        "SELECT session_id, person_id, arrived_at, left_at, lines FROM session_attendance"
    )
    return {tuple(row) for row in rows}


async def test_merge_moves_everything_and_split_puts_it_back(db: Database) -> None:
    await db.apply_migrations("plugin:notes", [NOTES])
    chat = ChatScript(NET, sink=Recorder(db).record)
    chat.said("gina", "hi", "#chan")
    chat.nick_changed("gina", "gina_work")
    chat.said("gina_", "also me", "#chan")
    gina = await person_id_for(db, NET, "gina")
    phone = await person_id_for(db, NET, "gina_")
    assert gina is not None and phone is not None and gina != phone
    for name in ("Sunday 1", "Sunday 2"):
        await db.execute(
            "INSERT INTO sessions (channel_id, name, started_at) VALUES (1, ?, 0)", (name,)
        )
    rows = [(1, gina, 10.0, 50.0, 3), (2, gina, 100.0, 150.0, 1), (1, phone, 5.0, None, 2)]
    for row in rows:
        await db.execute(
            "INSERT INTO session_attendance (session_id, person_id, arrived_at, left_at, lines) "
            "VALUES (?, ?, ?, ?, ?)",
            row,
        )
    await db.execute("INSERT INTO notes_about VALUES (?, 'a plugin note')", (phone,))
    before = await attendance(db)

    await db.transaction(lambda conn: merge_persons(conn, gina, phone, "owner"))

    assert await person_id_for(db, NET, "gina_") == gina
    # Session 1 was attended under both: one row, earliest arrival, still there, lines added.
    assert await attendance(db) == {(1, gina, 5.0, None, 5), (2, gina, 100.0, 150.0, 1)}
    note = await db.fetchone("SELECT person_id FROM notes_about")
    assert note is not None and note[0] == gina
    assert await db.fetchone("SELECT 1 FROM persons WHERE id = ?", (phone,)) is None

    identity = await db.fetchone("SELECT id FROM identities WHERE nick = 'gina_'")
    assert identity is not None
    result = await db.transaction(lambda conn: split_identity(conn, gina, identity[0]))

    assert result.restored_attendance
    assert await person_id_for(db, NET, "gina_") == result.person_id
    assert await person_id_for(db, NET, "gina_work") == gina
    back = {(s, result.person_id if p == phone else p, a, lv, n) for s, p, a, lv, n in before}
    assert await attendance(db) == back
    # Automatic linking (gina_ looks like an alternate nick) does not undo the split.
    await db.transaction(lambda conn: merge_persons(conn, gina, result.person_id))
    identity2 = await db.fetchone("SELECT id FROM identities WHERE nick = 'gina_'")
    assert identity2 is not None
    await db.transaction(lambda conn: split_identity(conn, gina, identity2[0]))
    assert await relink_people(db, Settings()) == []


async def test_impossible_merges_and_splits_say_why(db: Database) -> None:
    chat = ChatScript(NET, sink=Recorder(db).record)
    chat.said("hal", "hi", "#chan")
    hal = await person_id_for(db, NET, "hal")
    assert hal is not None
    identity = await db.fetchone("SELECT id FROM identities")
    assert identity is not None

    def merge_self(conn: sqlite3.Connection) -> int:
        return merge_persons(conn, hal, hal)

    with pytest.raises(MergeError, match="already one person"):
        await db.transaction(merge_self)
    with pytest.raises(MergeError, match="no person 999"):
        await db.transaction(lambda conn: merge_persons(conn, hal, 999))
    with pytest.raises(MergeError, match="only identity"):
        await db.transaction(lambda conn: split_identity(conn, hal, identity[0]))
