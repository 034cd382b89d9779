"""What the dashboard's pages read, beyond the answers the CLI already has.

Each function is plain :mod:`sqlite3` code for :meth:`Database.run_in_thread`, so a page is
one call on the database thread (one consistent snapshot) and never blocks the event loop.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Attendee", "session_attendees", "session_privacy"]


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
_PRIVATE = """
SELECT s.id FROM sessions AS s JOIN channels AS c ON c.id = s.channel_id
WHERE s.id IN (SELECT value FROM json_each(:ids)) AND c.private != 0
"""


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
