"""Persons behind identities: finding one by nick, and forgetting one completely."""

from __future__ import annotations

import json
import sqlite3

from assistant.events import irc_casefold
from assistant.storage.backend import Connection
from assistant.storage.database import Database

__all__ = [
    "FIND_PERSON",
    "PERSON_ROWS",
    "analyses_naming",
    "deleted_so_far",
    "find_person",
    "forget_person",
    "person_id_for",
]

FIND_PERSON = """
SELECT person_id FROM (
    SELECT i.person_id, 1 AS exact, i.id FROM identities AS i
    JOIN networks AS n ON n.id = i.network_id
    WHERE n.name = :network AND i.key = :key
    UNION ALL
    SELECT i.person_id, 0, i.id FROM identities AS i
    JOIN networks AS n ON n.id = i.network_id
    WHERE n.name = :network AND i.nick = :nick COLLATE NOCASE
) AS found
ORDER BY exact DESC, id DESC
LIMIT 1
"""
"""The person behind a nick (``:network``, ``:key`` its folded form, ``:nick``), as SQL.

By key first (the case-folded IRC nick, or a Discord user id), else by display nick; the
most recent identity wins when several Discord users share a display name. Two branches,
each read through its index ((network_id, key), (network_id, nick COLLATE NOCASE)): as one
``key = ? OR nick = ?`` joined to networks, PostgreSQL read every identity.
"""

_MINE = "(SELECT id FROM identities WHERE person_id = :person)"

PERSON_ROWS: tuple[tuple[str, str], ...] = (
    ("messages", "identity_id"),
    ("presence_intervals", "identity_id"),
    ("topics", "identity_id"),
    ("session_attendance", "person_id"),
    ("identities", "person_id"),
    ("persons", "id"),
)
"""The core tables holding a person's rows, with the column that names them.

``identity_id`` holds one of the person's identities; ``person_id`` (``id`` in ``persons``)
the person. Every other row of theirs hangs off these through ``ON DELETE CASCADE``.
Forgetting deletes in this order, so that no foreign key dangles part-way through; an
export reads the same rows (:mod:`assistant.storage.export`).
"""

_FORGET = tuple(
    f"DELETE FROM {table} WHERE {column} "
    + (f"IN {_MINE}" if column == "identity_id" else "= :person")
    for table, column in PERSON_ROWS
)
# Someone else's stay ended by this person's kick keeps the fact, not the kicker.
_UNLINK_KICKS = f"UPDATE presence_intervals SET left_by = NULL WHERE left_by IN {_MINE}"


def find_person(conn: sqlite3.Connection, network: str, nick: str) -> int | None:
    """Return the person behind ``nick`` on ``network`` (synchronous, on the database thread)."""
    params = {"network": network, "key": irc_casefold(nick), "nick": nick}
    row = conn.execute(FIND_PERSON, params).fetchone()
    return None if row is None else int(row[0])


async def person_id_for(db: Database, network: str, nick: str) -> int | None:
    """Return the id of the person who uses (or used) ``nick`` on ``network``, if known."""
    return await db.run_in_thread(lambda conn: find_person(conn, network, nick))


# Other people's analyses that name this person (as an addressee) or point at their
# messages (reply links, conversation threads): what is derived from them goes too.
_NAMES = f"SELECT nick, key FROM identities WHERE id IN {_MINE}"
_KEYS = f"""
SELECT a.key FROM message_analyses AS a JOIN messages AS m ON m.id = a.message_id
WHERE m.identity_id IN {_MINE}
"""
# Found through the reverse indexes (people_addressed, people_reply_links, the thread
# index) rather than by reading every analysis: forgetting stays fast in a large store.
# The person's message keys are read in place (they may be many); their names, a handful
# per identity, are bound one placeholder each (NAMES: ":n0, :n1, ...").
_OTHERS_ANALYSES = f"""
SELECT a.message_id, a.addressees, a.reply_to, a.thread FROM message_analyses AS a
WHERE a.message_id IN (
    SELECT message_id FROM people_addressed WHERE name IN (NAMES)
    UNION SELECT message_id FROM people_reply_links WHERE target IN ({_KEYS})
    UNION SELECT message_id FROM message_analyses WHERE thread IN ({_KEYS}))
AND a.message_id NOT IN (SELECT id FROM messages WHERE identity_id IN {_MINE})
"""


def _others_analyses(
    conn: sqlite3.Connection, params: dict[str, object]
) -> tuple[set[str], set[str], list[sqlite3.Row]]:
    """The person's names and message keys, and other people's analyses that use them."""
    names: set[str] = set()
    for nick, key in conn.execute(_NAMES, params):
        names.update((irc_casefold(nick), irc_casefold(key), nick.lower(), key.lower()))
    keys = {row[0] for row in conn.execute(_KEYS, params)}
    if not names and not keys:
        return names, keys, []
    bound = {f"n{index}": name for index, name in enumerate(sorted(names))}
    # No names (an identity never seen) still needs a list PostgreSQL accepts: (NULL).
    sql = _OTHERS_ANALYSES.replace("NAMES", ", ".join(f":{n}" for n in bound) or "NULL")
    return names, keys, conn.execute(sql, {**params, **bound}).fetchall()


def analyses_naming(conn: sqlite3.Connection, person_id: int) -> list[int]:
    """Return the ids of other people's messages whose analysis names or answers the person.

    These are the analyses that forgetting the person edits rather than deletes.
    """
    return sorted(row[0] for row in _others_analyses(conn, {"person": person_id})[2])


def _scrub_analyses(conn: sqlite3.Connection, params: dict[str, object]) -> None:
    names, keys, rows = _others_analyses(conn, params)
    for message_id, addressees_json, reply_to_json, thread in rows:
        addressees = json.loads(addressees_json)
        reply_to = json.loads(reply_to_json)
        kept_addressees = [a for a in addressees if irc_casefold(str(a)) not in names]
        kept_reply_to = [r for r in reply_to if r not in keys]
        kept_thread = "" if thread in keys else thread
        if (kept_addressees, kept_reply_to, kept_thread) != (addressees, reply_to, thread):
            conn.execute(
                "UPDATE message_analyses SET addressees = ?, reply_to = ?, thread = ? "
                "WHERE message_id = ?",
                (json.dumps(kept_addressees), json.dumps(kept_reply_to), kept_thread, message_id),
            )


def _forget(conn: sqlite3.Connection, person_id: int) -> int:
    params: dict[str, object] = {"person": person_id}
    conn.execute(_UNLINK_KICKS, params)
    _scrub_analyses(conn, params)
    before = deleted_so_far(conn)
    for statement in _FORGET:
        conn.execute(statement, params)
    return deleted_so_far(conn) - before


def deleted_so_far(conn: sqlite3.Connection | Connection) -> int:
    """A running count of rows deleted (on SQLite, changed): take it before and after.

    It counts the rows that ON DELETE CASCADE took from plugin tables: SQLite in
    ``total_changes``, PostgreSQL in the statistics of the current transaction
    (``pg_stat_xact_user_tables``), the only place its cascades are counted.
    """
    if isinstance(conn, sqlite3.Connection):
        return conn.total_changes
    row = conn.execute("SELECT coalesce(sum(n_tup_del), 0) FROM pg_stat_xact_user_tables")
    return int(row.fetchone()[0])


async def forget_person(db: Database, person_id: int) -> int:
    """Delete everything about a person, in one transaction; return the rows deleted.

    Their messages, presence, identities, attendance, the topics they set and the person
    row go, and so does every plugin row that references them with ``ON DELETE CASCADE``.
    Other people's analyses stop naming them: their nicks leave the addressees, and reply
    links and conversation threads that pointed at their messages are cut.
    Afterwards no row refers to them or holds their text. A plugin table that refers to
    them without a cascade makes this fail (and change nothing) rather than leave a trace.

    Raises:
        sqlite3.IntegrityError: a table still refers to the person without a cascade.
    """
    # Bumped before the deletion is queued: events recorded from now on upsert their
    # identity again instead of trusting a cache entry that the deletion is about to void.
    db.identities_removed()
    return await db.transaction(lambda conn: _forget(conn, person_id))
