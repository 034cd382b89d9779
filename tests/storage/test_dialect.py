"""The SQLite → PostgreSQL statement translation, checked by running it on a real server."""

from __future__ import annotations

import asyncpg
import pytest

from assistant.storage.dialect import DialectError, to_postgresql


@pytest.mark.parametrize(
    ("sqlite", "postgresql"),
    [
        ("SELECT * FROM t WHERE a = ? AND b = ?", "SELECT * FROM t WHERE a = $1 AND b = $2"),
        ("SELECT ?2, ?1, ?", "SELECT $2, $1, $3"),
        (
            "UPDATE t SET a = :a WHERE b = :b OR c = :a",
            "UPDATE t SET a = $1 WHERE b = $2 OR c = $1",
        ),
        ("SELECT '?', ':x', \"q?\" -- ?\n, ?", "SELECT '?', ':x', \"q?\" -- ?\n, $1"),
        ("SELECT a::text FROM t WHERE b = ?", "SELECT a::text FROM t WHERE b = $1"),
        (
            "INSERT OR IGNORE INTO t (a, b) VALUES (?, ?);",
            "INSERT INTO t (a, b) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        ),
        (
            "insert or ignore into t (a) values (?) returning id",
            "INSERT INTO t (a) values ($1) ON CONFLICT DO NOTHING returning id",
        ),
    ],
)
def test_statements_are_rewritten_for_postgresql(sqlite: str, postgresql: str) -> None:
    assert to_postgresql(sqlite).sql == postgresql


def test_named_parameters_become_a_tuple_in_placeholder_order() -> None:
    translation = to_postgresql("UPDATE t SET a = :a WHERE b = :b OR c = :a")
    assert translation.bind({"b": 2, "a": 1, "unused": 3}) == (1, 2)
    with pytest.raises(DialectError, match=":b"):
        translation.bind({"a": 1})
    with pytest.raises(DialectError, match="positional"):
        translation.bind((1, 2))


@pytest.mark.parametrize(
    ("sql", "hint"),
    [
        ("INSERT OR REPLACE INTO t (a) VALUES (?)", "ON CONFLICT \\(columns\\) DO UPDATE"),
        ("REPLACE INTO t (a) VALUES (?)", "ON CONFLICT \\(columns\\) DO UPDATE"),
        ("SELECT ? + :a", "mixes"),
    ],
)
def test_what_has_no_faithful_spelling_is_refused_with_what_to_write(sql: str, hint: str) -> None:
    with pytest.raises(DialectError, match=hint):
        to_postgresql(sql)


async def test_translated_statements_run_on_postgresql(postgres_dsn: str) -> None:
    conn = await asyncpg.connect(postgres_dsn)
    try:
        await conn.execute("CREATE TABLE people (id SERIAL PRIMARY KEY, nick TEXT UNIQUE)")
        insert = to_postgresql("INSERT OR IGNORE INTO people (nick) VALUES (?) RETURNING id")
        first = await conn.fetchval(insert.sql, *insert.bind(("alice",)))
        again = await conn.fetchval(insert.sql, *insert.bind(("alice",)))
        select = to_postgresql("SELECT id FROM people WHERE nick = :nick")
        found = await conn.fetchval(select.sql, *select.bind({"nick": "alice"}))
        count = await conn.fetchval("SELECT count(*) FROM people")
    finally:
        await conn.close()
    assert (first, again, found, count) == (1, None, 1, 1)
