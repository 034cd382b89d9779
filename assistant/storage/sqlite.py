"""The SQLite backend (the default): one file, WAL, one aiosqlite connection and its thread.

Everything SQLite-specific lives here: opening the file and its pragmas, hopping onto
aiosqlite's thread, ``BEGIN IMMEDIATE`` transactions, how a batch is committed and which
SQLite errors are a statement's own fault.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TypeVar, cast

import aiosqlite

from assistant.events import utcnow
from assistant.storage.backend import Backend, Dropped, Op, Params, execute_grouped
from assistant.storage.schema import (
    SCHEMA_MIGRATIONS,
    MigrationError,
    pending_migrations,
    split_statements,
)

__all__ = [
    "BUSY_TIMEOUT_MS",
    "WAL_CHECKPOINT_PAGES",
    "WAL_SIZE_LIMIT",
    "SQLiteBackend",
    "run_in_thread",
]

T = TypeVar("T")

BUSY_TIMEOUT_MS = 5000
"""How long a statement waits for another process's write lock before failing."""
WAL_CHECKPOINT_PAGES = 10_000
"""WAL pages (about 40 MB) after which a commit copies them back into the file."""
WAL_SIZE_LIMIT = 64 * 1024 * 1024
"""Bytes the WAL file is cut back to after a checkpoint."""

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


async def run_in_thread(conn: aiosqlite.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``work`` with the raw connection on aiosqlite's thread, in one hop.

    aiosqlite has no public "run this function on the connection thread" call; its
    ``_execute`` has been that function since its first releases. Using it keeps a
    whole batch to one thread hop (a hop costs ~0.2-0.4 ms here, so a statement per hop
    would cap ingestion far below the target). This is the only private use.
    """
    execute = cast(Callable[..., Awaitable[T]], conn._execute)
    return await execute(work, conn._conn)


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.rollback()


class SQLiteBackend(Backend[sqlite3.Connection]):
    """One SQLite file in WAL mode through one aiosqlite connection; use :meth:`open`."""

    name = "sqlite"

    def __init__(self, path: Path, conn: aiosqlite.Connection) -> None:
        """Wrap an open, configured connection; use :meth:`open` instead."""
        self.path = path
        self._conn = conn

    @classmethod
    async def open(cls, path: Path) -> SQLiteBackend:
        """Open or create the file and set it up (WAL, foreign keys, busy timeout).

        Raises:
            sqlite3.Error: the file cannot be opened as an SQLite database in WAL mode.
        """
        path = Path(path)
        conn = await aiosqlite.connect(path, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            mode = await conn.execute_fetchall("PRAGMA journal_mode = WAL")
            if str(next(iter(mode))[0]).lower() != "wal":
                raise sqlite3.OperationalError(f"{path}: cannot switch to WAL journal mode")
            # NORMAL in WAL mode: a committed batch survives a crash of the process; only
            # a power loss may drop the last commits, and nothing is ever corrupted.
            await conn.execute("PRAGMA synchronous = NORMAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            # The writer commits small batches (bounded loss); checkpointing the WAL back
            # into the file every 1,000 pages (the default) then costs more than the
            # writes themselves, so it runs every WAL_CHECKPOINT_PAGES pages, and the WAL
            # is cut back to WAL_SIZE_LIMIT after each checkpoint.
            await conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
            await conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
        except BaseException:
            await conn.close()
            raise
        return cls(path, conn)

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work(conn)`` on aiosqlite's thread in one hop."""
        return await run_in_thread(self._conn, work)

    def write_batch(self, conn: sqlite3.Connection, batch: list[Op]) -> Dropped:
        """Commit ``batch`` in one transaction; return the operations dropped as faulty.

        The fast path groups consecutive operations sharing their SQL into ``executemany``.
        If one operation is faulty the transaction is rolled back and the batch replayed one
        statement at a time, so a single bad row costs only itself. Errors that are not the
        operation's fault (disk full, I/O, locked) are raised with nothing committed.
        """
        cursor = conn.cursor()
        try:
            cursor.execute("BEGIN IMMEDIATE")
            execute_grouped(cursor, batch)
            cursor.execute("COMMIT")
            return []
        except Exception as exc:
            _rollback(conn)
            if not self.is_op_fault(exc):
                raise
        dropped: Dropped = []
        try:
            cursor.execute("BEGIN IMMEDIATE")
            for op in batch:
                try:
                    cursor.execute(*op)
                except Exception as exc:
                    if not (self.is_op_fault(exc) and conn.in_transaction):
                        raise
                    dropped.append((op, exc))
            cursor.execute("COMMIT")
        except BaseException:
            _rollback(conn)
            raise
        return dropped

    def transaction(self, conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work(conn)`` in ``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back if it raises."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = work(conn)
            conn.execute("COMMIT")
        except BaseException:
            _rollback(conn)
            raise
        return result

    def apply_migrations(
        self, conn: sqlite3.Connection, namespace: str, scripts: Sequence[str]
    ) -> list[int]:
        """Apply the missing migrations of ``namespace``; return the versions applied."""
        conn.execute(SCHEMA_MIGRATIONS)
        known = dict(
            conn.execute(
                "SELECT version, checksum FROM schema_migrations WHERE namespace = ?", (namespace,)
            ).fetchall()
        )
        applied = []
        for version, script, fingerprint in pending_migrations(namespace, known, scripts):
            statements = split_statements(script)
            conn.execute("BEGIN IMMEDIATE")
            try:
                # Another process may have applied it while we waited for the write lock.
                if conn.execute(
                    "SELECT 1 FROM schema_migrations WHERE namespace = ? AND version = ?",
                    (namespace, version),
                ).fetchone():
                    conn.execute("COMMIT")
                    continue
                for statement in statements:
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations (namespace, version, applied_at, checksum) "
                    "VALUES (?, ?, ?, ?)",
                    (namespace, version, utcnow().timestamp(), fingerprint),
                )
                conn.execute("COMMIT")
            except Exception as exc:
                _rollback(conn)
                raise MigrationError(f"{namespace} migration {version} failed: {exc}") from exc
            applied.append(version)
        return applied

    def is_op_fault(self, exc: Exception) -> bool:
        """Tell an operation's own fault (drop it) from the database's (keep it, retry later)."""
        if not isinstance(exc, sqlite3.Error):
            return True  # e.g. a parameter object that fails while being bound
        code = getattr(exc, "sqlite_errorcode", None)
        if code is None:
            # Binding errors (wrong parameter count or type) come without an SQLite code.
            return isinstance(exc, sqlite3.ProgrammingError | sqlite3.InterfaceError)
        return (code & 0xFF) in _OP_FAULTS

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """Run one read on aiosqlite's thread and return every row."""
        rows = await self._conn.execute_fetchall(sql, params)
        return cast(list[sqlite3.Row], list(rows))

    async def close(self) -> None:
        """Close the connection and its thread."""
        await self._conn.close()

    def __repr__(self) -> str:
        return f"SQLiteBackend({str(self.path)!r})"
