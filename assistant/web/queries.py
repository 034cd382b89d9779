"""What the dashboard's pages read, beyond the answers the CLI already has.

Each function is plain :mod:`sqlite3`-style code for :meth:`Database.run_in_thread`, so a
page is one call on the database thread and never blocks the event loop. Its SQL is what
both engines take, so the pages read SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from assistant.config import IdentityRef
from assistant.events import Identity
from assistant.people.optouts import OptOuts

__all__ = [
    "Attendee",
    "ChannelNow",
    "Here",
    "Line",
    "channels_now",
    "database_counts",
    "optout_status",
    "recent_lines",
    "server_database",
    "session_attendees",
    "session_privacy",
]


@dataclass(frozen=True)
class Attendee:
    """Someone who came to a session, under the nick they use now."""

    person_id: int
    nick: str
    lines: int


_ATTENDEES = """
SELECT a.session_id, a.person_id, a.lines,
       (SELECT i.nick FROM identities AS i WHERE i.person_id = a.person_id
        ORDER BY i.id DESC LIMIT 1) AS nick
FROM session_attendance AS a
WHERE a.session_id IN ({ids})
"""
# The `limit` who said most at one session, read backwards off the (session_id, lines)
# index: a few rows a session instead of ranking every attendee of every session shown.
# Ties at the cut go to the people known longest (lowest id), the same on both engines.
_TOP_ATTENDEES = """
SELECT a.person_id, a.lines,
       (SELECT i.nick FROM identities AS i WHERE i.person_id = a.person_id
        ORDER BY i.id DESC LIMIT 1) AS nick
FROM session_attendance AS a
WHERE a.session_id = :session
ORDER BY a.lines DESC, a.person_id
LIMIT :limit
"""
_LINES = """
SELECT m.at, m.text, m.kind, c.name AS channel, c.private, n.name AS network
FROM messages AS m
JOIN channels AS c ON c.id = m.channel_id
JOIN networks AS n ON n.id = c.network_id
WHERE m.identity_id IN (SELECT id FROM identities WHERE person_id = :person)
AND m.deleted = 0
ORDER BY m.at DESC, m.id DESC
LIMIT :limit
"""
_PRIVATE = """
SELECT s.id FROM sessions AS s JOIN channels AS c ON c.id = s.channel_id
WHERE s.id IN ({ids}) AND c.private != 0
"""


def _listed(values: Sequence[int]) -> tuple[str, dict[str, int]]:
    """Placeholders for ``values`` in an ``IN (...)`` list, and their parameters.

    Both engines take them (SQLite's ``json_each`` has no PostgreSQL spelling); a page
    passes a few dozen at most.
    """
    params = {f"id{place}": int(value) for place, value in enumerate(values)}
    return ", ".join(f":{name}" for name in params), params


@dataclass(frozen=True)
class Line:
    """Something a person said, where and when."""

    at: datetime
    text: str
    kind: str
    network: str
    channel: str
    private: bool


def recent_lines(conn: sqlite3.Connection, person: int, limit: int = 20) -> list[Line]:
    """The person's latest lines in channels, newest first (private channels marked)."""
    return [
        Line(
            at=datetime.fromtimestamp(row["at"], UTC),
            text=row["text"],
            kind=row["kind"],
            network=row["network"],
            channel=row["channel"],
            private=bool(row["private"]),
        )
        for row in conn.execute(_LINES, {"person": person, "limit": limit})
    ]


def session_attendees(
    conn: sqlite3.Connection, session_ids: Sequence[int], limit: int | None = None
) -> dict[int, list[Attendee]]:
    """Who came to each of ``session_ids`` (the ``limit`` who said most, ties going to the
    people known longest): most lines first, then by nick."""
    found: dict[int, list[Attendee]] = {session: [] for session in session_ids}
    rows: list[tuple[int, Any]] = []
    if limit is not None:
        rows = [
            (session, row)
            for session in found
            for row in conn.execute(_TOP_ATTENDEES, {"session": session, "limit": limit})
        ]
    elif found:
        ids, params = _listed(list(found))
        sql = _ATTENDEES.format(ids=ids)
        rows = [(row["session_id"], row) for row in conn.execute(sql, params)]
    for session, row in rows:
        found[session].append(
            Attendee(row["person_id"], row["nick"] or f"person {row['person_id']}", row["lines"])
        )
    for people in found.values():
        people.sort(key=lambda a: (-a.lines, a.nick.casefold()))
    return found


def session_privacy(conn: sqlite3.Connection, session_ids: Sequence[int]) -> set[int]:
    """Which of ``session_ids`` took place in a private channel."""
    if not session_ids:
        return set()
    ids, params = _listed(session_ids)
    return {int(row["id"]) for row in conn.execute(_PRIVATE.format(ids=ids), params)}


# Table names from this fixed list only, never from a request.
_COUNTED = ("persons", "identities", "messages", "sessions", "message_analyses")


def database_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Rows in the main tables, and the core schema version (as ``schema``)."""
    counts = {
        table: int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        for table in _COUNTED
    }
    row = conn.execute(
        "SELECT max(version) FROM schema_migrations WHERE namespace = 'core'"
    ).fetchone()
    counts["schema"] = int(row[0] or 0)
    return counts


def server_database(conn: sqlite3.Connection) -> tuple[str, int]:
    """A PostgreSQL database's name and its size on disk in bytes (tables, indexes, TOAST)."""
    row = conn.execute("SELECT current_database(), pg_database_size(current_database())")
    name, size = row.fetchone()
    return str(name), int(size)


@dataclass(frozen=True)
class Here:
    """Someone in a channel right now (an open presence interval), under their nick there."""

    person_id: int
    nick: str
    since: datetime


@dataclass(frozen=True)
class ChannelNow:
    """One attended channel: who is in it and the session under way, if any."""

    network: str
    channel: str
    known: bool
    """False until Presence has recorded anything in it."""
    private: bool
    present: list[Here]
    session_id: int | None
    session_name: str
    session_started: datetime | None
    session_timezone: str | None


_CHANNEL = """
SELECT c.id, c.name, c.private FROM channels AS c JOIN networks AS n ON n.id = c.network_id
WHERE n.name = :network AND c.key = :key
"""
# Each person once, under the nick of their earliest open stay (see channels_now).
_PRESENT = """
SELECT i.person_id, i.nick, p.joined_at
FROM presence_intervals AS p JOIN identities AS i ON i.id = p.identity_id
WHERE p.channel_id = :channel AND p.left_at IS NULL AND i.person_id IS NOT NULL
ORDER BY i.person_id, p.joined_at, p.id
"""
_CURRENT = """
SELECT id, name, started_at, timezone FROM sessions
WHERE channel_id = :channel AND ended_at IS NULL AND status != 'upcoming'
ORDER BY started_at DESC, id DESC LIMIT 1
"""


def channels_now(
    conn: sqlite3.Connection, attended: Sequence[tuple[str, str, str, bool]]
) -> list[ChannelNow]:
    """Each of ``attended`` (network, channel name, channel key, configured private) now.

    Presence is what was last recorded: under ``presence web`` alone (no bot running) it
    is as of when ``presence run`` last stopped.
    """
    found = []
    for network, name, key, private in attended:
        row = conn.execute(_CHANNEL, {"network": network, "key": key}).fetchone()
        if row is None:
            found.append(ChannelNow(network, name, False, private, [], None, "", None, None))
            continue
        # The earliest stay of each person, in Python: PostgreSQL has no bare columns
        # beside min() (SQLite's GROUP BY took the nick of the min() row).
        earliest: dict[int, Here] = {}
        for r in conn.execute(_PRESENT, {"channel": row["id"]}):
            person = int(r["person_id"])
            if person not in earliest:
                since = datetime.fromtimestamp(r["joined_at"], UTC)
                earliest[person] = Here(person, r["nick"], since)
        present = list(earliest.values())
        current = conn.execute(_CURRENT, {"channel": row["id"]}).fetchone()
        found.append(
            ChannelNow(
                network=network,
                channel=row["name"],
                known=True,
                private=private or bool(row["private"]),
                present=present,
                session_id=int(current["id"]) if current else None,
                session_name=current["name"] if current else "",
                session_started=(
                    datetime.fromtimestamp(current["started_at"], UTC) if current else None
                ),
                session_timezone=current["timezone"] if current else None,
            )
        )
    return found


_THEIR_IDENTITIES = """
SELECT i.person_id, i.platform, n.name AS network, i.nick, i.key, i.account
FROM identities AS i JOIN networks AS n ON n.id = i.network_id
WHERE i.person_id IN ({ids})
"""
OPTED_OUT_IN_CHAT = "opted out (!optout)"
OPTED_OUT_IN_CONFIG = "opted out ([privacy] optout)"


def optout_status(
    conn: sqlite3.Connection, persons: Sequence[int], configured: Sequence[IdentityRef]
) -> dict[int, str]:
    """Which of ``persons`` asked not to be recorded, and how: in chat, or in the config.

    An identity counts as the recorder counts it (:meth:`OptOuts.blocks`: its key, or its IRC
    account), against the ``people_optouts`` table and the ``configured`` opt-outs.
    """
    in_chat, in_config = OptOuts(), OptOuts()
    in_config.add_refs(configured)
    for network, kind, value in conn.execute("SELECT network, kind, value FROM people_optouts"):
        in_chat.add(network, kind, value)
    if not persons or (not in_chat and not in_config):
        return {}
    found: dict[int, str] = {}
    ids, params = _listed(persons)
    for row in conn.execute(_THEIR_IDENTITIES.format(ids=ids), params):
        identity = Identity(
            row["platform"],
            row["network"],
            row["nick"],
            account=row["account"],
            user_id=None if row["platform"] == "irc" else row["key"],
        )
        if in_chat.blocks(identity):
            found[int(row["person_id"])] = OPTED_OUT_IN_CHAT
        elif in_config.blocks(identity):
            found.setdefault(int(row["person_id"]), OPTED_OUT_IN_CONFIG)
    return found
