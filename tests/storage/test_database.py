"""Database: opening, pragmas, versioned migrations, and ordered reads and writes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from assistant.storage.database import (
    CORE_NAMESPACE,
    Database,
    MigrationError,
    core_migrations,
    split_statements,
)
from assistant.testing.database import temporary_database

CORE_TABLES = {
    "channels",
    "connection_gaps",
    "identities",
    "messages",
    "networks",
    "persons",
    "plugin_kv",
    "presence_intervals",
    "schema_migrations",
    "session_attendance",
    "sessions",
    "topics",
}


async def tables(db: Database) -> set[str]:
    rows = await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {row["name"] for row in rows}


async def versions(db: Database, namespace: str) -> list[tuple[int, float]]:
    rows = await db.fetchall(
        "SELECT version, applied_at FROM schema_migrations WHERE namespace = ? ORDER BY version",
        (namespace,),
    )
    return [(row["version"], row["applied_at"]) for row in rows]


async def test_core_migrations_apply_once_and_reopening_is_a_no_op(tmp_path: Path) -> None:
    path = tmp_path / "presence.sqlite3"
    async with await Database.open(path) as db:
        assert await tables(db) >= CORE_TABLES
        first = await versions(db, CORE_NAMESPACE)
    assert [version for version, _ in first] == list(range(1, len(core_migrations()) + 1))
    async with await Database.open(path) as db:
        assert await versions(db, CORE_NAMESPACE) == first


async def test_the_file_is_in_wal_mode_with_the_documented_pragmas() -> None:
    async with temporary_database() as db:
        mode = await db.fetchone("PRAGMA journal_mode")
        assert mode is not None and mode[0] == "wal"
        assert db.path.with_name(db.path.name + "-wal").exists()
        pragmas = {}
        for name in ("synchronous", "foreign_keys", "busy_timeout"):
            row = await db.fetchone(f"PRAGMA {name}")
            assert row is not None
            pragmas[name] = row[0]
        assert pragmas == {"synchronous": 1, "foreign_keys": 1, "busy_timeout": 5000}


async def test_plugin_migrations_are_versioned_in_their_own_namespace() -> None:
    first = "CREATE TABLE demo_notes (id INTEGER PRIMARY KEY, note TEXT NOT NULL)"
    second = "ALTER TABLE demo_notes ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0"
    async with temporary_database() as db:
        await db.apply_migrations("plugin:demo", [first])
        await db.execute("INSERT INTO demo_notes (note) VALUES ('kept')")
        await db.apply_migrations("plugin:demo", [first, second])
        await db.apply_migrations("plugin:demo", [first, second])
        assert [v for v, _ in await versions(db, "plugin:demo")] == [1, 2]
        row = await db.fetchone("SELECT note, pinned FROM demo_notes")
        assert row is not None and tuple(row) == ("kept", 0)
        core = list(range(1, len(core_migrations()) + 1))
        assert [v for v, _ in await versions(db, CORE_NAMESPACE)] == core


async def test_a_failing_migration_is_rolled_back_and_reported() -> None:
    broken = "CREATE TABLE demo_half (id INTEGER); INSERT INTO demo_missing VALUES (1);"
    async with temporary_database() as db:
        with pytest.raises(MigrationError, match="plugin:demo migration 1"):
            await db.apply_migrations("plugin:demo", [broken])
        assert "demo_half" not in await tables(db)
        assert await versions(db, "plugin:demo") == []


async def test_an_applied_migration_that_was_edited_is_refused() -> None:
    async with temporary_database() as db:
        await db.apply_migrations("plugin:demo", ["CREATE TABLE demo_a (x INTEGER)"])
        # Re-indenting is not an edit.
        await db.apply_migrations("plugin:demo", ["CREATE TABLE demo_a (\n    x INTEGER\n)"])
        with pytest.raises(MigrationError, match="changed after it was applied"):
            await db.apply_migrations("plugin:demo", ["CREATE TABLE demo_a (y INTEGER)"])


async def test_a_database_newer_than_the_code_is_refused() -> None:
    async with temporary_database() as db:
        await db.apply_migrations("plugin:demo", ["CREATE TABLE demo_a (x)", "SELECT 1"])
        with pytest.raises(MigrationError, match="version 2 but this code knows only 1"):
            await db.apply_migrations("plugin:demo", ["CREATE TABLE demo_a (x)"])


def test_scripts_split_into_whole_statements() -> None:
    script = """
    -- a comment; with a semicolon
    CREATE TABLE t (x TEXT DEFAULT 'a;b');
    CREATE TRIGGER tr AFTER INSERT ON t BEGIN
        UPDATE t SET x = 'c;' WHERE rowid = NEW.rowid;
    END;
    -- trailing comment
    """
    statements = split_statements(script)
    assert len(statements) == 2
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].endswith("END;")
    with pytest.raises(MigrationError, match="incomplete"):
        split_statements("CREATE TABLE t (x); CREATE TABLE u (x DEFAULT 'unterminated")


async def test_reads_see_writes_submitted_before_them() -> None:
    async with temporary_database(batch_size=10_000, flush_interval=60) as db:
        db.writer.submit(("INSERT INTO plugin_kv (plugin, key, value) VALUES ('p', 'k', '1')", ()))
        row = await db.fetchone("SELECT value FROM plugin_kv WHERE key = 'k'")
        assert row is not None and row["value"] == "1"


async def test_execute_is_ordered_after_queued_writes() -> None:
    async with temporary_database(batch_size=10_000, flush_interval=60) as db:
        insert = "INSERT INTO plugin_kv (plugin, key, value) VALUES (?, ?, ?)"
        db.writer.submit((insert, ("p", "k", "queued")))
        await db.execute("UPDATE plugin_kv SET value = 'immediate' WHERE key = 'k'")
        row = await db.fetchone("SELECT value FROM plugin_kv")
        assert row is not None and row["value"] == "immediate"


async def test_a_transaction_stands_or_falls_as_a_whole() -> None:
    def half_done(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO plugin_kv (plugin, key, value) VALUES ('p', 'a', '1')")
        conn.execute("INSERT INTO plugin_kv (plugin, key, value) VALUES ('p', 'b', NULL)")

    def done(conn: sqlite3.Connection) -> int:
        conn.execute("INSERT INTO plugin_kv (plugin, key, value) VALUES ('p', 'c', '3')")
        return 7

    async with temporary_database() as db:
        with pytest.raises(sqlite3.IntegrityError):
            await db.transaction(half_done)
        assert await db.transaction(done) == 7
        rows = await db.fetchall("SELECT key FROM plugin_kv")
        assert [row["key"] for row in rows] == ["c"]


async def test_close_flushes_and_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "presence.sqlite3"
    db = await Database.open(path, batch_size=10_000, flush_interval=60)
    db.writer.submit(("INSERT INTO plugin_kv (plugin, key, value) VALUES ('p', 'k', 'v')", ()))
    await db.close()
    await db.close()
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT value FROM plugin_kv").fetchall() == [("v",)]
    with pytest.raises(RuntimeError, match="closed"):
        db.writer.submit(("SELECT 1", ()))
