"""The one writer: every write to the database goes through a single ordered queue.

Callers :meth:`BatchWriter.submit` plain ``(sql, params)`` operations without awaiting; a
background task commits them in batches, one transaction per batch, run as a single call
on aiosqlite's own thread so that a batch costs one thread hop rather than one per
statement. Consecutive operations with the same SQL become one ``executemany``.

Why one task owns every write: a transaction half-done when its awaiting coroutine is
cancelled (shutdown, a timed-out command) would wedge the connection. Callers of
:meth:`~BatchWriter.flush` and :meth:`~BatchWriter.run` only await futures, so cancelling
them never interrupts a transaction.

A crash (even ``kill -9``) loses at most the operations not yet committed: SQLite's WAL
makes each batch all-or-nothing.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from itertools import groupby
from operator import itemgetter
from typing import Any, TypeAlias, TypeVar, cast

import aiosqlite

__all__ = ["BatchWriter", "Op", "Params", "StorageError", "run_in_thread"]

log = logging.getLogger(__name__)

Params: TypeAlias = Sequence[object] | Mapping[str, object]
"""Statement parameters: a sequence for ``?``/``?N`` placeholders, a mapping for ``:name``."""

Op: TypeAlias = tuple[str, Params]
"""One write: an SQL statement and its parameters."""

T = TypeVar("T")

# Primary result codes that mean "this statement is wrong" rather than "the database
# cannot be written": such an operation is dropped so that it cannot block the queue.
_OP_FAULTS = frozenset(
    {
        sqlite3.SQLITE_ERROR,
        sqlite3.SQLITE_CONSTRAINT,
        sqlite3.SQLITE_MISMATCH,
        sqlite3.SQLITE_RANGE,
        sqlite3.SQLITE_TOOBIG,
    }
)


class StorageError(Exception):
    """The database could not be written; the unwritten operations stay queued for a retry."""


def _is_op_fault(exc: Exception) -> bool:
    """Tell an operation's own fault (drop it) from the database's (keep it, retry later)."""
    if not isinstance(exc, sqlite3.Error):
        return True  # e.g. a parameter object that fails while being bound
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        # Binding errors (wrong parameter count or type) come without an SQLite code.
        return isinstance(exc, sqlite3.ProgrammingError | sqlite3.InterfaceError)
    return (code & 0xFF) in _OP_FAULTS


async def run_in_thread(conn: aiosqlite.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``work`` with the raw connection on aiosqlite's thread, in one hop.

    aiosqlite has no public "run this function on the connection thread" call; its
    ``_execute`` has been that function since its first releases. Using it keeps a
    whole batch to one thread hop (a hop costs ~0.2-0.4 ms here, so a statement per hop
    would cap ingestion far below the target). This is the only private use.
    """
    execute = cast(Callable[..., Awaitable[T]], conn._execute)
    return await execute(work, conn._conn)


def _write_batch(conn: sqlite3.Connection, batch: list[Op]) -> list[tuple[Op, Exception]]:
    """Commit ``batch`` in one transaction; return the operations dropped as faulty.

    The fast path groups consecutive operations sharing their SQL into ``executemany``.
    If one operation is faulty the transaction is rolled back and the batch replayed one
    statement at a time, so a single bad row costs only itself. Errors that are not the
    operation's fault (disk full, I/O, locked) are raised with nothing committed.
    """
    cursor = conn.cursor()
    try:
        cursor.execute("BEGIN IMMEDIATE")
        for sql, group in groupby(batch, key=itemgetter(0)):
            rows = [params for _, params in group]
            if len(rows) == 1:
                cursor.execute(sql, rows[0])
            else:
                cursor.executemany(sql, rows)
        cursor.execute("COMMIT")
        return []
    except Exception as exc:
        if conn.in_transaction:
            conn.rollback()
        if not _is_op_fault(exc):
            raise
    dropped: list[tuple[Op, Exception]] = []
    try:
        cursor.execute("BEGIN IMMEDIATE")
        for op in batch:
            try:
                cursor.execute(*op)
            except Exception as exc:
                if not (_is_op_fault(exc) and conn.in_transaction):
                    raise
                dropped.append((op, exc))
        cursor.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.rollback()
        raise
    return dropped


class BatchWriter:
    """The one writer: ops are queued in order and committed in batches by one task.

    A batch is flushed in ONE transaction when ``batch_size`` ops are pending, on a short
    timer (``flush_interval``), on :meth:`flush`, and at :meth:`close`. Exclusive work
    (:meth:`run`) is ordered after everything submitted before it. A crash loses at most
    the unflushed batch, never corrupts.
    """

    def __init__(
        self, conn: aiosqlite.Connection, *, batch_size: int = 500, flush_interval: float = 0.25
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if flush_interval <= 0:
            raise ValueError("flush_interval must be positive")
        self._conn = conn
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self._pending: list[Op] = []
        # Sequence numbers: _pending[0] is op number _taken; ops before _done are committed.
        self._taken = 0
        self._done = 0
        self._jobs: deque[tuple[int, Callable[[sqlite3.Connection], Any], asyncio.Future[Any]]]
        self._jobs = deque()
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self.batches = 0
        """Transactions committed by the writer (each batch is one)."""
        self.committed = 0
        """Operations committed, in submission order."""
        self.dropped = 0
        """Operations dropped because SQLite rejected them (each is logged)."""

    @property
    def pending(self) -> int:
        """Operations queued and not yet handed to a transaction."""
        return len(self._pending)

    def start(self) -> None:
        """Start the writer task on the running loop (called by ``Database.open``)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="storage-writer")

    def submit(self, op: Op) -> None:
        """Queue one write; never awaits, never touches the database.

        Raises:
            RuntimeError: the writer is closed (a write after shutdown is a bug, not data to drop).
        """
        if self._closed:
            raise RuntimeError("the database writer is closed")
        pending = self._pending
        pending.append(op)
        if len(pending) >= self.batch_size:
            self._wake.set()

    async def flush(self) -> None:
        """Return once every op submitted before this call is committed.

        Raises:
            StorageError: the database cannot be written right now (the ops stay queued).
        """
        target = self._taken + len(self._pending)
        if self._done >= target:
            return
        self._check_running()
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((target, future))
        self._wake.set()
        await future

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work(conn)`` on the database thread as the writer, after all pending ops.

        ``work`` owns its transaction (begin, commit or roll back); nothing else writes
        while it runs. Used for immediate writes, migrations and deletions.
        """
        self._check_running()
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._jobs.append((self._taken + len(self._pending), work, future))
        self._wake.set()
        return await future

    async def close(self) -> None:
        """Commit everything still queued and stop the writer task (idempotent).

        Raises:
            StorageError: the last operations could not be written (they are lost, and logged).
        """
        self._closed = True
        if self._task is None:
            return
        self._wake.set()
        # Shielded: a cancelled close must not abandon a transaction half-way.
        await asyncio.shield(self._task)

    def _check_running(self) -> None:
        if self._task is None or self._task.done():
            raise RuntimeError("the database writer is not running")

    async def _run(self) -> None:
        failures = 0
        while True:
            if not self._wake.is_set():
                try:
                    async with asyncio.timeout(self.flush_interval):
                        await self._wake.wait()
                except TimeoutError:
                    pass
            self._wake.clear()
            try:
                await self._cycle()
            except StorageError as exc:
                failures += 1
                self._fail_waiters(exc)
                if self._closed:
                    log.error("storage: %d writes lost at close: %s", len(self._pending), exc)
                    raise
                log.log(
                    logging.ERROR if failures == 1 else logging.DEBUG,
                    "storage: cannot write (%s); %d writes kept for retry",
                    exc,
                    len(self._pending),
                )
                continue
            if failures:
                log.info("storage: writing again after %d failed attempts", failures)
                failures = 0
            if self._closed and not self._pending and not self._jobs:
                return
            if len(self._pending) >= self.batch_size:
                self._wake.set()

    async def _cycle(self) -> None:
        """Write pending ops and run queued jobs in submission order."""
        while self._jobs:
            position, work, future = self._jobs[0]
            await self._write_until(position)
            self._jobs.popleft()
            if future.done():  # the caller gave up before the job started
                continue
            try:
                result = await run_in_thread(self._conn, work)
            except Exception as exc:
                future.set_exception(exc)
            else:
                future.set_result(result)
        await self._write_until(self._taken + len(self._pending))

    async def _write_until(self, position: int) -> None:
        count = position - self._taken
        if count <= 0:
            return
        if count == len(self._pending):
            batch, self._pending = self._pending, []
        else:
            batch = self._pending[:count]
            del self._pending[:count]
        self._taken += count
        try:
            dropped = await run_in_thread(self._conn, lambda conn: _write_batch(conn, batch))
        except Exception as exc:
            # Nothing was committed: put the batch back, in order, for the next attempt.
            self._pending[:0] = batch
            self._taken -= count
            raise StorageError(f"{type(exc).__name__}: {exc}") from exc
        for (sql, params), error in dropped:
            log.error("storage: dropped a write SQLite rejected (%s): %s %r", error, sql, params)
        self._done += count
        self.batches += 1
        self.committed += count - len(dropped)
        self.dropped += len(dropped)
        self._resolve_waiters()

    def _resolve_waiters(self) -> None:
        done, waiting = self._done, []
        for target, future in self._waiters:
            if target <= done:
                if not future.done():
                    future.set_result(None)
            else:
                waiting.append((target, future))
        self._waiters = waiting

    def _fail_waiters(self, exc: StorageError) -> None:
        waiters, self._waiters = self._waiters, []
        jobs, self._jobs = self._jobs, deque()
        for future in [f for _, f in waiters] + [f for _, _, f in jobs]:
            if not future.done():
                future.set_exception(exc)
