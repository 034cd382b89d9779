"""Everything the database holds about one person, as plain data: the other half of forgetting.

The rows are found the way :func:`~assistant.storage.people.forget_person` deletes them:
the core tables of :data:`~assistant.storage.people.PERSON_ROWS`, then every row that
hangs off those through ``ON DELETE CASCADE`` (analyses, attendance, openings, the
relationship ledger, a plugin's own tables), read from the schema itself. A table that
forgetting reaches is exported too, and a new one needs no change here.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from assistant.storage.backend import Connection
from assistant.storage.people import PERSON_ROWS, analyses_naming

__all__ = ["EXPORT_FORMAT", "person_export", "person_rows"]

EXPORT_FORMAT = "presence-person-export/1"

Row = dict[str, Any]

# Columns holding a time as Unix seconds; exported as ISO 8601 in UTC for people to read.
_TIME_COLUMNS = frozenset({"first_seen", "planned_start", "planned_end"})


@dataclass(frozen=True)
class _ForeignKey:
    table: str
    columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]
    cascades: bool


# The schema is read from each engine's catalogue: SQLite's sqlite_master and pragmas,
# PostgreSQL's pg_class and pg_constraint (its tables in the connection's schema).
_PG_TABLES = """
SELECT c.relname FROM pg_class AS c JOIN pg_namespace AS s ON s.oid = c.relnamespace
WHERE s.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY c.relname COLLATE "C"
"""
# Every foreign key of a table, its columns and the parent's in order (PostgreSQL always
# names the parent's columns); confdeltype 'c' is ON DELETE CASCADE.
_PG_FOREIGN_KEYS = """
SELECT p.relname AS parent, k.confdeltype = 'c' AS cascades,
    ARRAY(SELECT CAST(a.attname AS TEXT) FROM unnest(k.conkey) WITH ORDINALITY AS u(n, o)
          JOIN pg_attribute AS a ON a.attrelid = k.conrelid AND a.attnum = u.n
          ORDER BY u.o) AS columns,
    ARRAY(SELECT CAST(a.attname AS TEXT) FROM unnest(k.confkey) WITH ORDINALITY AS u(n, o)
          JOIN pg_attribute AS a ON a.attrelid = k.confrelid AND a.attnum = u.n
          ORDER BY u.o) AS parent_columns
FROM pg_constraint AS k
JOIN pg_class AS t ON t.oid = k.conrelid
JOIN pg_namespace AS s ON s.oid = t.relnamespace AND s.nspname = current_schema()
JOIN pg_class AS p ON p.oid = k.confrelid
WHERE k.contype = 'f' AND t.relname = ?
ORDER BY k.oid
"""


def _tables(conn: sqlite3.Connection | Connection) -> list[str]:
    if not isinstance(conn, sqlite3.Connection):
        return [row[0] for row in conn.execute(_PG_TABLES)]
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name"
    )
    return [row[0] for row in rows]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _primary_key(conn: sqlite3.Connection, table: str) -> tuple[str, ...]:
    info = conn.execute(f"PRAGMA table_info({_quote(table)})").fetchall()
    return tuple(row[1] for row in sorted(info, key=lambda row: row[5]) if row[5] > 0)


def _foreign_keys(
    conn: sqlite3.Connection | Connection, tables: Iterable[str]
) -> list[_ForeignKey]:
    if not isinstance(conn, sqlite3.Connection):
        return [
            _ForeignKey(
                table=table,
                columns=tuple(row["columns"]),
                parent=row["parent"],
                parent_columns=tuple(row["parent_columns"]),
                cascades=bool(row["cascades"]),
            )
            for table in tables
            for row in conn.execute(_PG_FOREIGN_KEYS, (table,))
        ]
    keys = []
    for table in tables:
        grouped: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for row in conn.execute(f"PRAGMA foreign_key_list({_quote(table)})"):
            grouped[row[0]].append(tuple(row))
        for parts in grouped.values():
            parts.sort(key=lambda part: part[1])
            parent = str(parts[0][2])
            targets = tuple(part[4] for part in parts)
            if None in targets:  # REFERENCES parent without columns: its primary key
                targets = _primary_key(conn, parent)
            keys.append(
                _ForeignKey(
                    table=table,
                    columns=tuple(part[3] for part in parts),
                    parent=parent,
                    parent_columns=tuple(str(t) for t in targets),
                    cascades=str(parts[0][6]).upper() == "CASCADE",
                )
            )
    return keys


def _select(
    conn: sqlite3.Connection | Connection,
    table: str,
    columns: tuple[str, ...],
    values: set[tuple[Any, ...]],
) -> Iterator[Row]:
    if not values:
        return
    if len(columns) == 1 and not isinstance(conn, sqlite3.Connection):
        sql = f"SELECT * FROM {_quote(table)} WHERE {_quote(columns[0])} = ANY (?)"
        for row in conn.execute(sql, ([v[0] for v in values],)):
            yield dict(row)
        return
    if len(columns) == 1:
        sql = (
            f"SELECT * FROM {_quote(table)} WHERE {_quote(columns[0])} "
            "IN (SELECT value FROM json_each(?))"
        )
        for row in conn.execute(sql, (json.dumps([v[0] for v in values]),)):
            yield dict(row)
        return
    match = " AND ".join(f"{_quote(column)} = ?" for column in columns)
    for value in values:
        for row in conn.execute(f"SELECT * FROM {_quote(table)} WHERE {match}", value):
            yield dict(row)


class _Collected:
    """Rows by table, each once, in the order found."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[tuple[Any, ...], Row]] = defaultdict(dict)

    def add(self, table: str, rows: Iterable[Row]) -> bool:
        added = False
        held = self.rows[table]
        for row in rows:
            key = tuple(row.values())
            if key not in held:
                held[key] = row
                added = True
        return added

    def values(self, table: str, columns: tuple[str, ...]) -> set[tuple[Any, ...]]:
        found = set()
        for row in self.rows.get(table, {}).values():
            value = tuple(row.get(column) for column in columns)
            if None not in value:
                found.add(value)
        return found


def person_rows(conn: sqlite3.Connection, person_id: int) -> dict[str, list[Row]]:
    """Return every row forgetting ``person_id`` would delete, by table (raw column values).

    Runs on the database thread; tables without such rows are left out.
    """
    tables = _tables(conn)
    keys = _foreign_keys(conn, tables)
    found = _Collected()
    mine = {(person_id,)}
    identities = {
        (row[0],)
        for row in conn.execute("SELECT id FROM identities WHERE person_id = ?", (person_id,))
    }
    for table, column in PERSON_ROWS:
        values = identities if column == "identity_id" else mine
        found.add(table, _select(conn, table, (column,), values))
    cascades = [key for key in keys if key.cascades]
    grown = True
    while grown:  # until no cascade reaches a row not yet found
        grown = False
        for key in cascades:
            parents = found.values(key.parent, key.parent_columns)
            if found.add(key.table, _select(conn, key.table, key.columns, parents)):
                grown = True
    return {table: list(rows.values()) for table, rows in found.rows.items() if rows}


def _context(
    conn: sqlite3.Connection, rows: dict[str, list[Row]], keys: list[_ForeignKey]
) -> dict[str, list[Row]]:
    """The shared rows the person's rows point at (networks, channels, sessions)."""
    context = _Collected()
    holding = set(rows) | {key.table for key in keys if key.cascades}
    pending = dict(rows)
    while pending:
        reached: dict[str, list[Row]] = {}
        for key in keys:
            if key.table not in pending or key.parent in holding:
                continue
            values = {
                value
                for row in pending[key.table]
                if None not in (value := tuple(row.get(c) for c in key.columns))
            }
            before = set(context.rows.get(key.parent, {}))
            if context.add(key.parent, _select(conn, key.parent, key.parent_columns, values)):
                new = [r for k, r in context.rows[key.parent].items() if k not in before]
                reached.setdefault(key.parent, []).extend(new)
        pending = reached
    return {table: list(found.values()) for table, found in sorted(context.rows.items())}


def _referenced_elsewhere(
    conn: sqlite3.Connection,
    person_id: int,
    rows: dict[str, list[Row]],
    keys: list[_ForeignKey],
) -> dict[str, int]:
    """How many rows not theirs refer to theirs (a stay they ended with a kick, say)."""
    counts: dict[str, int] = {}
    for key in keys:
        if key.parent not in rows:
            continue
        theirs = {tuple(row.get(c) for c in key.parent_columns) for row in rows[key.parent]}
        own = {tuple(row.values()) for row in rows.get(key.table, [])}
        referring = [
            row
            for row in _select(conn, key.table, key.columns, theirs)
            if tuple(row.values()) not in own
        ]
        if referring:
            counts[f"{key.table}.{','.join(key.columns)}"] = len(referring)
    named = analyses_naming(conn, person_id)
    if named:
        counts["message_analyses (others' messages addressing or answering them)"] = len(named)
    return counts


def _readable(row: Row) -> Row:
    out: Row = {}
    for column, value in row.items():
        timed = column == "at" or column.endswith("_at") or column in _TIME_COLUMNS
        if timed and isinstance(value, int | float) and not isinstance(value, bool):
            out[column] = datetime.fromtimestamp(value, UTC).isoformat()
        elif isinstance(value, bytes):
            out[column] = value.hex()
        else:
            out[column] = value
    return out


def _optouts(conn: sqlite3.Connection, person_id: int) -> list[Row]:
    sql = """
    SELECT o.* FROM people_optouts AS o
    JOIN networks AS n ON n.name = o.network
    JOIN identities AS i ON i.network_id = n.id AND i.person_id = ?
    WHERE (o.kind = 'key' AND o.value = i.key)
       OR (o.kind = 'account' AND i.account IS NOT NULL AND o.value = lower(i.account))
    """
    return [dict(row) for row in conn.execute(sql, (person_id,))]


def person_export(conn: sqlite3.Connection, person_id: int) -> dict[str, Any] | None:
    """Return everything the database holds about ``person_id`` as JSON-ready data.

    ``tables`` holds the person's rows (what forgetting deletes), ``context`` the shared
    rows they point at (networks, channels, sessions), ``optouts`` their standing opt-outs,
    and ``referenced_elsewhere`` counts other people's rows that refer to them (forgetting
    cuts those references instead of deleting the rows). Times are ISO 8601 in UTC.
    Returns None when there is no such person. Runs on the database thread.
    """
    if conn.execute("SELECT 1 FROM persons WHERE id = ?", (person_id,)).fetchone() is None:
        return None
    rows = person_rows(conn, person_id)
    keys = _foreign_keys(conn, _tables(conn))
    context = _context(conn, rows, keys)
    tables = {table: [_readable(row) for row in found] for table, found in rows.items()}
    return {
        "format": EXPORT_FORMAT,
        "person_id": person_id,
        "tables": dict(sorted(tables.items())),
        "context": {t: [_readable(row) for row in found] for t, found in context.items()},
        "optouts": [_readable(row) for row in _optouts(conn, person_id)],
        "referenced_elsewhere": _referenced_elsewhere(conn, person_id, rows, keys),
    }
