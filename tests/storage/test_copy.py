"""Moving house: a whole history copied between SQLite and PostgreSQL (issue 34).

Real peers on both sides: an SQLite file and a database on the session's throwaway
PostgreSQL cluster. Every table is compared row for row after a copy.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from assistant_openings.store import MIGRATIONS_BY_DIALECT

from assistant.recorder import Recorder
from assistant.storage.copy import CopyError, DifferentHistoryError, copy_history
from assistant.storage.database import Database
from assistant.storage.people import forget_person, person_id_for
from assistant.testing.factories import ChatScript

PLUGINS = {"openings": MIGRATIONS_BY_DIALECT}
TABLES = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table' "
    "AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations'",
    "postgresql": "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' "
    "AND tablename != 'schema_migrations'",
}


async def seed(db: Database, *, people: int = 6, lines: int = 30) -> None:
    """A history with a row in every table a chat fills, the openings' tables included."""
    await db.apply_migrations("plugin:openings", MIGRATIONS_BY_DIALECT)
    chat = ChatScript("libera", sink=Recorder(db).record)
    nicks = ["Élodie", *(f"member{n}" for n in range(1, people))]
    chat.connected()
    for nick in nicks:
        chat.joined(nick, "#chat")
    chat.topic(nicks[0], "#chat", "the topic, with ünïcode")
    for n in range(lines):
        nick = nicks[n % len(nicks)]
        text = f"{nicks[(n + 2) % len(nicks)]}: line {n} from {nick}"
        chat.said(nick, text, "#chat", message_id=f"m{n}")
    chat.nick_changed(nicks[1], "renamed")
    chat.left(nicks[2], "#chat", kind="kick", by=nicks[0], reason="out")
    chat.left(nicks[3], "#chat", kind="quit")
    chat.disconnected("ping timeout")
    await db.flush()
    await db.execute(
        "INSERT INTO message_analyses (message_id, key, topics, is_question, addressees, "
        "reply_to, thread, analyzed_at) SELECT id, message_id, '[\"gardening\"]', id % 2, "
        "'[\"' || substr(text, 1, instr(text, ':') - 1) || '\"]', '[]', 't1', 1.5 "
        "FROM messages"
    )
    await db.execute(
        "INSERT INTO sessions (channel_id, name, started_at, ended_at, origin, series) "
        "VALUES (1, 'Sunday', 1700000000, 1700003600.25, 'scheduled', 'weekly')"
    )
    await db.execute(
        "INSERT INTO session_attendance (session_id, person_id, arrived_at, lines, "
        "present_seconds) SELECT DISTINCT 1, person_id, 1700000000, 2, 3600 FROM identities"
    )
    await db.execute(
        "INSERT INTO openings_found (person_id, person, kind, network, channel, nick, "
        "message, at, found_at, score, parts, reason, angle) SELECT person_id, nick, "
        "'question', 'libera', '#chat', nick, 'a question?', 1700000000.5, 1700000001, "
        "0.75, '{}', 'asked', 'answer it' FROM identities"
    )
    await db.execute(
        "INSERT INTO openings_exchanges (person_id, person, at, to_owner, reply, initiation, "
        "channel) SELECT person_id, nick, 1700000002, 1, 0, 1, '#chat' FROM identities"
    )
    # A forgotten person: the highest ids are gone, and must never be given again.
    last = await person_id_for(db, "libera", nicks[-1])
    assert last is not None
    await forget_person(db, last)


async def everything(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, by table, as sorted (column, value) tuples."""
    names = [row["name"] for row in await db.fetchall(TABLES[db.backend.name])]
    tables = {}
    for name in names:
        rows = await db.fetchall(f'SELECT * FROM "{name}"')
        tables[name] = sorted(
            (tuple(sorted(dict(zip(row.keys(), tuple(row), strict=True)).items())) for row in rows),
            key=repr,
        )
    return tables


@pytest.fixture
async def sqlite_history(tmp_path: Path) -> AsyncIterator[Database]:
    async with await Database.open(tmp_path / "source.sqlite3") as db:
        await seed(db)
        yield db


@pytest.fixture
async def postgresql(postgres_dsn: str) -> AsyncIterator[Database]:
    async with await Database.open_postgresql(postgres_dsn) as db:
        yield db


async def test_a_history_copied_to_postgresql_holds_the_same_rows(
    sqlite_history: Database, postgresql: Database
) -> None:
    result = await copy_history(sqlite_history, postgresql, plugins=PLUGINS, batch_size=7)
    assert result.complete
    source, target = await everything(sqlite_history), await everything(postgresql)
    assert set(target) == set(source)
    for name, rows in source.items():
        assert target[name] == rows, name
    copied = {table.name: table for table in result.tables}
    assert copied["messages"].copied == copied["messages"].source == 25
    assert all(table.source > 0 for table in result.tables if table.name.startswith("openings_"))
    # Derived rows are copied as they are (PostgreSQL's lower() may fold the É).
    assert ("name", "Élodie") in [pair for row in source["people_addressed"] for pair in row]
    # Parents first: nothing refers to a table copied after it.
    order = [table.name for table in result.tables]
    assert order.index("persons") < order.index("identities") < order.index("messages")
    assert order.index("messages") < order.index("message_analyses")


async def test_ids_given_after_a_copy_are_new_ones(
    sqlite_history: Database, postgresql: Database
) -> None:
    highest = await sqlite_history.fetchone(
        "SELECT seq FROM sqlite_sequence WHERE name = ?", ("persons",)
    )
    identities = await sqlite_history.fetchone(
        "SELECT seq FROM sqlite_sequence WHERE name = ?", ("identities",)
    )
    assert highest is not None and identities is not None
    await copy_history(sqlite_history, postgresql, plugins=PLUGINS)
    for db in (sqlite_history, postgresql):
        row = await db.fetchone("INSERT INTO persons (created_at) VALUES (0) RETURNING id")
        assert row is not None and row[0] == highest[0] + 1
        identity = await db.fetchone(
            "INSERT INTO identities (platform, network_id, key, nick, first_seen) "
            "VALUES ('irc', 1, 'new', 'new', 0) RETURNING id"
        )
        assert identity is not None and identity[0] == identities[0] + 1


async def test_a_history_copied_back_to_sqlite_holds_the_same_rows(
    sqlite_history: Database, postgresql: Database, tmp_path: Path
) -> None:
    await copy_history(sqlite_history, postgresql, plugins=PLUGINS)
    async with await Database.open(tmp_path / "back.sqlite3") as back:
        result = await copy_history(postgresql, back, plugins=PLUGINS, batch_size=5)
        assert result.complete
        assert await everything(back) == await everything(sqlite_history)
        sequence = "SELECT name, seq FROM sqlite_sequence ORDER BY name"
        assert [tuple(r) for r in await back.fetchall(sequence)] == [
            tuple(r) for r in await sqlite_history.fetchall(sequence)
        ]


class Interrupted(Exception):
    """The copy stopped here, as a Ctrl-C or a kill would stop it."""


async def test_an_interrupted_copy_resumes_without_duplicates(
    sqlite_history: Database, postgresql: Database
) -> None:
    def stop_in_messages(table: str, done: int, total: int) -> None:
        if table == "messages" and done == 8:  # two batches of four committed
            raise Interrupted(table)

    with pytest.raises(Interrupted):
        await copy_history(
            sqlite_history, postgresql, plugins=PLUGINS, batch_size=4, progress=stop_in_messages
        )
    partial = await postgresql.fetchone("SELECT count(*) FROM messages")
    assert partial is not None and partial[0] == 8
    source = await everything(sqlite_history)
    result = await copy_history(sqlite_history, postgresql, plugins=PLUGINS, batch_size=4)
    assert result.complete
    assert await everything(postgresql) == source
    resumed = {table.name: table for table in result.tables}
    assert resumed["networks"].skipped and resumed["networks"].copied == 0
    assert resumed["identities"].skipped
    # The table the copy stopped in goes on after the last id copied.
    assert not resumed["messages"].skipped and resumed["messages"].copied == 25 - 8
    again = await copy_history(sqlite_history, postgresql, plugins=PLUGINS)
    assert again.complete and again.copied == 0
    assert all(table.skipped for table in again.tables)


async def test_a_table_without_an_integer_key_is_copied_again_idempotently(
    sqlite_history: Database, postgresql: Database
) -> None:
    def stop_in_attendance(table: str, done: int, total: int) -> None:
        if table == "session_attendance" and done == 2:
            raise Interrupted(table)

    with pytest.raises(Interrupted):
        await copy_history(
            sqlite_history, postgresql, plugins=PLUGINS, batch_size=2, progress=stop_in_attendance
        )
    result = await copy_history(sqlite_history, postgresql, plugins=PLUGINS, batch_size=2)
    assert result.complete
    assert await everything(postgresql) == await everything(sqlite_history)


async def test_a_target_holding_another_history_is_refused(
    sqlite_history: Database, postgresql: Database
) -> None:
    other = ChatScript("oftc", sink=Recorder(postgresql).record)
    other.joined("mallory", "#elsewhere")
    other.said("mallory", "another history", "#elsewhere")
    await postgresql.flush()
    before = await everything(postgresql)
    with pytest.raises(DifferentHistoryError, match="another history") as refused:
        await copy_history(sqlite_history, postgresql, plugins=PLUGINS)
    assert "networks" in str(refused.value)
    after = await everything(postgresql)
    # Nothing written but the schema of the source's plugins (empty tables).
    assert {name: after[name] for name in before} == before
    assert all(rows == [] for name, rows in after.items() if name not in before)


async def test_a_plugin_whose_tables_the_source_holds_must_be_installed(
    sqlite_history: Database, postgresql: Database
) -> None:
    with pytest.raises(CopyError, match=r"plugin 'openings'.*not installed"):
        await copy_history(sqlite_history, postgresql, plugins={})


async def test_rows_written_to_the_source_meanwhile_show_in_the_counts(
    sqlite_history: Database, postgresql: Database
) -> None:
    def presence_run_writes(table: str, done: int, total: int) -> None:
        if table == "messages" and done == total:  # as `presence run` would, still running
            with closing(sqlite3.connect(sqlite_history.path)) as other, other:
                other.execute(
                    "INSERT INTO messages (channel_id, identity_id, at, kind, text) "
                    "VALUES (1, 1, 0, 'message', 'said during the copy')"
                )

    result = await copy_history(
        sqlite_history, postgresql, plugins=PLUGINS, progress=presence_run_writes
    )
    assert not result.complete
    assert [(t.name, t.source, t.target) for t in result.tables if not t.equal] == [
        ("messages", 26, 25)
    ]
