"""Exporting a person: everything forgetting would delete, and nobody else's data."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from assistant.recorder import Recorder
from assistant.storage.database import Database
from assistant.storage.export import EXPORT_FORMAT, person_export, person_rows
from assistant.storage.people import analyses_naming, forget_person, person_id_for
from assistant.testing.database import temporary_database
from assistant.testing.factories import ChatScript

NET = "libera"
NOTES = (
    "CREATE TABLE notes_about (id INTEGER PRIMARY KEY, "
    "person_id INTEGER NOT NULL REFERENCES persons (id) ON DELETE CASCADE, note TEXT NOT NULL)"
)


@pytest.fixture
async def db() -> AsyncIterator[Database]:
    async with temporary_database() as database:
        yield database


async def room(db: Database) -> tuple[int, int]:
    """Alice and Bob talk, Alice kicks Bob and sets a topic; return both persons."""
    await db.apply_migrations("plugin:notes", [NOTES])
    chat = ChatScript(NET, sink=Recorder(db).record)
    chat.joined("alice", "#chat")
    chat.joined("bob", "#chat")
    chat.said("alice", "alice line one", "#chat", message_id="a1")
    chat.said("bob", "bob: a line of bob's, alice", "#chat", message_id="b1")
    chat.topic("alice", "#chat", "alice's topic")
    chat.left("bob", "#chat", kind="kick", by="alice")
    chat.nick_changed("alice", "alice2")
    chat.said("alice2", "alice line two", "#dev", message_id="a2")
    alice = await person_id_for(db, NET, "alice")
    bob = await person_id_for(db, NET, "bob")
    assert alice is not None and bob is not None
    for key, addressees, reply_to in [("a1", "[]", "[]"), ("b1", '["alice"]', '["a1"]')]:
        await db.execute(
            "INSERT INTO message_analyses (message_id, key, addressees, reply_to, topics, "
            "analyzed_at) SELECT id, ?, ?, ?, '[\"gardening\"]', 0 FROM messages "
            "WHERE message_id = ?",
            (key, addressees, reply_to, key),
        )
    await db.execute("INSERT INTO sessions (channel_id, name, started_at) VALUES (1, 'Sunday', 0)")
    for person in (alice, bob):
        await db.execute(
            "INSERT INTO session_attendance (session_id, person_id, lines) VALUES (1, ?, 1)",
            (person,),
        )
    await db.execute("INSERT INTO notes_about (person_id, note) VALUES (?, 'likes tea')", (alice,))
    return alice, bob


def strings(value: Any) -> list[str]:
    """Every string inside a JSON-ready value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


async def test_an_export_holds_the_persons_lines_and_nobody_elses(db: Database) -> None:
    alice, bob = await room(db)
    data = await db.run_in_thread(lambda conn: person_export(conn, alice))
    assert data is not None
    json.dumps(data)  # JSON-ready as it is
    assert data["format"] == EXPORT_FORMAT and data["person_id"] == alice
    tables = data["tables"]
    assert [row["text"] for row in tables["messages"]] == ["alice line one", "alice line two"]
    assert {row["nick"] for row in tables["identities"]} == {"alice", "alice2"}
    assert [row["topic"] for row in tables["topics"]] == ["alice's topic"]
    assert [row["note"] for row in tables["notes_about"]] == ["likes tea"]  # a plugin's table
    assert [row["key"] for row in tables["message_analyses"]] == ["a1"]
    assert [row["person_id"] for row in tables["session_attendance"]] == [alice]
    assert len(tables["presence_intervals"]) == 2
    assert tables["messages"][0]["at"].endswith("+00:00")  # times as ISO 8601
    assert {row["name"] for row in data["context"]["channels"]} == {"#chat", "#dev"}
    assert [row["name"] for row in data["context"]["sessions"]] == ["Sunday"]
    assert [row["name"] for row in data["context"]["networks"]] == [NET]
    everything = " ".join(strings(data))
    assert "bob" not in everything
    bob_ids = await db.fetchall("SELECT id FROM identities WHERE person_id = ?", (bob,))
    for row in tables["presence_intervals"]:
        assert row["identity_id"] not in {r["id"] for r in bob_ids}
    # Bob's stay that Alice ended, and Bob's line answering her, are counted, not copied.
    elsewhere = data["referenced_elsewhere"]
    assert elsewhere["presence_intervals.left_by"] == 1
    assert elsewhere["message_analyses (others' messages addressing or answering them)"] == 1


async def test_an_export_holds_exactly_what_forgetting_deletes(db: Database) -> None:
    alice, _ = await room(db)
    exported = await db.run_in_thread(lambda conn: person_rows(conn, alice))

    async def snapshot() -> dict[str, set[tuple[Any, ...]]]:
        names = await db.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        return {
            row["name"]: {tuple(r) for r in await db.fetchall(f"SELECT * FROM {row['name']}")}
            for row in names
        }

    named = set(await db.run_in_thread(lambda conn: analyses_naming(conn, alice)))
    assert named  # Bob's line answers Alice
    before = await snapshot()
    deleted = await forget_person(db, alice)
    after = await snapshot()
    # Others' rows that forgetting edits rather than deletes (a kicker unlinked, an analysis
    # scrubbed, with the indexes its triggers keep) are left out of the comparison.
    gone: dict[str, set[tuple[Any, ...]]] = {}
    for table, rows in before.items():
        kept_ids = {other[0] for other in after[table]}
        missing = {
            row
            for row in rows - after[table]
            if not (table in ("presence_intervals", "message_analyses") and row[0] in kept_ids)
            and not (table in ("people_addressed", "people_reply_links") and row[0] in named)
        }
        if missing:
            gone[table] = missing
    theirs = {table: {tuple(row.values()) for row in rows} for table, rows in exported.items()}
    assert theirs == gone
    assert deleted == sum(len(rows) for rows in gone.values())


async def test_nobody_to_export(db: Database) -> None:
    assert await db.run_in_thread(lambda conn: person_export(conn, 12345)) is None
