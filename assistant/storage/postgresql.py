"""The PostgreSQL backend: one asyncpg connection, driven from a thread of its own.

Storage code is synchronous ``work(conn)`` functions run on the backend's thread (see
:mod:`assistant.storage.backend`). Here that thread holds a :class:`PgConnection`, a small
DB-API-like bridge: each statement is translated from the callers' SQLite dialect
(:mod:`assistant.storage.dialect`) and handed to the asyncpg connection on the event loop,
the thread waiting for the answer while the loop goes on running. One thread for the
connection keeps work functions from interleaving, as aiosqlite's thread does for SQLite.
The writer's batches take one hop each instead (:meth:`PgConnection.write`): the whole
transaction is one coroutine on the loop, each statement one pipelined ``executemany``.
Other statements keep their prepared form for the next call (:meth:`PgConnection._fetch`):
preparing anew cost a round trip and a fresh plan every time.

The DSN comes from the environment (``[storage] dsn_env``) and is only ever shown with its
password masked (:func:`redact_dsn`), in logs and errors alike.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Iterator, Sequence
from typing import Any, TypeVar

import asyncpg
from asyncpg.prepared_stmt import PreparedStatement

from assistant.events import utcnow
from assistant.storage.backend import Backend, Dropped, Op, Params, Tables, group_commuting
from assistant.storage.dialect import to_postgresql
from assistant.storage.pg_bulk import LOCK_CHANNELS, bulk_columns, bulk_form, lock_keys, row_key
from assistant.storage.schema import MigrationError, pending_migrations

__all__ = ["PgConnection", "PostgreSQLBackend", "connect", "redact_dsn"]

log = logging.getLogger(__name__)

T = TypeVar("T")

SCHEMA_MIGRATIONS = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    namespace TEXT NOT NULL,
    version BIGINT NOT NULL,
    applied_at DOUBLE PRECISION NOT NULL,
    checksum TEXT NOT NULL,
    PRIMARY KEY (namespace, version)
)
"""

# Migrations of every instance sharing the database wait for each other on this lock.
_MIGRATION_LOCK = 0x70726573  # "pres"

# SQLSTATE classes that mean "this statement is wrong": data exceptions, integrity
# violations, syntax errors and unknown names. Anything else (connection lost, disk full,
# serialization failure, shutdown) is the database's and the batch is kept for a retry.
_OP_FAULT_CLASSES = frozenset({"22", "23", "42"})

# The writer's statements are key lookups through unique indexes, run over and over with
# new values: planned once (a generic plan) rather than for every row (PostgreSQL keeps
# custom plans when their estimate beats the generic one, ~0.2 ms of planning a row).
_GENERIC_PLANS = "SET LOCAL plan_cache_mode = force_generic_plan"

# Every relation by name (any schema but the system's), whether writing it does more than
# its rows say (a trigger, a rule, a default that calls a function: a sequence too), and
# the tables its foreign keys reference: what group_commuting needs to tell which writes
# of a batch may be grouped out of order.
_CATALOGUE = """
SELECT c.relname AS name, c.relkind::text AS kind,
       c.relhasrules OR EXISTS (
           SELECT 1 FROM pg_trigger AS t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal
       ) OR EXISTS (
           SELECT 1 FROM pg_attrdef AS d
           WHERE d.adrelid = c.oid AND strpos(pg_get_expr(d.adbin, d.adrelid), '(') > 0
       ) AS hooked,
       ARRAY(
           SELECT p.relname FROM pg_constraint AS f JOIN pg_class AS p ON p.oid = f.confrelid
           WHERE f.conrelid = c.oid AND f.contype = 'f'
       ) AS parents
FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
"""
# The catalogue is read again after DDL on this connection and at least this often
# (seconds), for a trigger another instance's migration may have added.
_CATALOGUE_AGE = 60.0

# Tables holding rows but no statistics yet (a fresh database: autovacuum's first ANALYZE
# comes later). Without them PostgreSQL plans the key lookups badly (an identity found by
# scanning every identity of the network: a third of the writer's time), and the plans
# are kept for the connection's life. So the writer analyzes them once, early.
_UNANALYZED = """
SELECT format('%I.%I', n.nspname, c.relname) AS name
FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND c.reltuples < 0 AND pg_relation_size(c.oid) > 0
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
"""
# How many writes (a batch or two) before the writer looks for such tables, its only time.
_ANALYZE_AFTER = 2000
_DDL = re.compile(r"\s*(CREATE|ALTER|DROP)\b", re.IGNORECASE)

# How many prepared statements a connection keeps (the least recently used goes first).
_STATEMENTS = 256
# A statement that only reads may run again after asyncpg found its idea of a type outdated
# (the server ran it already: a write would be done twice).
_READ_ONLY = re.compile(r"\s*SELECT\b", re.IGNORECASE)

# Up to the last "@": a password written with a raw "@" in it is masked whole too.
_DSN_PASSWORD = re.compile(r"(?P<head>[a-z]+://[^:/@]*:).*(?=@[^@]*$)", re.IGNORECASE)
_KEYWORD_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


def redact_dsn(dsn: str) -> str:
    """``dsn`` with any password replaced by ``***``, fit for logs and error messages."""
    masked = _DSN_PASSWORD.sub(r"\g<head>***", dsn)
    return _KEYWORD_PASSWORD.sub(r"\1***", masked)


# The planner settings of Presence's own session (the server's defaults are left alone).
# random_page_cost 1.1 (the server default, 4, prices a random read as a spinning disk's):
# PostgreSQL checks each recorded line's foreign keys with a cached plan, and on a small
# identities table (a community of a few hundred people: a few pages) the default prices a
# scan of the whole table below one index probe, so every line read every identity, and the
# identities another instance had locked at the same time cost each line more again. With
# 1.1 the check is an index probe: 200,000 events went from 34,000 to 41,000 events/s on one
# instance, and two instances of one network with a fifth of the people in common from
# 1.4x to 1.6-1.7x one instance (bench/ingest.py --backend postgresql; issue 34).
SESSION_SETTINGS = {"random_page_cost": "1.1"}


async def connect(
    dsn: str, server_settings: dict[str, str] | None = None, *, connect_timeout: float = 30
) -> asyncpg.Connection[asyncpg.Record]:
    """Connect to ``dsn`` (with ``server_settings`` for the session, if any).

    Raises:
        ConnectionError: the server cannot be reached or refused the login; the message
            shows the DSN with its password masked.
    """
    shown = redact_dsn(dsn)
    try:
        conn: asyncpg.Connection[asyncpg.Record] = await asyncpg.connect(
            dsn, timeout=connect_timeout, server_settings=server_settings
        )
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        reason = str(exc).replace(dsn, shown)
        raise ConnectionError(f"cannot connect to PostgreSQL at {shown}: {reason}") from None
    return conn


class _Cursor:
    """The rows of one statement, read the way callers read ``sqlite3.Cursor``."""

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = rows
        self._next = 0
        self.rowcount = rowcount

    @property
    def lastrowid(self) -> int:
        raise AttributeError(
            "lastrowid is SQLite's: write INSERT ... RETURNING id and read the row"
        )

    def fetchone(self) -> Any:
        if self._next >= len(self._rows):
            return None
        row = self._rows[self._next]
        self._next += 1
        return row

    def fetchall(self) -> list[Any]:
        rows, self._next = self._rows[self._next :], len(self._rows)
        return rows

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


def _rowcount(status: str | None) -> int:
    # "INSERT 0 3", "UPDATE 2", "DELETE 0", "SELECT 5": the last word is the row count.
    if status:
        last = status.rsplit(" ", 1)[-1]
        if last.isdigit():
            return int(last)
    return -1


class PgConnection:
    """What a ``work(conn)`` function gets on the PostgreSQL backend's thread.

    ``execute``/``executemany`` take the callers' SQLite-dialect SQL and parameters; rows
    are asyncpg ``Record``s (by name and by position, like ``sqlite3.Row``). Only call it
    from the backend's thread: each call waits there for the event loop to answer.
    """

    def __init__(
        self, conn: asyncpg.Connection[asyncpg.Record], loop: asyncio.AbstractEventLoop
    ) -> None:
        self._conn = conn
        self._loop = loop
        self._tables: Tables | None = None
        self._tables_read = 0.0
        self._written = 0
        self._statements: OrderedDict[str, PreparedStatement[asyncpg.Record]] = OrderedDict()
        self._forget = False

    def _wait(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def execute(self, sql: str, parameters: Params = (), /) -> _Cursor:
        """Run one statement and return its rows."""
        translation = to_postgresql(sql)
        args = translation.bind(parameters)
        if _DDL.match(sql):
            self._tables = None
            self._forget = True
        rows, status = self._wait(self._fetch(translation.sql, args))
        return _Cursor(rows, _rowcount(status))

    def executemany(self, sql: str, parameters: Any, /) -> _Cursor:
        """Run one statement once per parameter set."""
        translation = to_postgresql(sql)
        args = [translation.bind(params) for params in parameters]
        self._wait(self._conn.executemany(translation.sql, args))
        return _Cursor([], -1)

    def write(self, batch: Sequence[Op]) -> None:
        """Run ``batch`` as ONE transaction, in one hop to the event loop.

        Operations of one statement go as one (pipelined) asyncpg ``executemany`` as far
        as order allows (:func:`~assistant.storage.backend.group_commuting`: the messages
        of a batch as one group past the arrivals and departures between them, and those
        of different members past one another: :func:`~.pg_bulk.declare_rows`), or as one
        set-based statement where the statement declares one (:mod:`.pg_bulk`) and its
        table has no triggers, rules or function defaults (``Tables.tables``). Statements
        are translated and their parameters laid out here, on the backend's thread.
        Statements that read other instances' rows take their channels' locks first
        (:func:`~.pg_bulk.declare_lock`). Nothing is committed if any statement fails.
        """
        now = time.monotonic()
        if self._tables is None or now - self._tables_read > _CATALOGUE_AGE:
            self._tables = self._wait(self._read_tables())
            self._tables_read = now
        groups: list[tuple[str, list[Sequence[object]], bool]] = []
        for sql, rows in group_commuting(batch, self._tables, row_key=row_key):
            translation = to_postgresql(sql)
            bound = [translation.bind(params) for params in rows]
            form = bulk_form(sql) if len(bound) > 1 else None
            if form is not None and form[0] in self._tables.tables:
                # One statement for the group: its rows as one array per parameter.
                groups.append((form[1], bulk_columns(bound), True))
            else:
                groups.append((translation.sql, bound, False))
        self._wait(self._write(groups, lock_keys(batch)))
        before, self._written = self._written, self._written + len(batch)
        if before < _ANALYZE_AFTER <= self._written:
            self._wait(self._analyze())

    def lock(self, keys: list[str]) -> None:
        """Take the channel locks ``keys`` name until the transaction ends (see pg_bulk)."""
        if keys:
            self._wait(self._conn.execute(LOCK_CHANNELS, keys))

    async def _write(
        self, groups: list[tuple[str, list[Sequence[object]], bool]], locks: list[str]
    ) -> None:
        conn = self._conn
        async with conn.transaction():
            await conn.execute(_GENERIC_PLANS)
            if locks:  # before any row is read or locked: see pg_bulk
                await conn.execute(LOCK_CHANNELS, locks)
            for sql, rows, bulk in groups:
                if bulk:
                    await conn.execute(sql, *rows)
                elif len(rows) == 1:
                    await conn.execute(sql, *rows[0])
                else:
                    await conn.executemany(sql, rows)

    async def _analyze(self) -> None:
        # The batch is committed: nothing here may fail it (the writer would retry it).
        # A table of another owner is skipped with a warning; autovacuum analyzes every
        # table sooner or later anyway.
        try:
            names = [row["name"] for row in await self._conn.fetch(_UNANALYZED)]
            if names:
                await self._conn.execute(f"ANALYZE {', '.join(names)}")
                log.debug("storage: analyzed %s (no statistics yet)", ", ".join(names))
        except Exception as exc:
            log.warning("storage: could not analyze the tables without statistics: %s", exc)

    async def _read_tables(self) -> Tables:
        tables: set[str] = set()
        hooked: set[str] = set()
        other: set[str] = set()
        parents: dict[str, set[str]] = {}
        children: dict[str, set[str]] = {}
        for row in await self._conn.fetch(_CATALOGUE):
            name = row["name"].lower()
            if row["kind"] not in ("r", "p"):
                other.add(name)
            else:
                (hooked if row["hooked"] else tables).add(name)
            for parent in row["parents"]:
                parents.setdefault(name, set()).add(parent.lower())
                children.setdefault(parent.lower(), set()).add(name)
        return Tables(
            frozenset(tables - hooked - other),
            frozenset(hooked - other),
            frozenset(other),
            {name: frozenset(names) for name, names in parents.items()},
            {name: frozenset(names) for name, names in children.items()},
        )

    def script(self, sql: str) -> None:
        """Run several statements at once, as written (migrations: no translation)."""
        self._tables = None
        self._forget = True
        self._wait(self._conn.execute(sql))

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open on the connection."""
        return bool(self._conn.is_in_transaction())

    async def _fetch(self, sql: str, args: Sequence[object]) -> tuple[list[Any], str | None]:
        """Run ``sql`` (translated) as a prepared statement kept for the next call.

        A schema change (a migration of this instance or of another one sharing the
        database) can make a kept statement's rows differ from what it was prepared
        with: PostgreSQL refuses to run it (``InvalidCachedStatementError``), or asyncpg
        finds its idea of a type outdated (``OutdatedSchemaCacheError``). Outside a
        transaction the statement is then dropped, prepared again and run once more (an
        outdated type only for a SELECT: the server has run the statement already).
        Inside a transaction the error has aborted it and nothing can be retried, so
        there a kept statement that returns rows is not used: it is prepared anew (which
        locks what it reads against DDL until the transaction ends). Statements without rows
        (BEGIN, COMMIT, savepoints, writes without RETURNING) cannot meet either error.
        """
        kept = self._statements
        if self._forget:
            # DDL on this connection: what was prepared may name what is gone.
            kept.clear()
            self._forget = False
        in_transaction = self._conn.is_in_transaction()
        statement = kept.get(sql)
        if statement is not None and not (in_transaction and statement.get_attributes()):
            kept.move_to_end(sql)
            try:
                rows = await statement.fetch(*args)
            except asyncpg.InvalidCachedStatementError:
                kept.pop(sql, None)
                if in_transaction:
                    raise
            except asyncpg.OutdatedSchemaCacheError:
                kept.pop(sql, None)
                if in_transaction or not _READ_ONLY.match(sql):
                    raise
            else:
                return list(rows), statement.get_statusmsg()
        statement = await self._conn.prepare(sql)
        rows = await statement.fetch(*args)
        kept[sql] = statement
        kept.move_to_end(sql)
        if len(kept) > _STATEMENTS:
            kept.popitem(last=False)  # asyncpg closes it on the server once unreferenced
        return list(rows), statement.get_statusmsg()


def _rollback(conn: PgConnection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")


class PostgreSQLBackend(Backend[PgConnection]):
    """One PostgreSQL database through one asyncpg connection; use :meth:`open`."""

    name = "postgresql"

    def __init__(
        self, dsn: str, conn: asyncpg.Connection[asyncpg.Record], loop: asyncio.AbstractEventLoop
    ) -> None:
        """Wrap an open connection; use :meth:`open` instead."""
        self.dsn = redact_dsn(dsn)
        """The DSN with its password masked."""
        self._conn = conn
        self._bridge = PgConnection(conn, loop)
        self._thread = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="postgresql")

    @classmethod
    async def open(cls, dsn: str, *, connect_timeout: float = 30) -> PostgreSQLBackend:
        """Connect to ``dsn``.

        Raises:
            ConnectionError: the server cannot be reached or refused the login; the message
                shows the DSN with its password masked.
        """
        conn = await connect(dsn, SESSION_SETTINGS, connect_timeout=connect_timeout)
        log.info("storage: connected to PostgreSQL at %s", redact_dsn(dsn))
        return cls(dsn, conn, asyncio.get_running_loop())

    async def run(self, work: Callable[[PgConnection], T]) -> T:
        """Run ``work(conn)`` on the backend's thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, work, self._bridge)

    def write_batch(self, conn: PgConnection, batch: list[Op]) -> Dropped:
        """Commit ``batch`` in one transaction; return the operations dropped as faulty.

        The batch goes in one hop to the event loop, grouped by statement as far as order
        allows (:meth:`PgConnection.write`); if one operation is faulty the batch is
        replayed one statement at a time in its own order, each under a savepoint
        (PostgreSQL aborts the whole transaction at an error otherwise).
        """
        try:
            conn.write(batch)
            return []
        except Exception as exc:
            _rollback(conn)
            if not self.is_op_fault(exc):
                raise
        dropped: Dropped = []
        try:
            conn.execute("BEGIN")
            conn.lock(lock_keys(batch))
            for op in batch:
                conn.execute("SAVEPOINT presence_op")
                try:
                    conn.execute(*op)
                except Exception as exc:
                    if not (self.is_op_fault(exc) and conn.in_transaction):
                        raise
                    conn.execute("ROLLBACK TO SAVEPOINT presence_op")
                    dropped.append((op, exc))
                else:
                    conn.execute("RELEASE SAVEPOINT presence_op")
            conn.execute("COMMIT")
        except BaseException:
            _rollback(conn)
            raise
        return dropped

    def transaction(self, conn: PgConnection, work: Callable[[PgConnection], T]) -> T:
        """Run ``work(conn)`` in ``BEGIN`` … ``COMMIT``, rolled back if it raises."""
        conn.execute("BEGIN")
        try:
            result = work(conn)
            conn.execute("COMMIT")
        except BaseException:
            _rollback(conn)
            raise
        return result

    def apply_migrations(
        self, conn: PgConnection, namespace: str, scripts: Sequence[str]
    ) -> list[int]:
        """Apply the missing migrations of ``namespace``; return the versions applied.

        Instances sharing the database take turns (an advisory lock), and each migration
        is checked again once the lock is held, so two starting at once apply it once.
        """
        # Under the lock too: two CREATE TABLE IF NOT EXISTS at once on a new database both
        # create, and the second fails (a duplicate key in the catalogue).
        conn.execute("BEGIN")
        try:
            conn.execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))
            conn.script(SCHEMA_MIGRATIONS)
            conn.execute("COMMIT")
        except BaseException:
            _rollback(conn)
            raise
        rows = conn.execute(
            "SELECT version, checksum FROM schema_migrations WHERE namespace = ?", (namespace,)
        ).fetchall()
        known = {row["version"]: row["checksum"] for row in rows}
        applied = []
        for version, script, fingerprint in pending_migrations(namespace, known, scripts):
            conn.execute("BEGIN")
            try:
                conn.execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))
                if conn.execute(
                    "SELECT 1 FROM schema_migrations WHERE namespace = ? AND version = ?",
                    (namespace, version),
                ).fetchone():
                    conn.execute("COMMIT")
                    continue
                conn.script(script)
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
        # DialectError (a wrong parameter count too) and asyncpg's own DataError (a value
        # it cannot encode, such as a str for a BIGINT) are ValueErrors.
        if isinstance(exc, TypeError | ValueError):
            return True
        if isinstance(exc, asyncpg.PostgresError):
            state = str(getattr(exc, "sqlstate", "") or "")
            return state[:2] in _OP_FAULT_CLASSES
        return False

    async def fetchall(self, sql: str, params: Params = ()) -> list[Any]:
        """Run one read on the backend's thread and return every row."""
        return await self.run(lambda conn: conn.execute(sql, params).fetchall())

    async def close(self) -> None:
        """Close the connection and stop the thread."""
        try:
            await self._conn.close(timeout=10)
        finally:
            self._thread.shutdown(wait=False)

    def __repr__(self) -> str:
        return f"PostgreSQLBackend({self.dsn!r})"
