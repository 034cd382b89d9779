"""Persons behind identities: finding one by nick, and forgetting one completely."""

from __future__ import annotations

import json
import sqlite3

from assistant.events import irc_casefold
from assistant.storage.database import Database

__all__ = ["find_person", "forget_person", "person_id_for"]

# By key first (the case-folded IRC nick, or a Discord user id), else by display nick; the
# most recent identity wins when several Discord users share a display name.
_FIND_PERSON = """
SELECT i.person_id FROM identities AS i JOIN networks AS n ON n.id = i.network_id
WHERE n.name = :network AND (i.key = :key OR i.nick = :nick COLLATE NOCASE)
ORDER BY i.key = :key DESC, i.id DESC
LIMIT 1
"""

_MINE = "(SELECT id FROM identities WHERE person_id = :person)"

# Deleted in this order so that no foreign key is left dangling part-way through.
_FORGET = (
    f"DELETE FROM messages WHERE identity_id IN {_MINE}",
    f"DELETE FROM presence_intervals WHERE identity_id IN {_MINE}",
    f"DELETE FROM topics WHERE identity_id IN {_MINE}",
    "DELETE FROM session_attendance WHERE person_id = :person",
    "DELETE FROM identities WHERE person_id = :person",
    "DELETE FROM persons WHERE id = :person",
)
# Someone else's stay ended by this person's kick keeps the fact, not the kicker.
_UNLINK_KICKS = f"UPDATE presence_intervals SET left_by = NULL WHERE left_by IN {_MINE}"


def find_person(conn: sqlite3.Connection, network: str, nick: str) -> int | None:
    """Return the person behind ``nick`` on ``network`` (synchronous, on the database thread)."""
    params = {"network": network, "key": irc_casefold(nick), "nick": nick}
    row = conn.execute(_FIND_PERSON, params).fetchone()
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
_OTHERS_ANALYSES = f"""
SELECT a.message_id, a.addressees, a.reply_to, a.thread FROM message_analyses AS a
WHERE a.message_id IN (
    SELECT message_id FROM people_addressed
    WHERE name IN (SELECT value FROM json_each(:names))
    UNION SELECT message_id FROM people_reply_links
    WHERE target IN (SELECT value FROM json_each(:keys))
    UNION SELECT message_id FROM message_analyses
    WHERE thread IN (SELECT value FROM json_each(:keys)))
AND a.message_id NOT IN (SELECT id FROM messages WHERE identity_id IN {_MINE})
"""


def _scrub_analyses(conn: sqlite3.Connection, params: dict[str, object]) -> None:
    names: set[str] = set()
    for nick, key in conn.execute(_NAMES, params):
        names.update((irc_casefold(nick), irc_casefold(key), nick.lower(), key.lower()))
    keys = {row[0] for row in conn.execute(_KEYS, params)}
    if not names and not keys:
        return
    found = {"names": json.dumps(sorted(names)), "keys": json.dumps(sorted(keys))}
    rows = conn.execute(_OTHERS_ANALYSES, {**params, **found})
    for message_id, addressees_json, reply_to_json, thread in rows.fetchall():
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
    before = conn.total_changes
    for statement in _FORGET:
        conn.execute(statement, params)
    # total_changes also counts rows that plugin tables dropped through ON DELETE CASCADE.
    return conn.total_changes - before


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
