"""Persons: finding one by nick, and forgetting one so that nothing is left behind."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator

import pytest

from assistant.people.merging import merge_persons, split_identity
from assistant.recorder import Recorder
from assistant.storage.database import Database
from assistant.storage.people import forget_person, person_id_for
from assistant.testing.database import temporary_database
from assistant.testing.factories import ChatScript

NET = "libera"
SECRET = "zebra-7734 is my home address"
NOTES = (
    "CREATE TABLE notes_about (id INTEGER PRIMARY KEY, "
    "person_id INTEGER NOT NULL REFERENCES persons (id) ON DELETE CASCADE, note TEXT NOT NULL)"
)


@pytest.fixture
async def db() -> AsyncIterator[Database]:
    async with temporary_database() as database:
        yield database


async def dump(db: Database) -> dict[str, list[sqlite3.Row]]:
    """Every row of every table, so a test can look for traces anywhere."""
    names = await db.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    return {row["name"]: await db.fetchall(f"SELECT * FROM {row['name']}") for row in names}


async def test_a_person_is_found_by_any_of_their_nicks(db: Database) -> None:
    chat = ChatScript(NET, sink=Recorder(db).record)
    chat.said("Alice", "hi", "#chat")
    chat.nick_changed("Alice", "al[1]")
    chat.said("bob", "hi", "#chat")
    alice = await person_id_for(db, NET, "alice")
    assert alice is not None
    assert await person_id_for(db, NET, "AL{1}") == alice  # RFC 1459 folding
    assert await person_id_for(db, NET, "bob") not in (None, alice)
    assert await person_id_for(db, NET, "nobody") is None
    assert await person_id_for(db, "othernet", "alice") is None


async def test_forgetting_a_person_leaves_nothing_behind(db: Database) -> None:
    await db.apply_migrations("plugin:notes", [NOTES])
    chat = ChatScript(NET, sink=Recorder(db).record)
    chat.joined("alice", "#chat")
    chat.joined("bob", "#chat")
    chat.said("alice", SECRET, "#chat")
    chat.said("bob", "bob keeps his words", "#chat")
    chat.topic("alice", "#chat", SECRET)
    chat.left("bob", "#chat", kind="kick", by="alice")
    chat.nick_changed("alice", "alice2")
    chat.said("alice2", f"again: {SECRET}", "#dev")
    alice = await person_id_for(db, NET, "alice")
    bob = await person_id_for(db, NET, "bob")
    assert alice is not None and bob is not None
    session = "INSERT INTO sessions (channel_id, name, started_at) VALUES (1, 'Sunday', 0)"
    await db.execute(session)
    for person in (alice, bob):
        await db.execute(
            "INSERT INTO session_attendance (session_id, person_id, lines) VALUES (1, ?, 1)",
            (person,),
        )
    await db.execute("INSERT INTO notes_about (person_id, note) VALUES (?, ?)", (alice, SECRET))
    identities = await db.fetchall("SELECT id FROM identities WHERE person_id = ?", (alice,))
    alice_ids = {row["id"] for row in identities}
    assert len(alice_ids) == 2
    before = sum(len(rows) for rows in (await dump(db)).values())

    deleted = await forget_person(db, alice)

    everything = await dump(db)
    assert deleted == before - sum(len(rows) for rows in everything.values())
    for table, rows in everything.items():
        for row in rows:
            for column in row.keys():  # noqa: SIM118 (sqlite3.Row has no __iter__ over keys)
                value = row[column]
                where = f"{table}.{column}"
                assert not (isinstance(value, str) and "zebra-7734" in value), where
                if column in ("identity_id", "left_by"):
                    assert value not in alice_ids, where
                if column == "person_id":
                    assert value != alice, where
            if table == "identities":
                assert row["id"] not in alice_ids
            if table == "persons":
                assert row["id"] != alice
    assert everything["notes_about"] == []
    kicked = await db.fetchone("SELECT left_kind, left_by FROM presence_intervals")
    assert kicked is not None and tuple(kicked) == ("kick", None)  # bob's stay keeps the fact
    assert [row["text"] for row in everything["messages"]] == ["bob keeps his words"]
    assert [row["person_id"] for row in everything["session_attendance"]] == [bob]


async def test_a_table_that_would_keep_a_trace_stops_the_forgetting(db: Database) -> None:
    leaky = "CREATE TABLE leaky (person_id INTEGER REFERENCES persons (id), note TEXT)"
    await db.apply_migrations("plugin:leaky", [leaky])
    chat = ChatScript(NET, sink=Recorder(db).record)
    chat.said("alice", SECRET, "#chat")
    alice = await person_id_for(db, NET, "alice")
    assert alice is not None
    await db.execute("INSERT INTO leaky VALUES (?, 'note')", (alice,))
    with pytest.raises(sqlite3.IntegrityError):
        await forget_person(db, alice)
    row = await db.fetchone("SELECT count(*) FROM messages")
    assert row is not None and row[0] == 1


async def test_the_recorder_keeps_recording_a_forgotten_nick_as_someone_new(
    db: Database,
) -> None:
    chat = ChatScript(NET, sink=Recorder(db).record)
    chat.joined("alice", "#chat")
    chat.said("alice", "first life", "#chat")
    alice = await person_id_for(db, NET, "alice")
    assert alice is not None
    chat.said("alice", "queued before the forgetting", "#chat")
    assert await forget_person(db, alice) > 0
    chat.said("alice", "second life", "#chat")
    rows = await db.fetchall(
        "SELECT m.text, i.person_id FROM messages m JOIN identities i ON i.id = m.identity_id"
    )
    assert [row["text"] for row in rows] == ["second life"]
    assert rows[0]["person_id"] != alice
    assert db.writer.dropped == 0


async def test_forgetting_reaches_derived_data_that_names_the_person(db: Database) -> None:
    chat = ChatScript(NET, sink=Recorder(db).record)
    chat.joined("Alice", "#chat")
    chat.said("Alice", SECRET, "#chat", message_id="m1")
    chat.said("bob", "sure thing, and you carol?", "#chat", message_id="m2")
    chat.said("alicephone", "me again", "#chat", message_id="m3")
    chat.said("carol", "fine", "#chat", message_id="m4")
    alice = await person_id_for(db, NET, "alice")
    phone = await person_id_for(db, NET, "alicephone")
    carol = await person_id_for(db, NET, "carol")
    assert alice is not None and phone is not None and carol is not None
    analyses = [
        ("m1", '["bob"]', "[]", "m1"),
        ("m2", '["Alice", "carol"]', '["m1"]', "m1"),
        ("m3", "[]", "[]", "m3"),
        ("m4", '["bob"]', '["m2"]', "m1"),
    ]
    for key, addressees, reply_to, thread in analyses:
        await db.execute(
            "INSERT INTO message_analyses (message_id, key, addressees, reply_to, thread, "
            "analyzed_at) SELECT id, ?, ?, ?, ?, 0 FROM messages WHERE message_id = ?",
            (key, addressees, reply_to, thread, key),
        )
    await db.execute("INSERT INTO sessions (channel_id, name, started_at) VALUES (1, 'S', 0)")
    for person in (alice, phone, carol):
        await db.execute(
            "INSERT INTO session_attendance (session_id, person_id, lines) VALUES (1, ?, 1)",
            (person,),
        )
    await db.transaction(lambda conn: merge_persons(conn, alice, phone, "owner"))
    await db.transaction(lambda conn: merge_persons(conn, carol, alice, "a mistake"))
    rows = await db.fetchall("SELECT id FROM identities WHERE nick = 'alicephone'")
    await db.transaction(lambda conn: split_identity(conn, carol, rows[0]["id"]))
    alice = await person_id_for(db, NET, "alice")
    assert alice is not None and alice != carol  # the split took Alice's merge back out
    assert await db.fetchone("SELECT 1 FROM people_kept_apart") is not None

    await forget_person(db, alice)

    everything = await dump(db)
    for table, rows in everything.items():
        for row in rows:
            for column in row.keys():  # noqa: SIM118
                value = row[column]
                if isinstance(value, str):
                    assert "alice" not in value.lower(), f"{table}.{column}: {value}"
                    assert "zebra" not in value, f"{table}.{column}"
    left = {row["key"]: row for row in everything["message_analyses"]}
    assert set(left) == {"m2", "m4"}
    assert (left["m2"]["addressees"], left["m2"]["reply_to"], left["m2"]["thread"]) == (
        '["carol"]',
        "[]",
        "",
    )
    assert (left["m4"]["reply_to"], left["m4"]["thread"]) == ('["m2"]', "")
    for table in ("people_merges", "people_merge_identities", "people_kept_apart"):
        assert everything[table] == [], table
