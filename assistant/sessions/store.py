"""Sessions and their attendance in the database: opening, closing, and working out who attended.

Attendance is derived when a session closes, from what the recorder stored: presence stays
(``presence_intervals``) and lines (``messages``) in the session's channel between its start
and end, per *person* (so a nick change mid-chat is one attendee). For each person:

- ``arrived_at``: the start of their first stay overlapping the session, or the session's
  start when they were already there (``already_present``); someone seen only talking
  arrived with their first line;
- ``left_at``: the end of their last stay if it ended before the session did, else NULL
  (still there at the end);
- ``present_seconds``: the union of their stays clipped to the session;
- ``lines``, ``first_message_id``, ``last_message_id``: what they said during it.

Every function here is synchronous, backend-neutral code for the database thread (run it
through ``Database.transaction``/``run_in_thread``).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from assistant.events import irc_casefold

__all__ = [
    "SessionRow",
    "close_session",
    "compute_attendance",
    "find_event_session",
    "open_session",
    "open_sessions",
    "set_status",
]

_ENSURE_NETWORK = (
    "INSERT INTO networks (name, platform) VALUES (?, ?) ON CONFLICT (name) DO NOTHING"
)
_ENSURE_CHANNEL = (
    "INSERT INTO channels (network_id, key, name) "
    "VALUES ((SELECT id FROM networks WHERE name = ?1), ?2, ?3) "
    "ON CONFLICT (network_id, key) DO NOTHING"
)
_CHANNEL_ID = (
    "SELECT c.id FROM channels AS c JOIN networks AS n ON n.id = c.network_id "
    "WHERE n.name = ? AND c.key = ?"
)
_SELECT_SESSION = """
SELECT s.id, n.name AS network, n.platform, c.name AS channel, s.name, s.origin, s.status,
       s.series, s.timezone, s.event_id, s.started_at, s.ended_at, s.planned_start,
       s.planned_end
FROM sessions AS s JOIN channels AS c ON c.id = s.channel_id
JOIN networks AS n ON n.id = c.network_id
"""
_STAYS = """
SELECT i.person_id, p.joined_at, p.left_at, p.already_present
FROM presence_intervals AS p JOIN identities AS i ON i.id = p.identity_id
WHERE p.channel_id = :channel AND p.joined_at < :end
AND (p.left_at IS NULL OR p.left_at > :start)
"""
_LINES = """
SELECT i.person_id, m.id, m.at
FROM messages AS m JOIN identities AS i ON i.id = m.identity_id
WHERE m.channel_id = :channel AND m.at >= :start AND m.at <= :end AND m.deleted = 0
ORDER BY m.at, m.id
"""
_INSERT_ATTENDANCE = """
INSERT INTO session_attendance (session_id, person_id, arrived_at, left_at, lines,
    present_seconds, already_present, first_message_id, last_message_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
"""


@dataclass(frozen=True)
class SessionRow:
    """A stored session, with its channel and network by name."""

    id: int
    network: str
    platform: str
    channel: str
    name: str
    origin: str
    status: str
    series: str | None
    timezone: str | None
    event_id: str | None
    started_at: float
    ended_at: float | None
    planned_start: float | None
    planned_end: float | None


def _row(row: sqlite3.Row) -> SessionRow:
    return SessionRow(**{key: row[key] for key in row.keys()})  # noqa: SIM118


def _channel_id(conn: sqlite3.Connection, network: str, platform: str, channel: str) -> int:
    conn.execute(_ENSURE_NETWORK, (network, platform))
    key = irc_casefold(channel)
    conn.execute(_ENSURE_CHANNEL, (network, key, channel))
    return int(conn.execute(_CHANNEL_ID, (network, key)).fetchone()[0])


def open_session(
    conn: sqlite3.Connection,
    *,
    network: str,
    platform: str,
    channel: str,
    name: str,
    origin: str,
    started_at: float,
    status: str = "active",
    series: str | None = None,
    timezone: str | None = None,
    event_id: str | None = None,
    planned_start: float | None = None,
    planned_end: float | None = None,
) -> int:
    """Insert a session (creating its network and channel rows if new); return its id."""
    channel_id = _channel_id(conn, network, platform, channel)
    cursor = conn.execute(
        "INSERT INTO sessions (channel_id, name, started_at, origin, status, series, timezone, "
        "event_id, planned_start, planned_end) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "RETURNING id",
        (
            channel_id,
            name,
            started_at,
            origin,
            status,
            series,
            timezone,
            event_id,
            planned_start,
            planned_end,
        ),
    )
    return int(cursor.fetchone()[0])


def set_status(
    conn: sqlite3.Connection,
    session_id: int,
    status: str,
    *,
    started_at: float | None = None,
    name: str | None = None,
    planned_start: float | None = None,
    planned_end: float | None = None,
) -> None:
    """Change a session's status (and, when given, its start, name or planned bounds)."""
    conn.execute(
        "UPDATE sessions SET status = ?, started_at = coalesce(?, started_at), "
        "name = coalesce(?, name), planned_start = coalesce(?, planned_start), "
        "planned_end = coalesce(?, planned_end) WHERE id = ?",
        (status, started_at, name, planned_start, planned_end, session_id),
    )


def close_session(
    conn: sqlite3.Connection, session_id: int, ended_at: float, status: str = "ended"
) -> int:
    """End a session at ``ended_at`` and store its attendance; return the number of attendees."""
    conn.execute(
        "UPDATE sessions SET ended_at = ?, status = ? WHERE id = ?", (ended_at, status, session_id)
    )
    return compute_attendance(conn, session_id)


def find_event_session(conn: sqlite3.Connection, network: str, event_id: str) -> SessionRow | None:
    """The session made for a platform's scheduled event, if there is one."""
    row = conn.execute(
        f"{_SELECT_SESSION} WHERE s.event_id = ? AND n.name = ? ORDER BY s.id DESC LIMIT 1",
        (event_id, network),
    ).fetchone()
    return None if row is None else _row(row)


def open_sessions(conn: sqlite3.Connection) -> list[SessionRow]:
    """Sessions still active (or upcoming): left open by a crash, or still to come."""
    rows = conn.execute(f"{_SELECT_SESSION} WHERE s.status IN ('active', 'upcoming')")
    return [_row(row) for row in rows]


def _merged_seconds(spans: list[tuple[float, float]]) -> float:
    total, reach = 0.0, float("-inf")
    for begin, finish in sorted(spans):
        begin = max(begin, reach)
        if finish > begin:
            total += finish - begin
            reach = finish
    return total


@dataclass
class _Attendee:
    arrived: float | None = None
    left: float | None = None
    stayed_to_end: bool = False
    already: bool = False
    spans: list[tuple[float, float]] | None = None
    lines: int = 0
    first: int | None = None
    last: int | None = None
    first_at: float | None = None
    last_at: float | None = None


def compute_attendance(conn: sqlite3.Connection, session_id: int) -> int:
    """(Re)compute a closed session's attendance rows; return how many people attended."""
    session = conn.execute(
        "SELECT channel_id, started_at, ended_at FROM sessions WHERE id = ?", (session_id,)
    ).fetchone()
    if session is None or session["ended_at"] is None:
        return 0
    start, end = float(session["started_at"]), float(session["ended_at"])
    params = {"channel": session["channel_id"], "start": start, "end": end}
    people: dict[int, _Attendee] = {}
    for row in conn.execute(_STAYS, params):
        who = people.setdefault(row["person_id"], _Attendee(spans=[]))
        assert who.spans is not None
        joined = max(float(row["joined_at"]), start)
        until = end if row["left_at"] is None else min(float(row["left_at"]), end)
        who.spans.append((joined, until))
        who.already = who.already or float(row["joined_at"]) <= start
        who.arrived = joined if who.arrived is None else min(who.arrived, joined)
        if until >= end:
            who.stayed_to_end = True
        who.left = until if who.left is None else max(who.left, until)
    for row in conn.execute(_LINES, params):
        who = people.setdefault(row["person_id"], _Attendee())
        who.lines += 1
        if who.first is None:
            who.first, who.first_at = int(row["id"]), float(row["at"])
        who.last, who.last_at = int(row["id"]), float(row["at"])
    conn.execute("DELETE FROM session_attendance WHERE session_id = ?", (session_id,))
    rows = []
    for person, who in people.items():
        arrived: float | None
        left: float | None
        if who.spans:
            arrived, present = who.arrived, _merged_seconds(who.spans)
            left = None if who.stayed_to_end else who.left
        else:  # seen only talking: there from their first line to their last, as far as known
            arrived, left = who.first_at, who.last_at
            present = (who.last_at or 0.0) - (who.first_at or 0.0)
        rows.append(
            (
                session_id,
                person,
                arrived,
                left,
                who.lines,
                present,
                int(who.already),
                who.first,
                who.last,
            )
        )
    conn.executemany(_INSERT_ATTENDANCE, rows)
    return len(rows)
