"""The SQLite database: one file, WAL, one connection, one writer, versioned migrations.

Reads go straight to the connection after flushing pending writes, so a caller always
reads what was submitted before it asked. Every write goes through the
:class:`~assistant.storage.writer.BatchWriter`, which keeps one global order; nothing here
ever blocks the event loop, because all SQLite work runs on aiosqlite's thread.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sqlite3
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Self, TypeVar

import aiosqlite

from assistant.events import utcnow
from assistant.storage.writer import BatchWriter, Params, run_in_thread

__all__ = ["CORE_NAMESPACE", "Database", "MigrationError", "core_migrations", "split_statements"]

log = logging.getLogger(__name__)

T = TypeVar("T")

CORE_NAMESPACE = "core"
"""The migration namespace of the core schema; plugins use ``plugin:NAME``."""

BUSY_TIMEOUT_MS = 5000
"""How long a statement waits for another process's write lock before failing."""
WAL_CHECKPOINT_PAGES = 10_000
"""WAL pages (about 40 MB) after which a commit copies them back into the file."""
WAL_SIZE_LIMIT = 64 * 1024 * 1024
"""Bytes the WAL file is cut back to after a checkpoint."""

_SCHEMA_MIGRATIONS = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    namespace TEXT NOT NULL,
    version INTEGER NOT NULL,
    applied_at REAL NOT NULL,
    checksum TEXT NOT NULL,
    PRIMARY KEY (namespace, version)
)
"""


_AROUND_PUNCTUATION = re.compile(r"\s*([(),;])\s*")


class MigrationError(Exception):
    """A migration could not be applied, or the database does not match the code."""


def core_migrations() -> list[str]:
    """Return the core migration scripts shipped in the package, in version order.

    Files are ``NNNN_name.sql`` numbered from 0001 without gaps, so that a missing or
    misnamed file is caught at start-up rather than skipped.
    """
    folder = resources.files("assistant.storage").joinpath("migrations")
    files = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".sql")),
        key=lambda entry: entry.name,
    )
    scripts = []
    for version, entry in enumerate(files, 1):
        if not entry.name.startswith(f"{version:04d}_"):
            raise MigrationError(f"core migration {entry.name}: expected number {version:04d}")
        scripts.append(entry.read_text(encoding="utf-8"))
    return scripts


def split_statements(script: str) -> list[str]:
    """Split an SQL script into statements, keeping trigger bodies and literals whole."""
    statements, buffer = [], ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if _has_code(buffer):
                statements.append(buffer.strip())
            buffer = ""
    if _has_code(buffer):
        raise MigrationError(f"incomplete SQL statement: {buffer.strip()[:60]!r}")
    return statements


def _has_code(sql: str) -> bool:
    lines = (line.split("--", 1)[0] for line in sql.splitlines())
    return any(line.strip(" \t;") for line in lines)


def _checksum(script: str) -> str:
    # Layout-insensitive, so re-indenting or re-wrapping a migration is not an edit.
    canonical = _AROUND_PUNCTUATION.sub(r"\1", " ".join(script.split()).strip())
    return hashlib.sha256(canonical.encode()).hexdigest()


def _apply(conn: sqlite3.Connection, namespace: str, scripts: Sequence[str]) -> list[int]:
    """Apply the missing migrations of ``namespace``; return the versions applied."""
    conn.execute(_SCHEMA_MIGRATIONS)
    known = dict(
        conn.execute(
            "SELECT version, checksum FROM schema_migrations WHERE namespace = ?", (namespace,)
        ).fetchall()
    )
    newest = max(known, default=0)
    if newest > len(scripts):
        raise MigrationError(
            f"{namespace}: the database is at version {newest} but this code knows only "
            f"{len(scripts)}; upgrade Presence (or the plugin) instead of downgrading"
        )
    applied = []
    for version, script in enumerate(scripts, 1):
        checksum = _checksum(script)
        if version in known:
            if known[version] != checksum:
                raise MigrationError(
                    f"{namespace} migration {version} was changed after it was applied; "
                    "add a new migration instead of editing an applied one"
                )
            continue
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
                (namespace, version, utcnow().timestamp(), checksum),
            )
            conn.execute("COMMIT")
        except Exception as exc:
            if conn.in_transaction:
                conn.rollback()
            raise MigrationError(f"{namespace} migration {version} failed: {exc}") from exc
        applied.append(version)
    return applied


def _write_one(conn: sqlite3.Connection, sql: str, params: Params) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(sql, params)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.rollback()
        raise


def _in_transaction(conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = work(conn)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.rollback()
        raise
    return result


class Database:
    """The assistant's SQLite database: WAL, one connection, one batching writer.

    Open it with :meth:`open` (or ``async with await Database.open(path) as db``). Plugins
    read with :meth:`fetchall`/:meth:`fetchone` and write with :meth:`execute`; the
    recorder writes through :attr:`writer`.
    """

    path: Path
    writer: BatchWriter

    def __init__(self, path: Path, conn: aiosqlite.Connection, writer: BatchWriter) -> None:
        """Wrap an open connection; use :meth:`open` instead."""
        self.path = path
        self.writer = writer
        self._conn = conn
        self._closed = False
        self.identity_epoch = 0
        """Bumped when identities, channels or networks are deleted, so caches of them reset."""

    @classmethod
    async def open(
        cls, path: Path, *, batch_size: int = 2000, flush_interval: float = 0.25
    ) -> Database:
        """Open or create the file, set it up, apply the core migrations, start the writer.

        Raises:
            MigrationError: the core schema cannot be brought up to date.
            sqlite3.Error: the file cannot be opened as an SQLite database.
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
            writer = BatchWriter(conn, batch_size=batch_size, flush_interval=flush_interval)
        except BaseException:
            await conn.close()
            raise
        writer.start()
        db = cls(path, conn, writer)
        try:
            await db.apply_migrations(CORE_NAMESPACE, core_migrations())
        except BaseException:
            await db.close()
            raise
        return db

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """Run a query and return every row, after committing pending writes."""
        await self.writer.flush()
        rows = await self._conn.execute_fetchall(sql, params)
        return list(rows)

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """Run a query and return its first row (or None), after committing pending writes."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def execute(self, sql: str, params: Params = ()) -> None:
        """Write now, in a transaction of its own, after every write submitted before it."""
        await self.writer.run(lambda conn: _write_one(conn, sql, params))

    async def transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work(conn)`` on the database thread as one transaction, after pending writes.

        ``work`` is plain synchronous :mod:`sqlite3` code; it is committed when it returns
        and rolled back when it raises. Use it for several writes that must stand or fall
        together, such as a deletion across tables.
        """
        return await self.writer.run(lambda conn: _in_transaction(conn, work))

    async def flush(self) -> None:
        """Commit every write submitted so far."""
        await self.writer.flush()

    async def apply_migrations(self, namespace: str, migrations: Sequence[str]) -> None:
        """Apply ``migrations[i]`` as version ``i + 1`` of ``namespace`` unless already applied.

        Each migration runs in its own transaction and is recorded in ``schema_migrations``
        with a checksum, so an applied migration that was later edited is an error. Core
        uses namespace ``"core"``; a plugin uses ``"plugin:NAME"`` and prefixes its tables.

        Raises:
            MigrationError: a migration failed (it is rolled back), was edited after being
                applied, or the database is newer than ``migrations``.
        """
        if not namespace:
            raise ValueError("a migration namespace is required")
        scripts = list(migrations)
        applied = await self.writer.run(lambda conn: _apply(conn, namespace, scripts))
        if applied:
            log.info("storage: %s migrated to version %d", namespace, applied[-1])

    async def run_in_thread(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run read-only ``work(conn)`` on the database thread, after pending writes."""
        await self.writer.flush()
        return await run_in_thread(self._conn, work)

    def identities_removed(self) -> None:
        """Note that identities (or channels, networks) were deleted; see ``identity_epoch``."""
        self.identity_epoch += 1

    async def close(self) -> None:
        """Commit what is pending, stop the writer and close the file (idempotent)."""
        if self._closed:
            return
        self._closed = True
        try:
            await self.writer.close()
        finally:
            await self._conn.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"Database({str(self.path)!r})"
