"""BatchWriter: when batches are committed, in what order, and what survives failures."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.storage.database import Database
from assistant.storage.writer import StorageError
from assistant.testing.database import temporary_database

LOG_TABLE = "CREATE TABLE test_log (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, tag TEXT)"
INSERT = "INSERT INTO test_log (n, tag) VALUES (?, ?)"


async def with_log(db: Database) -> None:
    await db.apply_migrations("plugin:test", [LOG_TABLE])


def committed_rows(path: Path) -> list[tuple[int, str | None]]:
    """Read through a second connection: only committed rows are visible there."""
    with sqlite3.connect(path) as raw:
        return raw.execute("SELECT n, tag FROM test_log ORDER BY id").fetchall()


async def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll ``condition`` (writer counters have no event to wait on) until it holds."""
    async with asyncio.timeout(timeout):
        while True:
            if condition():
                return
            await asyncio.sleep(0.005)


async def test_a_batch_is_committed_as_soon_as_half_of_batch_size_ops_are_pending() -> None:
    async with temporary_database(batch_size=20, flush_interval=60) as db:
        await with_log(db)
        for n in range(9):
            db.writer.submit((INSERT, (n, None)))
        await asyncio.sleep(0.05)
        assert committed_rows(db.path) == []
        db.writer.submit((INSERT, (9, None)))
        await wait_until(lambda: db.writer.committed == 10)
        assert [n for n, _ in committed_rows(db.path)] == list(range(10))
        assert db.writer.batches == 1


async def test_a_few_ops_are_committed_by_the_timer() -> None:
    async with temporary_database(batch_size=10_000, flush_interval=0.05) as db:
        await with_log(db)
        for n in range(3):
            db.writer.submit((INSERT, (n, None)))
        await wait_until(lambda: db.writer.committed == 3, timeout=2)
        assert [n for n, _ in committed_rows(db.path)] == [0, 1, 2]


async def test_close_commits_what_is_pending(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "p.sqlite3", batch_size=10_000, flush_interval=60)
    await with_log(db)
    for n in range(5):
        db.writer.submit((INSERT, (n, None)))
    await db.close()
    assert [n for n, _ in committed_rows(tmp_path / "p.sqlite3")] == list(range(5))


async def test_order_is_kept_across_statements_batches_and_immediate_writes() -> None:
    async with temporary_database(batch_size=7, flush_interval=0.01) as db:
        await with_log(db)
        for n in range(300):
            db.writer.submit((INSERT, (n, "a" if n % 3 else None)))
            if n % 5 == 0:  # a different statement breaks the executemany group
                db.writer.submit(("UPDATE test_log SET tag = 'u' WHERE n = ?", (n,)))
            if n % 50 == 0:
                await asyncio.sleep(0)
            if n == 150:
                await db.execute("UPDATE test_log SET tag = 'x' WHERE n <= 150")
        await db.flush()
        rows = committed_rows(db.path)
        assert [n for n, _ in rows] == list(range(300))
        expected = [
            "x" if n <= 150 else "u" if n % 5 == 0 else "a" if n % 3 else None for n in range(300)
        ]
        assert [tag for _, tag in rows] == expected
        assert db.writer.batches > 1


async def test_a_rejected_op_is_dropped_without_losing_its_batch(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with temporary_database(batch_size=10_000, flush_interval=60) as db:
        await with_log(db)
        db.writer.submit((INSERT, (1, None)))
        db.writer.submit((INSERT, (None, "NOT NULL violated")))
        db.writer.submit(("INSERT INTO no_such_table VALUES (?)", (1,)))
        db.writer.submit((INSERT, (2, None)))
        db.writer.submit((INSERT, (3,)))  # wrong parameter count
        db.writer.submit((INSERT, (4, None)))
        await db.flush()
        assert [n for n, _ in committed_rows(db.path)] == [1, 2, 4]
        assert (db.writer.committed, db.writer.dropped) == (3, 3)
        assert caplog.text.count("dropped a write") == 3


async def test_a_locked_database_keeps_the_ops_queued_for_a_retry() -> None:
    async with temporary_database(batch_size=10_000, flush_interval=0.02) as db:
        await with_log(db)
        await db.run_in_thread(lambda conn: conn.execute("PRAGMA busy_timeout = 20"))
        other = sqlite3.connect(db.path, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
            db.writer.submit((INSERT, (1, None)))
            with pytest.raises(StorageError, match="locked"):
                await db.flush()
            assert db.writer.pending == 1
            other.execute("COMMIT")
        finally:
            other.close()
        await db.flush()
        assert [n for n, _ in committed_rows(db.path)] == [1]


async def test_cancelling_a_flush_does_not_interrupt_the_batch() -> None:
    async with temporary_database(batch_size=10_000, flush_interval=60) as db:
        await with_log(db)
        for n in range(2000):
            db.writer.submit((INSERT, (n, None)))
        waiting = asyncio.create_task(db.flush())
        await asyncio.sleep(0)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        db.writer.submit((INSERT, (2000, None)))
        await db.flush()
        assert [n for n, _ in committed_rows(db.path)] == list(range(2001))


async def test_a_cancelled_job_that_has_not_started_does_not_run() -> None:
    async with temporary_database(batch_size=10_000, flush_interval=60) as db:
        await with_log(db)
        for n in range(500):
            db.writer.submit((INSERT, (n, None)))
        job = asyncio.create_task(db.execute(INSERT, (-1, "job")))
        await asyncio.sleep(0)
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job
        await db.flush()
        assert -1 not in [n for n, _ in committed_rows(db.path)]


async def test_a_job_whose_caller_gives_up_while_it_runs_leaves_the_writer_working(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "p.sqlite3", batch_size=10_000, flush_interval=60)
    await with_log(db)
    started, release = threading.Event(), threading.Event()

    def slow(conn: sqlite3.Connection) -> int:
        started.set()
        release.wait()
        conn.execute(INSERT, (-1, "job"))
        return 1

    job = asyncio.create_task(db.transaction(slow))
    await asyncio.to_thread(started.wait)
    job.cancel()  # as shutdown does, while the job is on the database thread
    with pytest.raises(asyncio.CancelledError):
        await job
    release.set()
    db.writer.submit((INSERT, (1, None)))
    await db.flush()
    assert await db.transaction(lambda conn: 2) == 2
    db.writer.submit((INSERT, (2, None)))
    started.clear()
    release.clear()
    job = asyncio.create_task(db.transaction(slow))  # the same during close
    await asyncio.to_thread(started.wait)
    job.cancel()
    closing = asyncio.create_task(db.close())
    await asyncio.sleep(0)
    release.set()
    await closing
    with pytest.raises(asyncio.CancelledError):
        await job
    rows = committed_rows(tmp_path / "p.sqlite3")
    assert rows == [(-1, "job"), (1, None), (2, None), (-1, "job")]


async def test_a_flood_is_committed_in_batches_of_at_most_half_the_batch_size() -> None:
    async with temporary_database(batch_size=40, flush_interval=60) as db:
        await with_log(db)
        for n in range(5000):
            await db.writer.put((INSERT, (n, None)))
            assert db.writer.most_uncommitted <= 40
            if n % 7 == 0:
                await asyncio.sleep(0)
        await db.flush()
        assert [n for n, _ in committed_rows(db.path)] == list(range(5000))
        assert max(db.writer.batch_sizes) == db.writer.chunk == 20
        assert db.writer.most_uncommitted <= 40
        assert db.writer.stalls == 0
