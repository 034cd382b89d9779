"""Moving-house benchmark: ``presence db copy`` rows/s, next to a raw bulk copy in the same run.

Run ``python bench/db_copy.py [--messages N] [--batch-size N]``. It builds an SQLite history
(bulk SQL, not through the recorder: N messages from 2,000 people over 16 channels, an
analysis for every other message, a stay for every tenth), starts a throwaway PostgreSQL
cluster (:mod:`assistant.testing.postgres`), then times, each into a fresh database:

- SQLite → PostgreSQL with :func:`assistant.storage.copy.copy_history` (what the command
  runs), against a raw baseline: each table read with ``sqlite3`` and written with asyncpg's
  ``copy_records_to_table`` (PostgreSQL's ``COPY``, no checks, no resuming);
- PostgreSQL → SQLite with ``copy_history``, against a raw ``executemany`` per table in one
  transaction into a migrated file.

It prints rows/s for each and the ratio to its baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import tempfile
import time
from pathlib import Path

import asyncpg
from assistant_openings.store import MIGRATIONS_BY_DIALECT
from rich.console import Console
from rich.table import Table

from assistant.storage.copy import BATCH_SIZE, copy_history
from assistant.storage.database import Database
from assistant.testing.postgres import run_postgres

PLUGINS = {"openings": MIGRATIONS_BY_DIALECT}
WORDS = [
    "anyone",
    "interviewing",
    "over",
    "skype",
    "this",
    "week",
    "I",
    "just",
    "published",
    "a",
    "post",
    "about",
    "microphones",
]
PEOPLE, CHANNELS = 2000, 16
START = 1_700_000_000.0


def build(path: Path, messages: int, seed: int = 7) -> None:
    """Fill a migrated SQLite history with people, messages, analyses and stays."""
    rng = random.Random(seed)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    conn.execute("INSERT INTO networks (id, name, platform) VALUES (1, 'libera', 'irc')")
    conn.executemany(
        "INSERT INTO channels (id, network_id, key, name) VALUES (?, 1, ?, ?)",
        [(c, f"#room{c}", f"#room{c}") for c in range(1, CHANNELS + 1)],
    )
    conn.executemany(
        "INSERT INTO persons (id, created_at) VALUES (?, ?)",
        [(p, START) for p in range(1, PEOPLE + 1)],
    )
    conn.executemany(
        "INSERT INTO identities (id, platform, network_id, key, nick, person_id, first_seen) "
        "VALUES (?, 'irc', 1, ?, ?, ?, ?)",
        [(p, f"user{p}", f"user{p}", p, START) for p in range(1, PEOPLE + 1)],
    )
    conn.executemany(
        "INSERT INTO messages (id, channel_id, identity_id, at, kind, text, message_id) "
        "VALUES (?, ?, ?, ?, 'message', ?, ?)",
        (
            (
                m,
                rng.randrange(1, CHANNELS + 1),
                rng.randrange(1, PEOPLE + 1),
                START + m,
                f"user{rng.randrange(1, PEOPLE + 1)}: " + " ".join(rng.choices(WORDS, k=9)),
                f"m{m}",
            )
            for m in range(1, messages + 1)
        ),
    )
    conn.execute(
        "INSERT INTO message_analyses (message_id, key, topics, is_question, addressees, "
        "analyzed_at) SELECT id, message_id, '[\"microphones\"]', id % 3 = 0, "
        "'[\"' || substr(text, 1, instr(text, ':') - 1) || '\"]', at FROM messages "
        "WHERE id % 2 = 0"
    )
    conn.execute(
        "INSERT INTO presence_intervals (identity_id, channel_id, joined_at, left_at, "
        "left_kind) SELECT identity_id, channel_id, at, at + 3600, 'part' FROM messages "
        "WHERE id % 10 = 0"
    )
    conn.execute("COMMIT")
    conn.close()


def tables_of(path: Path) -> list[str]:
    """Tables with rows, parents first (the order the schema created them in)."""
    conn = sqlite3.connect(path)
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name != 'schema_migrations' ORDER BY rowid"
        )
    ]
    kept = [name for name in names if conn.execute(f'SELECT 1 FROM "{name}"').fetchone()]
    conn.close()
    return kept


async def raw_into_postgresql(path: Path, dsn: str) -> int:
    """Every table of ``path`` into ``dsn`` with COPY; return the rows."""
    async with await Database.open_postgresql(dsn) as db:
        await db.apply_migrations("plugin:openings", MIGRATIONS_BY_DIALECT)
    source = sqlite3.connect(path)
    conn = await asyncpg.connect(dsn)
    rows = 0
    try:
        async with conn.transaction():
            for name in ("message_analyses", "identities"):  # as the copy does: as they are
                await conn.execute(f'ALTER TABLE "{name}" DISABLE TRIGGER USER')
            for name in tables_of(path):
                cursor = source.execute(f'SELECT * FROM "{name}"')
                columns = [d[0] for d in cursor.description]
                records = cursor.fetchall()
                await conn.copy_records_to_table(name, records=records, columns=columns)
                rows += len(records)
    finally:
        await conn.close()
        source.close()
    return rows


def raw_into_sqlite(source_path: Path, path: Path) -> int:
    """Every table of ``source_path`` into a migrated ``path`` with executemany."""
    source = sqlite3.connect(source_path)
    conn = sqlite3.connect(path, isolation_level=None)
    rows = 0
    conn.execute("BEGIN")
    triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
    for name, _ in triggers:
        conn.execute(f'DROP TRIGGER "{name}"')
    for name in tables_of(source_path):
        cursor = source.execute(f'SELECT * FROM "{name}"')
        marks = ", ".join("?" * len(cursor.description))
        records = cursor.fetchall()
        conn.executemany(f'INSERT INTO "{name}" VALUES ({marks})', records)
        rows += len(records)
    for _, sql in triggers:
        conn.execute(sql)
    conn.execute("COMMIT")
    conn.close()
    source.close()
    return rows


async def timed_copy(source: Database, target: Database, batch_size: int) -> tuple[int, float]:
    began = time.perf_counter()
    result = await copy_history(source, target, plugins=PLUGINS, batch_size=batch_size)
    elapsed = time.perf_counter() - began
    assert result.complete, [t for t in result.tables if not t.equal]
    return result.copied, elapsed


async def main(messages: int, batch_size: int) -> None:
    console = Console()
    with tempfile.TemporaryDirectory(prefix="presence-bench-copy-") as folder:
        history = Path(folder) / "history.sqlite3"
        async with await Database.open(history) as db:
            await db.apply_migrations("plugin:openings", MIGRATIONS_BY_DIALECT)
        build(history, messages)
        table = Table(title=f"presence db copy, {messages:,} messages")
        for column in ("copy", "rows", "seconds", "rows/s", "raw baseline rows/s", "ratio"):
            table.add_column(column, justify="left" if column == "copy" else "right")
        with run_postgres() as cluster:
            to_pg, raw_pg = cluster.create_database(), cluster.create_database()
            async with (
                await Database.open(history) as source,
                await Database.open_postgresql(to_pg) as target,
            ):
                rows, elapsed = await timed_copy(source, target, batch_size)
            began = time.perf_counter()
            raw_rows = await raw_into_postgresql(history, raw_pg)
            raw_elapsed = time.perf_counter() - began
            assert raw_rows == rows, (raw_rows, rows)
            table.add_row(
                "SQLite → PostgreSQL",
                f"{rows:,}",
                f"{elapsed:.1f}",
                f"{rows / elapsed:,.0f}",
                f"{raw_rows / raw_elapsed:,.0f} (COPY)",
                f"{(rows / elapsed) / (raw_rows / raw_elapsed):.2f}",
            )
            back, raw_back = Path(folder) / "back.sqlite3", Path(folder) / "raw.sqlite3"
            for path in (back, raw_back):
                async with await Database.open(path) as db:
                    await db.apply_migrations("plugin:openings", MIGRATIONS_BY_DIALECT)
            async with (
                await Database.open_postgresql(to_pg) as source,
                await Database.open(back) as target,
            ):
                rows, elapsed = await timed_copy(source, target, batch_size)
            began = time.perf_counter()
            raw_rows = raw_into_sqlite(history, raw_back)
            raw_elapsed = time.perf_counter() - began
            table.add_row(
                "PostgreSQL → SQLite",
                f"{rows:,}",
                f"{elapsed:.1f}",
                f"{rows / elapsed:,.0f}",
                f"{raw_rows / raw_elapsed:,.0f} (executemany)",
                f"{(rows / elapsed) / (raw_rows / raw_elapsed):.2f}",
            )
        console.print(table)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500_000)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.batch_size))
