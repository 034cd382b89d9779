"""The database: one backend connection, one writer, versioned migrations.

Reads go straight to the backend after flushing pending writes, so a caller always reads
what was submitted before it asked. Every write goes through the
:class:`~assistant.storage.writer.BatchWriter`, which keeps one global order; nothing here
ever blocks the event loop, because all database work runs on the backend's thread
(:mod:`assistant.storage.backend`; SQLite, the default, in :mod:`assistant.storage.sqlite`).

Work functions (:meth:`Database.transaction`, :meth:`Database.run_in_thread`) are still
typed against ``sqlite3.Connection``: every caller is SQLite code today. They only use the
subset described by :class:`assistant.storage.backend.Connection`, which is what a second
backend hands them.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar

from assistant.config.base import secret
from assistant.config.sections import StorageSettings
from assistant.storage.backend import Backend
from assistant.storage.schema import (
    CORE_NAMESPACE,
    MigrationError,
    Migrations,
    core_migrations,
    migrations_for,
    split_statements,
)
from assistant.storage.sqlite import BUSY_TIMEOUT_MS, SQLiteBackend
from assistant.storage.writer import BatchWriter, Params, StorageError

if TYPE_CHECKING:
    from assistant.config import Settings

__all__ = [
    "BUSY_TIMEOUT_MS",
    "CORE_NAMESPACE",
    "Database",
    "MigrationError",
    "core_migrations",
    "missing_history",
    "split_statements",
]

log = logging.getLogger(__name__)

POSTGRESQL_INSTALL_HINT = "pip install 'chat-presence-assistant[postgresql]'"

T = TypeVar("T")


def missing_history(settings: Settings) -> Path | None:
    """The SQLite file ``settings`` name if it does not exist (nothing recorded yet), else None.

    A PostgreSQL database is never "missing" here: connecting to it says what is wrong.
    """
    if settings.storage.backend != "sqlite":
        return None
    path = settings.resolve(settings.storage.path)
    return None if path.exists() else path


class Database:
    """The assistant's database: one backend connection (SQLite or PostgreSQL), one batching writer.

    Open it with :meth:`open` (or ``async with await Database.open(path) as db``). Plugins
    read with :meth:`fetchall`/:meth:`fetchone` and write with :meth:`execute`; the
    recorder writes through :attr:`writer`.
    """

    writer: BatchWriter

    def __init__(self, path: Path | None, backend: Backend[Any], writer: BatchWriter) -> None:
        """Wrap an open backend and its started writer; use :meth:`open` instead."""
        self._path = path
        self.writer = writer
        self.backend = backend
        """The engine behind this database: SQLite (the default) or PostgreSQL."""
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
        backend = await SQLiteBackend.open(path)
        return await cls._start(path, backend, "sqlite", batch_size, flush_interval)

    @classmethod
    async def open_postgresql(
        cls, dsn: str, *, batch_size: int = 2000, flush_interval: float = 0.25
    ) -> Database:
        """Connect to a PostgreSQL database, apply its core migrations, start the writer.

        Raises:
            StorageError: asyncpg is missing (with the install hint).
            ConnectionError: the server cannot be reached or refused the login (the message
                shows the DSN with its password masked).
            MigrationError: the core schema cannot be brought up to date.
        """
        try:
            from assistant.storage.postgresql import PostgreSQLBackend
        except ImportError as exc:
            raise StorageError(
                f"the PostgreSQL backend needs asyncpg ({exc}): {POSTGRESQL_INSTALL_HINT}"
            ) from None
        backend = await PostgreSQLBackend.open(dsn)
        return await cls._start(None, backend, "postgresql", batch_size, flush_interval)

    @classmethod
    async def open_configured(cls, storage: StorageSettings, path: Path) -> Database:
        """Open what ``[storage]`` names: the SQLite file at ``path`` or PostgreSQL.

        ``path`` is ``storage.path`` resolved against the config file's folder. For
        PostgreSQL the DSN is read from the environment variable ``storage.dsn_env``.

        Raises:
            ConfigError: the DSN's environment variable is not set.
        """
        if storage.backend == "postgresql":
            assert storage.dsn_env is not None  # the settings' validator makes sure
            dsn = secret(storage.dsn_env).get_secret_value()
            return await cls.open_postgresql(
                dsn, batch_size=storage.batch_size, flush_interval=storage.flush_interval
            )
        return await cls.open(
            path, batch_size=storage.batch_size, flush_interval=storage.flush_interval
        )

    @classmethod
    async def open_settings(cls, settings: Settings) -> Database:
        """Open the history ``settings`` name, as ``presence run`` does (:meth:`open_configured`).

        Commands that read what was recorded open it this way, so that they read PostgreSQL
        when ``[storage] backend = "postgresql"``; check :func:`missing_history` first.
        """
        storage = settings.storage
        return await cls.open_configured(storage, settings.resolve(storage.path))

    @classmethod
    async def _start(
        cls,
        path: Path | None,
        backend: Backend[Any],
        dialect: str,
        batch_size: int,
        flush_interval: float,
    ) -> Database:
        try:
            writer = BatchWriter(backend, batch_size=batch_size, flush_interval=flush_interval)
        except BaseException:
            await backend.close()
            raise
        writer.start()
        db = cls(path, backend, writer)
        try:
            await db.apply_migrations(CORE_NAMESPACE, core_migrations(dialect))
        except BaseException:
            await db.close()
            raise
        return db

    @property
    def path(self) -> Path:
        """The SQLite file.

        Raises:
            StorageError: the database is not an SQLite file (PostgreSQL).
        """
        if self._path is None:
            raise StorageError(f"a {self.backend.name} database has no file: {self.backend!r}")
        return self._path

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """Run a query and return every row, after committing pending writes."""
        await self.writer.flush()
        return await self.backend.fetchall(sql, params)

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """Run a query and return its first row (or None), after committing pending writes."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def execute(self, sql: str, params: Params = ()) -> None:
        """Write now, in a transaction of its own, after every write submitted before it."""
        await self.writer.run(
            lambda conn: self.backend.transaction(conn, lambda c: c.execute(sql, params))
        )

    async def transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work(conn)`` on the database thread as one transaction, after pending writes.

        ``work`` is plain synchronous :mod:`sqlite3` code; it is committed when it returns
        and rolled back when it raises. Use it for several writes that must stand or fall
        together, such as a deletion across tables.
        """
        return await self.writer.run(lambda conn: self.backend.transaction(conn, work))

    async def flush(self) -> None:
        """Commit every write submitted so far."""
        await self.writer.flush()

    async def apply_migrations(self, namespace: str, migrations: Migrations) -> None:
        """Apply ``migrations[i]`` as version ``i + 1`` of ``namespace`` unless already applied.

        ``migrations`` is one list of scripts, or a list per dialect
        (``{"sqlite": [...], "postgresql": [...]}``), of which this backend's is applied.
        Each migration runs in its own transaction and is recorded in ``schema_migrations``
        with a checksum, so an applied migration that was later edited is an error. Core
        uses namespace ``"core"``; a plugin uses ``"plugin:NAME"`` and prefixes its tables.

        Raises:
            MigrationError: a migration failed (it is rolled back), was edited after being
                applied, the database is newer than ``migrations``, or there are none in
                this backend's dialect.
        """
        if not namespace:
            raise ValueError("a migration namespace is required")
        scripts = migrations_for(namespace, migrations, self.backend.name)
        applied = await self.writer.run(
            lambda conn: self.backend.apply_migrations(conn, namespace, scripts)
        )
        if applied:
            log.info("storage: %s migrated to version %d", namespace, applied[-1])

    async def run_in_thread(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run read-only ``work(conn)`` on the database thread, after pending writes."""
        await self.writer.flush()
        return await self.backend.run(work)

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
            await self.backend.close()

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
        if self._path is None:
            return f"Database({self.backend!r})"
        return f"Database({str(self._path)!r})"
