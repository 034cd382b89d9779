"""The seam between the storage layer and a database engine: what a backend must provide.

:class:`~assistant.storage.database.Database` (reads, immediate writes, transactions,
migrations) and :class:`~assistant.storage.writer.BatchWriter` (the one ordered writer) are
written against :class:`Backend` only; :class:`~assistant.storage.sqlite.SQLiteBackend` is
the default implementation (issue 34 adds PostgreSQL behind the same seam).

The unit of work is a plain synchronous function ``work(conn)`` run on the backend's own
thread in one hop (:meth:`Backend.run`): a batch of writes, a transaction across tables, a
page's worth of reads. That is the shape the callers already have (``Database.transaction``,
``Database.run_in_thread``), and it keeps the event loop free whatever the engine does.
``conn`` offers the part of the DB-API that callers use, :class:`Connection`; it is
``sqlite3.Connection`` itself for SQLite.

Dialect differences the callers' SQL meets, and who deals with them:

* Placeholders: callers write SQLite's ``?``, ``?NNN`` and ``:name``; a backend whose driver
  wants ``$1`` rewrites them (:func:`assistant.storage.dialect.to_postgresql`).
* ``INSERT OR IGNORE``: rewritten to ``INSERT ... ON CONFLICT DO NOTHING``, which both
  engines understand; ``INSERT OR REPLACE`` has no portable spelling and is refused.
* ``cursor.lastrowid``: SQLite only; portable code writes ``INSERT ... RETURNING id``
  (SQLite >= 3.35 and PostgreSQL both have it) and reads the row.
* ``AUTOINCREMENT`` (an id never reused after a deletion) is schema, not DML: each backend
  has its own migrations (PostgreSQL's identity columns never reuse ids either).
* Which errors are the statement's own fault (drop it, keep the queue moving) and which are
  the database's (keep the batch, retry later): :meth:`Backend.is_op_fault`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import groupby
from operator import itemgetter
from typing import Any, Generic, Protocol, TypeAlias, TypeVar

__all__ = [
    "Backend",
    "ConnT",
    "Connection",
    "Cursor",
    "Dropped",
    "Op",
    "Params",
    "execute_grouped",
]

Params: TypeAlias = Sequence[object] | Mapping[str, object]
"""Statement parameters: a sequence for ``?``/``?N`` placeholders, a mapping for ``:name``."""

Op: TypeAlias = tuple[str, Params]
"""One write: an SQL statement and its parameters."""

Dropped: TypeAlias = list[tuple[Op, Exception]]
"""The operations of a batch rejected as faulty, with why."""

T = TypeVar("T")


class Cursor(Protocol):
    """The part of a DB-API cursor that storage code reads results through."""

    @property
    def rowcount(self) -> int:
        """Rows changed by the last write (``-1`` when not known)."""

    def fetchone(self) -> Any:
        """The next row, or None."""

    @abstractmethod
    def fetchall(self) -> list[Any]:
        """Every remaining row."""

    def __iter__(self) -> Iterator[Any]:
        """The remaining rows, one at a time."""


class Connection(Protocol):
    """The part of a DB-API connection that ``work(conn)`` functions use.

    Rows are read by column name and by position (``sqlite3.Row`` and asyncpg's
    ``Record`` both do). Transactions are begun and ended by the backend's helpers
    (:meth:`Backend.transaction`), not by the work function.
    """

    def execute(self, sql: str, parameters: Params = ..., /) -> Cursor:
        """Run one statement."""

    def executemany(self, sql: str, parameters: Any, /) -> Cursor:
        """Run one statement once per parameter set."""


def execute_grouped(target: Connection, batch: Sequence[Op]) -> None:
    """Run ``batch`` in order, consecutive operations sharing their SQL as one ``executemany``."""
    for sql, group in groupby(batch, key=itemgetter(0)):
        rows = [params for _, params in group]
        if len(rows) == 1:
            target.execute(sql, rows[0])
        else:
            target.executemany(sql, rows)


ConnT = TypeVar("ConnT")


class Backend(ABC, Generic[ConnT]):
    """A database engine behind the storage layer: its thread, transactions and dialect.

    ``ConnT`` is the connection type ``work`` functions receive on the backend's thread
    (``sqlite3.Connection`` for SQLite). Every method that takes ``conn`` runs on that
    thread, inside :meth:`run`; the others are awaited on the event loop.
    """

    name: str = ""
    """The ``[storage] backend`` value that selects it: ``"sqlite"``, ``"postgresql"``."""

    @abstractmethod
    async def run(self, work: Callable[[ConnT], T]) -> T:
        """Run ``work(conn)`` on the backend's thread in one hop and return its result."""

    @abstractmethod
    def write_batch(self, conn: ConnT, batch: list[Op]) -> Dropped:
        """Commit ``batch`` in one transaction; return the operations dropped as faulty.

        A faulty operation (:meth:`is_op_fault`) costs only itself; any other error is
        raised with nothing of the batch committed, so the writer can retry it whole.
        """

    @abstractmethod
    def transaction(self, conn: ConnT, work: Callable[[ConnT], T]) -> T:
        """Run ``work(conn)`` as one write transaction, committed if it returns, else undone."""

    @abstractmethod
    def apply_migrations(self, conn: ConnT, namespace: str, scripts: Sequence[str]) -> list[int]:
        """Apply the missing migrations of ``namespace`` (versions from 1); return those applied.

        Raises:
            MigrationError: a migration failed, was edited after being applied, or the
                database is newer than ``scripts``.
        """

    @abstractmethod
    def is_op_fault(self, exc: Exception) -> bool:
        """Tell a statement's own fault (drop it) from the database's (keep it, retry)."""

    @abstractmethod
    async def fetchall(self, sql: str, params: Params = ()) -> list[Any]:
        """Run one read on the backend's thread and return every row."""

    @abstractmethod
    async def close(self) -> None:
        """Close the connection (the writer has been closed first)."""
