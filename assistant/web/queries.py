"""What the dashboard's pages read, beyond the answers the CLI already has.

Each function is plain :mod:`sqlite3` code for :meth:`Database.run_in_thread`, so a page is
one call on the database thread (one consistent snapshot) and never blocks the event loop.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = [
    "Attendee",
    "Line",
    "database_counts",
    "recent_lines",
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
WHERE a.session_id IN (SELECT value FROM json_each(:ids))
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
WHERE s.id IN (SELECT value FROM json_each(:ids)) AND c.private != 0
"""


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
    conn: sqlite3.Connection, session_ids: Sequence[int]
) -> dict[int, list[Attendee]]:
    """Who came to each of ``session_ids``: most lines first, then by nick."""
    found: dict[int, list[Attendee]] = {session: [] for session in session_ids}
    for row in conn.execute(_ATTENDEES, {"ids": json.dumps(list(session_ids))}):
        found[row["session_id"]].append(
            Attendee(row["person_id"], row["nick"] or f"person {row['person_id']}", row["lines"])
        )
    for people in found.values():
        people.sort(key=lambda a: (-a.lines, a.nick.casefold()))
    return found


def session_privacy(conn: sqlite3.Connection, session_ids: Sequence[int]) -> set[int]:
    """Which of ``session_ids`` took place in a private channel."""
    rows = conn.execute(_PRIVATE, {"ids": json.dumps(list(session_ids))})
    return {int(row["id"]) for row in rows}


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
