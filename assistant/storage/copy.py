"""Copying a whole history from one database to another: ``presence db copy`` (issue 34).

Moving house from SQLite to PostgreSQL (or back) copies every table of the core and of the
plugins, row for row and id for id, so that references between tables stay true:

1. Both databases are brought to the same schema first: the core's migrations (applied
   when they are opened) and those of every plugin whose tables the source holds.
2. Tables are copied parents first (the order their foreign keys give), each in its
   primary key's order, in batches of one transaction each. The target's own triggers on
   a table are off while its batches go in (``ALTER TABLE ... DISABLE TRIGGER USER`` on
   PostgreSQL; dropped and created again in the same transaction on SQLite): the copy is
   of the rows as they are, and rows a trigger derives (a person for each new identity,
   the people indexes of an analysis) are copied from the source like any other.
3. Each table's id sequence is moved past the ids copied (and past the source's own
   high-water mark, so an id given once and deleted is never given again).
4. The rows of each table are counted on both sides.

A copy that stops (Ctrl-C, a kill, a lost connection) loses at most the batch in flight,
and running it again resumes: a table whose rows are all there is skipped; a table keyed
by an integer id goes on after the last id copied; any other table is copied again from
the start with ``INSERT OR IGNORE``, which skips the rows already there. Before anything is
written, the rows the target already holds are checked against the source's (a sample by
key, and for integer ids that the target holds exactly the source's rows up to its last
id): a target that holds another history is refused, never mixed with this one.

The source must not change during the copy (stop ``presence run`` first): rows written
to a table after it was copied are not in the target, and rows changed in place after an
interrupted run make the next run refuse the target as another history.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.storage.database import Database
from assistant.storage.schema import CORE_NAMESPACE, Migrations

__all__ = [
    "BATCH_SIZE",
    "CopyError",
    "CopyResult",
    "DifferentHistoryError",
    "Progress",
    "TableCopy",
    "copy_history",
]

BATCH_SIZE = 5000
"""Rows per batch: one read from the source, one transaction in the target."""

SAMPLE = 20
"""Rows at each end of a non-empty target table compared with the source's before copying."""

Progress = Callable[[str, int, int], object]
"""Told ``(table, rows in the target, rows in the source)`` as a table starts and after
each batch is committed."""

_INTEGER_TYPES = frozenset({"integer", "bigint", "smallint"})


class CopyError(Exception):
    """A copy cannot be started or finished; the message says why and what to do."""


class DifferentHistoryError(CopyError):
    """The target holds rows that are not the source's: another history, never mixed in."""


@dataclass(frozen=True, slots=True)
class TableCopy:
    """One table after a copy: its rows on both sides, and what this run wrote."""

    name: str
    source: int
    target: int
    copied: int
    """Rows this run wrote (0 for a table complete before it started)."""
    skipped: bool
    """Whether every row was already in the target when this run started."""

    @property
    def equal(self) -> bool:
        """Whether the target holds as many rows as the source."""
        return self.source == self.target


@dataclass(frozen=True, slots=True)
class CopyResult:
    """What a copy did, table by table in the order it copied them."""

    tables: tuple[TableCopy, ...]

    @property
    def complete(self) -> bool:
        """Whether every table holds as many rows in the target as in the source."""
        return all(table.equal for table in self.tables)

    @property
    def copied(self) -> int:
        """Rows this run wrote, over every table."""
        return sum(table.copied for table in self.tables)


@dataclass(frozen=True, slots=True)
class _Table:
    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    """The primary key's columns, in order; empty for a table without one."""
    integer_key: bool
    """Whether the key is one integer column (an id: resumed after the last one copied)."""
    references: frozenset[str]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _names(columns: Sequence[str]) -> str:
    return ", ".join(map(_quote, columns))


async def copy_history(
    source: Database,
    target: Database,
    *,
    plugins: Mapping[str, Migrations] | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
) -> CopyResult:
    """Copy every table of ``source`` into ``target``, resuming a copy that stopped.

    ``plugins`` gives each installed plugin's migrations by plugin name (a list per
    dialect); those of every plugin whose tables the source holds are applied to both.
    The target may be new, or hold what an earlier copy of the same source wrote.

    Raises:
        CopyError: a plugin whose tables the source holds is not in ``plugins``, the
            target lacks a table or column of the source's, or a batch cannot be written
            (the message names the table and the rows).
        DifferentHistoryError: the target holds rows that are not the source's.
        MigrationError: either database cannot be brought to the code's schema.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    await _migrate(source, target, plugins or {})
    tables = await _plan(source, target)
    before = {table.name: await _counts(source, target, table) for table in tables}
    for table in tables:
        await _check_same_history(source, target, table, *before[table.name])
    results = []
    for table in tables:
        source_rows, target_rows = before[table.name]
        copied = 0
        if target_rows != source_rows:
            copied = await _copy_table(
                source, target, table, source_rows, target_rows, batch_size, progress
            )
        elif progress is not None:
            progress(table.name, target_rows, source_rows)
        results.append((table, target_rows == source_rows, copied))
    await _move_sequences(source, target, [table for table in tables if table.integer_key])
    finished = []
    for table, skipped, copied in results:
        source_rows, target_rows = await _counts(source, target, table)
        finished.append(TableCopy(table.name, source_rows, target_rows, copied, skipped))
    return CopyResult(tuple(finished))


async def _migrate(source: Database, target: Database, plugins: Mapping[str, Migrations]) -> None:
    """Bring both databases to the schema of the code for each plugin the source holds."""
    rows = await source.fetchall(
        "SELECT namespace, max(version) AS version FROM schema_migrations "
        "GROUP BY namespace ORDER BY namespace"
    )
    for row in rows:
        namespace = str(row["namespace"])
        if namespace == CORE_NAMESPACE:
            continue
        name = namespace.removeprefix("plugin:")
        if name not in plugins:
            raise CopyError(
                f"the source holds the tables of plugin {name!r} (its migration "
                f"{row['version']}), which is not installed here: install it and copy again"
            )
        await source.apply_migrations(namespace, plugins[name])
        await target.apply_migrations(namespace, plugins[name])


async def _plan(source: Database, target: Database) -> list[_Table]:
    """The source's tables, parents before children; checked against the target's."""
    theirs = await target.run_in_thread(lambda conn: _describe(conn, target.backend.name))
    ours = await source.run_in_thread(lambda conn: _describe(conn, source.backend.name))
    missing = sorted(set(ours) - set(theirs))
    if missing:
        raise CopyError(
            f"the target has no table {', '.join(missing)}: it is not a Presence database "
            "of the same version (upgrade the older side)"
        )
    for name, table in ours.items():
        lacking = [column for column in table.columns if column not in theirs[name].columns]
        if lacking:
            raise CopyError(f"the target's table {name} has no column {', '.join(lacking)}")
    # Foreign keys as the target declares them: it is the side whose checks must pass.
    ordered = _parents_first({name: theirs[name].references & set(ours) for name in ours})
    return [ours[name] for name in ordered]


def _describe(conn: Any, dialect: str) -> dict[str, _Table]:
    """Every table but the migrations' own, with columns, key and the tables it refers to."""
    if dialect == "sqlite":
        return _describe_sqlite(conn)
    return _describe_postgresql(conn)


def _describe_sqlite(conn: Any) -> dict[str, _Table]:
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations' ORDER BY name"
        )
    ]
    tables = {}
    for name in names:
        info = conn.execute(f"PRAGMA table_info({_quote(name)})").fetchall()
        key = tuple(row[1] for row in sorted((row for row in info if row[5]), key=lambda r: r[5]))
        types = {row[1]: str(row[2]).upper() for row in info}
        references = {row[2] for row in conn.execute(f"PRAGMA foreign_key_list({_quote(name)})")}
        tables[name] = _Table(
            name,
            tuple(row[1] for row in info),
            key,
            len(key) == 1 and "INT" in types[key[0]],
            frozenset(references - {name}),
        )
    return tables


def _describe_postgresql(conn: Any) -> dict[str, _Table]:
    columns: dict[str, list[tuple[str, str]]] = {}
    for row in conn.execute(
        "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns AS c "
        "JOIN information_schema.tables AS t ON t.table_schema = c.table_schema "
        "AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE' "
        "WHERE c.table_schema = current_schema() AND c.table_name != 'schema_migrations' "
        "ORDER BY c.table_name, c.ordinal_position"
    ):
        columns.setdefault(row[0], []).append((row[1], row[2]))
    keys: dict[str, list[str]] = {}
    for row in conn.execute(
        "SELECT k.table_name, k.column_name FROM information_schema.table_constraints AS c "
        "JOIN information_schema.key_column_usage AS k ON k.constraint_schema = "
        "c.constraint_schema AND k.constraint_name = c.constraint_name "
        "AND k.table_name = c.table_name "
        "WHERE c.constraint_type = 'PRIMARY KEY' AND c.table_schema = current_schema() "
        "ORDER BY k.table_name, k.ordinal_position"
    ):
        keys.setdefault(row[0], []).append(row[1])
    references: dict[str, set[str]] = {}
    for row in conn.execute(
        "SELECT child.relname, parent.relname FROM pg_constraint AS f "
        "JOIN pg_class AS child ON child.oid = f.conrelid "
        "JOIN pg_class AS parent ON parent.oid = f.confrelid "
        "WHERE f.contype = 'f' AND f.connamespace = current_schema()::regnamespace"
    ):
        references.setdefault(row[0], set()).add(row[1])
    tables = {}
    for name, described in columns.items():
        key = tuple(keys.get(name, ()))
        types = dict(described)
        tables[name] = _Table(
            name,
            tuple(column for column, _ in described),
            key,
            len(key) == 1 and types[key[0]] in _INTEGER_TYPES,
            frozenset(references.get(name, set()) - {name}),
        )
    return tables


def _parents_first(references: Mapping[str, set[str] | frozenset[str]]) -> list[str]:
    """Table names, each after every table it refers to (by name among equals).

    Raises:
        CopyError: the tables refer to each other in a circle.
    """
    ordered: list[str] = []
    waiting = {name: set(parents) for name, parents in references.items()}
    while waiting:
        ready = sorted(name for name, parents in waiting.items() if not parents - set(ordered))
        if not ready:
            raise CopyError(f"the tables {', '.join(sorted(waiting))} refer to each other")
        ordered.append(ready[0])
        del waiting[ready[0]]
    return ordered


async def _count(db: Database, table: _Table) -> int:
    row = await db.fetchone(f"SELECT count(*) FROM {_quote(table.name)}")
    return int(row[0]) if row is not None else 0


async def _counts(source: Database, target: Database, table: _Table) -> tuple[int, int]:
    return await _count(source, table), await _count(target, table)


async def _check_same_history(
    source: Database, target: Database, table: _Table, source_rows: int, target_rows: int
) -> None:
    """Refuse a target whose rows of ``table`` are not a part of the source's.

    Raises:
        DifferentHistoryError: with the table and the first difference found.
    """
    if target_rows == 0:
        return
    advice = (
        "copy into an empty database, or, if the source changed since an interrupted "
        "copy, empty the target and copy again"
    )
    if target_rows > source_rows:
        raise DifferentHistoryError(
            f"the target's {table.name} holds {target_rows} rows, the source's only "
            f"{source_rows}: it is another history; {advice}"
        )
    if not table.key:
        if target_rows != source_rows:
            raise DifferentHistoryError(
                f"the target's {table.name} holds {target_rows} of the source's "
                f"{source_rows} rows, and a table without a primary key cannot be resumed; "
                f"{advice}"
            )
        return
    columns, key = _names(table.columns), _names(table.key)
    order = ", ".join(f"{_quote(column)} DESC" for column in table.key)
    sample = [
        tuple(row)
        for sql in (
            f"SELECT {columns} FROM {_quote(table.name)} ORDER BY {key} LIMIT {SAMPLE}",
            f"SELECT {columns} FROM {_quote(table.name)} ORDER BY {order} LIMIT {SAMPLE}",
        )
        for row in await target.fetchall(sql)
    ]
    positions = [table.columns.index(column) for column in table.key]
    match = " AND ".join(f"{_quote(column)} = ?" for column in table.key)
    lookup = f"SELECT {columns} FROM {_quote(table.name)} WHERE {match}"

    def theirs(conn: Any) -> list[tuple[Any, ...] | None]:
        found = []
        for row in sample:
            hit = conn.execute(lookup, [row[i] for i in positions]).fetchone()
            found.append(None if hit is None else tuple(hit))
        return found

    for ours, original in zip(sample, await source.run_in_thread(theirs), strict=True):
        if ours != original:
            where = ", ".join(
                f"{column} = {ours[i]!r}" for column, i in zip(table.key, positions, strict=True)
            )
            what = "is not in the source" if original is None else "differs from the source's"
            raise DifferentHistoryError(
                f"the target's {table.name} row {where} {what}: it is another history; {advice}"
            )
    if table.integer_key:
        last = await target.fetchone(f"SELECT max({key}) FROM {_quote(table.name)}")
        upto = f"SELECT count(*) FROM {_quote(table.name)} WHERE {key} <= ?"
        held = await source.fetchone(upto, (last[0] if last else 0,))
        if held is None or int(held[0]) != target_rows:
            raise DifferentHistoryError(
                f"the target's {table.name} holds {target_rows} rows up to id "
                f"{last[0] if last else 0}, the source {held[0] if held else 0}: "
                f"it is another history; {advice}"
            )


async def _copy_table(
    source: Database,
    target: Database,
    table: _Table,
    source_rows: int,
    target_rows: int,
    batch_size: int,
    progress: Progress | None,
) -> int:
    """Copy the rows of ``table`` the target lacks; return how many were written."""
    name, columns, key = _quote(table.name), _names(table.columns), _names(table.key)
    after: Sequence[object] | None = None
    if table.integer_key and target_rows:
        last = await target.fetchone(f"SELECT max({key}) FROM {name}")
        after = (last[0],) if last is not None else None
    verb = "INSERT INTO" if table.integer_key else "INSERT OR IGNORE INTO"
    insert = f"{verb} {name} ({columns}) VALUES ({', '.join('?' * len(table.columns))})"
    triggers = await target.run_in_thread(
        lambda conn: _triggers(conn, target.backend.name, table.name)
    )
    positions = [table.columns.index(column) for column in table.key]

    def read(after: Sequence[object] | None) -> Callable[[Any], list[tuple[Any, ...]]]:
        where, params = "", list(after or ())
        if after is not None:
            where = f" WHERE ({key}) > ({', '.join('?' * len(params))})"
        sql = f"SELECT {columns} FROM {name}{where} ORDER BY {key or '1'} LIMIT {batch_size}"
        return lambda conn: [tuple(row) for row in conn.execute(sql, params)]

    def write(rows: list[tuple[Any, ...]]) -> Callable[[Any], None]:
        def work(conn: Any) -> None:
            for off in triggers[0]:
                conn.execute(off)
            conn.executemany(insert, rows)
            for on in triggers[1]:
                conn.execute(on)

        return work

    if not table.key:
        # Without a key a table cannot be resumed part way: it goes in one transaction.
        rows = await source.run_in_thread(
            lambda conn: [tuple(row) for row in conn.execute(f"SELECT {columns} FROM {name}")]
        )
        await _write(target, table, write(rows), None)
        if progress is not None:
            progress(table.name, len(rows), source_rows)
        return len(rows)

    done, copied = target_rows, 0
    if progress is not None:
        progress(table.name, done, source_rows)
    rows = await source.run_in_thread(read(after))
    while rows:
        after = [rows[-1][i] for i in positions]
        _, following = await asyncio.gather(
            _write(target, table, write(rows), after), source.run_in_thread(read(after))
        )
        copied += len(rows)
        done = min(done + len(rows), source_rows)
        if progress is not None:
            progress(table.name, done, source_rows)
        rows = following
    return copied


async def _write(
    target: Database, table: _Table, work: Callable[[Any], None], upto: Sequence[object] | None
) -> None:
    try:
        await target.transaction(work)
    except Exception as exc:
        where = "" if upto is None else f" up to {', '.join(table.key)} = {tuple(upto)!r}"
        raise CopyError(f"cannot write the rows of {table.name}{where}: {exc}") from exc


def _triggers(conn: Any, dialect: str, table: str) -> tuple[list[str], list[str]]:
    """The statements that turn the target's own triggers on ``table`` off, and on again."""
    if dialect == "sqlite":
        rows = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? "
            "ORDER BY name",
            (table,),
        ).fetchall()
        return [f"DROP TRIGGER {_quote(row[0])}" for row in rows], [row[1] for row in rows]
    found = conn.execute(
        "SELECT 1 FROM pg_trigger WHERE tgrelid = ?::text::regclass AND NOT tgisinternal", (table,)
    ).fetchone()
    if found is None:
        return [], []
    return (
        [f"ALTER TABLE {_quote(table)} DISABLE TRIGGER USER"],
        [f"ALTER TABLE {_quote(table)} ENABLE TRIGGER USER"],
    )


async def _move_sequences(source: Database, target: Database, tables: list[_Table]) -> None:
    """Move each id sequence of the target past the ids copied and the source's own."""
    for table in tables:
        mark = await _high_water(source, table)
        last = await target.fetchone(
            f"SELECT max({_quote(table.key[0])}) FROM {_quote(table.name)}"
        )
        value = max(mark, int(last[0]) if last is not None and last[0] is not None else 0)
        if value < 1:
            continue
        if target.backend.name == "postgresql":
            await target.execute(
                "SELECT setval(pg_get_serial_sequence(?::text, ?::text), ?::bigint)",
                (_quote(table.name), table.key[0], value),
            )
        elif await _autoincrement(target, table):
            await target.execute(
                "UPDATE sqlite_sequence SET seq = ? WHERE name = ? AND seq < ?",
                (value, table.name, value),
            )
            await target.execute(
                "INSERT INTO sqlite_sequence (name, seq) SELECT ?, ? WHERE NOT EXISTS "
                "(SELECT 1 FROM sqlite_sequence WHERE name = ?)",
                (table.name, value, table.name),
            )


async def _high_water(source: Database, table: _Table) -> int:
    """The highest id the source's sequence for ``table`` has given (0 if none)."""
    if source.backend.name == "postgresql":
        row = await source.fetchone(
            "SELECT pg_sequence_last_value(pg_get_serial_sequence(?::text, ?::text)::regclass)",
            (_quote(table.name), table.key[0]),
        )
    elif await _autoincrement(source, table):
        row = await source.fetchone("SELECT seq FROM sqlite_sequence WHERE name = ?", (table.name,))
    else:
        return 0
    return int(row[0]) if row is not None and row[0] is not None else 0


async def _autoincrement(db: Database, table: _Table) -> bool:
    row = await db.fetchone(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table.name,)
    )
    return row is not None and "AUTOINCREMENT" in str(row[0]).upper()
