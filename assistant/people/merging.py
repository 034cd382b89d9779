"""Merging two persons into one, and splitting an identity back out.

A merge moves everything that belongs to a person: identities (and with them their
messages and stays), session attendance (rows of the same session are combined), and any
other table that refers to ``persons``. It is written down in ``people_merges`` with both
sides' attendance as it was, so that splitting a merged-in identity puts things back.
A split also remembers that the identities are different people, so automatic linking
never joins them again.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from assistant.events import utcnow
from assistant.storage.backend import Connection

__all__ = ["MergeError", "SplitResult", "merge_persons", "split_identity"]

# Tables with their own handling below; every other table referring to persons is moved.
_HANDLED = frozenset({"identities", "session_attendance", "people_merges"})

# How a session both persons attended is combined, per column; a column not named here
# (one added later) keeps the survivor's value.
_EARLIEST = frozenset({"arrived_at", "first_message_id"})
_LATEST = frozenset({"last_message_id", "already_present"})
_SUMMED = frozenset({"lines", "present_seconds"})
_OPEN_ENDED = frozenset({"left_at"})  # NULL (still there) wins, else the latest
_KEYS = ("session_id", "person_id")
_UNIQUE_VIOLATION = "23505"  # PostgreSQL's SQLSTATE for a broken unique key


class MergeError(ValueError):
    """A merge or split that cannot be done as asked (the message says why)."""


@dataclass(frozen=True)
class SplitResult:
    """What a split did: the new person and the identities that went with it."""

    person_id: int
    identity_ids: tuple[int, ...]
    restored_attendance: bool


def _combine(kept: dict[str, Any], moved: dict[str, Any]) -> dict[str, Any]:
    combined = dict(kept)
    for column, mine in kept.items():
        theirs = moved.get(column)
        if column in _KEYS:
            continue
        if column in _OPEN_ENDED:
            combined[column] = None if mine is None or theirs is None else max(mine, theirs)
        elif mine is None or theirs is None:
            combined[column] = theirs if mine is None else mine
        elif column in _EARLIEST:
            combined[column] = min(mine, theirs)
        elif column in _LATEST:
            combined[column] = max(mine, theirs)
        elif column in _SUMMED:
            combined[column] = mine + theirs
    return combined


def _attendance(conn: sqlite3.Connection, person: int) -> dict[int, dict[str, Any]]:
    rows = conn.execute("SELECT * FROM session_attendance WHERE person_id = ?", (person,))
    return {row["session_id"]: dict(zip(row.keys(), row, strict=True)) for row in rows}


def _put(conn: sqlite3.Connection, row: dict[str, Any]) -> None:
    """Write ``row`` as the attendance of its session and person, replacing any there."""
    columns = ", ".join(row)
    marks = ", ".join(f":{column}" for column in row)
    update = ", ".join(f"{column} = excluded.{column}" for column in row if column not in _KEYS)
    conn.execute(
        f"INSERT INTO session_attendance ({columns}) VALUES ({marks}) "
        f"ON CONFLICT (session_id, person_id) DO UPDATE SET {update}",
        row,
    )


def _foreign_keys(conn: sqlite3.Connection | Connection, table: str) -> list[tuple[str, str]]:
    """``(column, referenced table)`` for each foreign-key column of ``table``."""
    if isinstance(conn, sqlite3.Connection):
        found = conn.execute("SELECT * FROM pragma_foreign_key_list(?)", (table,))
        return [(ref["from"], ref["table"]) for ref in found]
    refs = conn.execute(
        "SELECT a.attname, r.relname FROM pg_constraint AS c "
        "JOIN pg_class AS t ON t.oid = c.conrelid "
        "JOIN pg_namespace AS s ON s.oid = t.relnamespace AND s.nspname = current_schema() "
        "JOIN pg_class AS r ON r.oid = c.confrelid "
        "JOIN pg_attribute AS a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) "
        "WHERE c.contype = 'f' AND t.relname = ? ORDER BY c.oid, a.attnum",
        (table,),
    )
    return [(ref[0], ref[1]) for ref in refs]


def _tables(conn: sqlite3.Connection | Connection) -> list[str]:
    """The database's own tables, oldest first."""
    if isinstance(conn, sqlite3.Connection):
        names = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return [name for (name,) in names if not name.startswith("sqlite_")]
    rows = conn.execute(
        "SELECT c.relname FROM pg_class AS c JOIN pg_namespace AS s ON s.oid = c.relnamespace "
        "WHERE s.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY c.oid"
    )
    return [row[0] for row in rows]


def _message_refs(conn: sqlite3.Connection) -> list[str]:
    """Attendance columns that refer to messages (which may be gone by the time of a split)."""
    return [
        column for column, table in _foreign_keys(conn, "session_attendance") if table == "messages"
    ]


def _restore(conn: sqlite3.Connection, row: dict[str, Any], person: int) -> None:
    row = {**row, "person_id": person}
    for column in _message_refs(conn):
        value = row.get(column)
        if (
            value is not None
            and not conn.execute("SELECT 1 FROM messages WHERE id = ?", (value,)).fetchone()
        ):
            row[column] = None
    _put(conn, row)


def _person_tables(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """Every (table, column) that refers to persons, besides the ones handled by name."""
    found = []
    for table in _tables(conn):
        if table in _HANDLED:
            continue
        for column, referenced in _foreign_keys(conn, table):
            if referenced == "persons":
                found.append((table, column))
    return found


def _move_rows(
    conn: sqlite3.Connection | Connection, table: str, column: str, params: dict[str, int]
) -> None:
    """Give ``gone``'s rows of ``table`` to ``keep``; a row ``keep`` already has stays theirs.

    "Already has" is a unique key the move would break: SQLite's ``UPDATE OR IGNORE`` skips
    those rows; PostgreSQL has no such clause, so each row moves under a savepoint of its own.
    """
    if isinstance(conn, sqlite3.Connection):
        conn.execute(
            f"UPDATE OR IGNORE {table} SET {column} = :keep WHERE {column} = :gone", params
        )
    else:
        rows = conn.execute(f"SELECT ctid FROM {table} WHERE {column} = :gone", params)
        for (ctid,) in rows.fetchall():
            conn.execute("SAVEPOINT presence_move")
            try:
                conn.execute(
                    f"UPDATE {table} SET {column} = :keep WHERE ctid = :ctid",
                    {**params, "ctid": ctid},
                )
            except Exception as exc:
                if getattr(exc, "sqlstate", None) != _UNIQUE_VIOLATION:
                    raise
                conn.execute("ROLLBACK TO SAVEPOINT presence_move")
            conn.execute("RELEASE SAVEPOINT presence_move")
    conn.execute(f"DELETE FROM {table} WHERE {column} = :gone", params)


def _exists(conn: sqlite3.Connection, person: int) -> bool:
    row = conn.execute("SELECT 1 FROM persons WHERE id = ?", (person,)).fetchone()
    return row is not None


def merge_persons(conn: sqlite3.Connection, keep: int, gone: int, reason: str = "") -> int:
    """Fold person ``gone`` into ``keep``; return the id of the merge record.

    Runs inside the caller's transaction, on the database thread.

    Raises:
        MergeError: the two are the same person, or one of them does not exist.
    """
    if keep == gone:
        raise MergeError(f"person {keep} is already one person")
    for person in (keep, gone):
        if not _exists(conn, person):
            raise MergeError(f"there is no person {person}")
    params = {"keep": keep, "gone": gone}
    merge = conn.execute(
        "INSERT INTO people_merges (person_id, at, reason) VALUES (?, ?, ?) RETURNING id",
        (keep, utcnow().timestamp(), reason),
    ).fetchone()[0]
    conn.execute(
        "INSERT INTO people_merge_identities (merge_id, identity_id) "
        "SELECT ?, id FROM identities WHERE person_id = ?",
        (merge, gone),
    )
    kept, moved = _attendance(conn, keep), _attendance(conn, gone)
    conn.executemany(
        "INSERT INTO people_merge_attendance (merge_id, side, session_id, row) VALUES (?, ?, ?, ?)",
        [
            (merge, side, session, json.dumps(row))
            for side, rows in (("kept", kept), ("moved", moved))
            for session, row in rows.items()
        ],
    )
    conn.execute("DELETE FROM session_attendance WHERE person_id = ?", (gone,))
    for session, row in moved.items():
        mine = kept.get(session)
        _put(conn, _combine(mine, row) if mine else {**row, "person_id": keep})
    conn.execute("UPDATE people_merges SET person_id = :keep WHERE person_id = :gone", params)
    for table, column in _person_tables(conn):
        # A row the survivor already has (a unique key) keeps the survivor's version.
        _move_rows(conn, table, column, params)
    conn.execute("UPDATE identities SET person_id = :keep WHERE person_id = :gone", params)
    conn.execute("DELETE FROM persons WHERE id = :gone", params)
    assert isinstance(merge, int)
    return merge


def split_identity(conn: sqlite3.Connection, person: int, identity: int) -> SplitResult:
    """Give ``identity`` (and whoever was merged in with it) a person of its own again.

    When the identity came in with a merge, every identity of that merge goes with it
    and the session attendance both had before the merge is restored. Runs inside the
    caller's transaction.

    Raises:
        MergeError: the identity is not the person's, or is the person's only identity.
    """
    mine = {
        row[0] for row in conn.execute("SELECT id FROM identities WHERE person_id = ?", (person,))
    }
    if identity not in mine:
        raise MergeError(f"identity {identity} does not belong to person {person}")
    if len(mine) == 1:
        raise MergeError(
            f"identity {identity} is person {person}'s only identity: nothing to split"
        )
    merge_row = conn.execute(
        "SELECT m.id FROM people_merges AS m "
        "JOIN people_merge_identities AS mi ON mi.merge_id = m.id "
        "WHERE m.person_id = ? AND mi.identity_id = ? ORDER BY m.id DESC LIMIT 1",
        (person, identity),
    ).fetchone()
    moving = {identity}
    if merge_row is not None:
        group = conn.execute(
            "SELECT identity_id FROM people_merge_identities WHERE merge_id = ?", (merge_row[0],)
        )
        moving |= {row[0] for row in group} & mine
    if moving == mine:  # the merged-in side is all that is left: split the other side off
        moving = {identity}
    new = conn.execute(
        "INSERT INTO persons (created_at) VALUES (?) RETURNING id", (utcnow().timestamp(),)
    ).fetchone()[0]
    assert isinstance(new, int)
    marks = ",".join("?" * len(moving))
    conn.execute(f"UPDATE identities SET person_id = ? WHERE id IN ({marks})", (new, *moving))
    # Earlier merges into what moved (say, its own alternate nick) go with it.
    conn.execute(
        f"UPDATE people_merges SET person_id = ? WHERE person_id = ? AND id IN (SELECT "
        f"merge_id FROM people_merge_identities WHERE identity_id IN ({marks}))",
        (new, person, *moving),
    )
    conn.executemany(
        "INSERT OR IGNORE INTO people_kept_apart (identity_id, other_id) VALUES (?, ?)",
        [(a, b) for a in moving for b in mine - moving],
    )
    restored = False
    if merge_row is not None:
        restored = True
        merge = merge_row[0]
        snapshot = conn.execute(
            "SELECT side, session_id, row FROM people_merge_attendance WHERE merge_id = ?",
            (merge,),
        ).fetchall()
        conn.executemany(
            "DELETE FROM session_attendance WHERE person_id = ? AND session_id = ?",
            [(person, row["session_id"]) for row in snapshot],
        )
        for row in snapshot:
            owner = person if row["side"] == "kept" else new
            _restore(conn, json.loads(row["row"]), owner)
        conn.execute("DELETE FROM people_merges WHERE id = ?", (merge,))
    return SplitResult(new, tuple(sorted(moving)), restored)
