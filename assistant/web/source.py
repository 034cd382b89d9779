"""Where the dashboard's worker processes read the database, and their read-only connection.

The ranking and the summaries' background pass run in processes of their own (see
:mod:`assistant.web.ranking`, :mod:`assistant.web.prepared`). Each opens a connection of
its own: the SQLite file by URI, read-only; or PostgreSQL, with the DSN read from the
environment variable ``[storage] dsn_env`` names (the worker inherits the environment),
so the DSN and its password never travel in arguments or show in a log. On PostgreSQL
the connection's transactions are read-only and each ``BEGIN`` takes one snapshot
(``REPEATABLE READ``), as a transaction on SQLite does.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

from assistant.config import Settings
from assistant.config.base import secret
from assistant.storage.database import Database
from assistant.storage.writer import StorageError

__all__ = ["Source", "reading", "source_of"]

_READ_ONLY = {
    "default_transaction_read_only": "on",
    "default_transaction_isolation": "repeatable read",
}


@dataclass(frozen=True)
class Source:
    """A database as a worker process finds it (picklable: it goes to the process)."""

    backend: str
    """``"sqlite"`` or ``"postgresql"``."""
    where: str
    """The SQLite file's ``file:`` URI, or the name of the variable holding the DSN."""


def source_of(db: Database, settings: Settings) -> Source:
    """Where a worker process finds ``db``, opened as ``settings`` say.

    Raises:
        StorageError: ``db`` is a PostgreSQL database that ``[storage]`` does not name.
    """
    if db.backend.name == "sqlite":
        return Source("sqlite", db.path.as_uri())
    storage = settings.storage
    if storage.backend != db.backend.name or storage.dsn_env is None:
        raise StorageError(
            f"the dashboard's workers find a {db.backend.name} database through [storage] "
            f'dsn_env, and [storage] backend is "{storage.backend}"'
        )
    return Source(db.backend.name, storage.dsn_env)


@contextmanager
def reading(source: Source) -> Iterator[sqlite3.Connection]:
    """A read-only connection to ``source`` for this process, closed at the end.

    Rows are read by name and by position (``sqlite3.Row``, asyncpg's ``Record``);
    statements are written in SQLite's dialect (see :mod:`assistant.storage.dialect`).
    """
    if source.backend == "sqlite":
        conn = sqlite3.connect(f"{source.where}?mode=ro", uri=True, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            yield conn
        finally:
            conn.close()
        return
    with _postgresql(secret(source.where).get_secret_value()) as bridge:
        # the subset of sqlite3's API that storage.backend.Connection describes
        yield cast("sqlite3.Connection", bridge)


@contextmanager
def _postgresql(dsn: str) -> Iterator[Any]:
    """A :class:`~assistant.storage.postgresql.PgConnection` driven by a loop of its own."""
    from assistant.storage.postgresql import PgConnection, connect

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="postgresql", daemon=True)
    thread.start()
    try:
        conn = asyncio.run_coroutine_threadsafe(connect(dsn, _READ_ONLY), loop).result()
        try:
            yield PgConnection(conn, loop)
        finally:
            asyncio.run_coroutine_threadsafe(conn.close(timeout=10), loop).result()
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()
