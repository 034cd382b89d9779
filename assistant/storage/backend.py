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

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
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
    "Tables",
    "execute_grouped",
    "group_commuting",
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


@dataclass(frozen=True, slots=True)
class Tables:
    """What the database's catalogue says about its relations, for :func:`group_commuting`.

    Names are unqualified and lower-case. Writing a ``hooked`` table (a trigger, a rule)
    does more than its rows say, and ``other`` relations (views, foreign tables) hide what
    they read: a statement writing the one or naming the other keeps its place.
    ``parents``/``children`` follow foreign keys (a child row references a parent row).
    """

    tables: frozenset[str]
    hooked: frozenset[str] = frozenset()
    other: frozenset[str] = frozenset()
    parents: Mapping[str, frozenset[str]] = field(default_factory=dict)
    children: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Effect:
    """The tables one statement may write and those it may read (or write), if it is clear."""

    writes: frozenset[str]
    touches: frozenset[str]
    opaque: bool


_OPAQUE = _Effect(frozenset(), frozenset(), opaque=True)
_WORD = re.compile(r"[A-Za-z_][A-Za-z_0-9$]*")
_CALL = re.compile(r"([A-Za-z_][A-Za-z_0-9$]*)\s*\(")
_TARGET = re.compile(
    r"\s*(?P<verb>INSERT(?:\s+OR\s+\w+)?\s+INTO|UPDATE|DELETE\s+FROM)\s+(?:ONLY\s+)?"
    r"(?:[A-Za-z_]\w*\.)?(?P<table>[A-Za-z_]\w*)",
    re.IGNORECASE,
)
_DO_UPDATE = re.compile(r"\bDO\s+UPDATE\b", re.IGNORECASE)
# Words that may stand before "(" in a statement whose effects are read from its text:
# SQL's own and functions that read no table. Any other call (a user function, nextval,
# a set-returning function) might read or write anything: the statement keeps its place.
_PURE_CALLS = frozenset(
    re.findall(
        r"\w+",
        """
        select from where and or not in exists values as on then else when any all is conflict
        do set using returning into update insert join lateral filter over coalesce nullif
        greatest least cast max min count sum avg abs round length lower upper
        """,
    )
)


def _closure(start: str, edges: Mapping[str, frozenset[str]]) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for name in edges.get(todo.pop(), frozenset()):
            if name not in seen:
                seen.add(name)
                todo.append(name)
    return seen


def _effect(sql: str, tables: Tables) -> _Effect:
    """What ``sql`` (one INSERT, UPDATE or DELETE) may touch, or opaque if that is unclear."""
    head = _TARGET.match(sql)
    if head is None or '"' in sql or "`" in sql or "[" in sql:
        return _OPAQUE
    words = {word.lower() for word in _WORD.findall(sql)}
    known = tables.tables | tables.hooked
    calls = {word.lower() for word in _CALL.findall(sql)}
    if calls - _PURE_CALLS - known or not words.isdisjoint(tables.other):
        return _OPAQUE
    target = head.group("table").lower()
    if target not in known:
        return _OPAQUE
    writes = {target}
    if not head.group("verb").upper().startswith("INSERT") or _DO_UPDATE.search(sql):
        # An update or delete may cascade to the rows that reference the target.
        writes = _closure(target, tables.children)
    if not writes.isdisjoint(tables.hooked):
        return _OPAQUE
    touches = (words & known) | writes | tables.parents.get(target, frozenset())
    return _Effect(frozenset(writes), frozenset(touches), opaque=False)


def group_commuting(
    batch: Sequence[Op],
    tables: Tables,
    *,
    reach: int = 64,
    row_key: Callable[[str, Params], object | None] | None = None,
) -> list[tuple[str, list[Params]]]:
    """Group ``batch`` by statement as far as order allows: ``(sql, [params, ...])`` in order.

    An operation joins the latest earlier group of its statement when it commutes with
    every group in between: neither may write a table the other names, reads through a
    foreign key or reaches by a cascade. So the messages of a batch go as one group past
    the arrivals and departures between them, while an arrival and a departure of the
    same stay (one table) keep their order, and anything unclear (a trigger, a view, a
    function call, a statement that is not one INSERT, UPDATE or DELETE) keeps its place.
    Operations of one statement always keep their order. ``reach`` bounds how many groups
    an operation looks back over.

    ``row_key(sql, params)`` names the rows an operation reads and writes in the tables
    it writes, when its statement confines itself to them (None otherwise): an operation
    with a key commutes with a group writing the same tables whose operations all have
    other keys, so the arrivals and departures of different members group past each
    other. A group holds a key at most once: a second operation of that key starts a
    group of its own after it.
    """
    effects: dict[str, _Effect] = {}
    groups: list[tuple[str, list[Params]]] = []
    group_effects: list[_Effect] = []
    group_keys: list[set[object] | None] = []  # None: some operation without a key
    for sql, params in batch:
        effect = effects.get(sql)
        if effect is None:
            effect = effects[sql] = _effect(sql, tables)
        key = None if row_key is None else row_key(sql, params)
        home = None
        if not effect.opaque:
            for index in range(len(groups) - 1, max(-1, len(groups) - 1 - reach), -1):
                keys = group_keys[index]
                if groups[index][0] == sql:
                    if key is None or keys is None or key not in keys:
                        home = index
                    break
                other = group_effects[index]
                if (
                    key is not None
                    and keys is not None
                    and key not in keys
                    and not other.opaque
                    and other.writes == effect.writes
                ):
                    continue  # other rows of the same tables, read by lookups alone
                if (
                    other.opaque
                    or not effect.writes.isdisjoint(other.touches)
                    or not other.writes.isdisjoint(effect.touches)
                ):
                    break
        elif groups and groups[-1][0] == sql:
            keys = group_keys[-1]
            if key is None or keys is None or key not in keys:
                home = len(groups) - 1
        if home is None:
            groups.append((sql, [params]))
            group_effects.append(effect)
            group_keys.append(None if key is None else {key})
        else:
            groups[home][1].append(params)
            keys = group_keys[home]
            if keys is not None:
                if key is None:
                    group_keys[home] = None
                else:
                    keys.add(key)
    return groups


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
