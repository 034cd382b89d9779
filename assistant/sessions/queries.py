"""The owner's questions about sessions: which ones happened lately, and a person's record.

Each answer is one call on the database thread (one consistent snapshot). Times come back
aware; a session's local times are read in its own time zone (its schedule's), else UTC.
"""

from __future__ import annotations

import sqlite3
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from assistant.storage.database import Database

__all__ = [
    "SeriesRecord",
    "SessionSummary",
    "Visit",
    "person_attendance",
    "recent_sessions",
    "zone",
]

# Head counts and lines come from the (session_id, lines) index alone.
_RECENT = """
SELECT s.id, n.name AS network, c.name AS channel, s.name, s.origin, s.status, s.series,
       s.started_at, s.ended_at, s.timezone,
       (SELECT count(*) FROM session_attendance AS a WHERE a.session_id = s.id) AS attendees,
       (SELECT coalesce(sum(a.lines), 0) FROM session_attendance AS a
        WHERE a.session_id = s.id) AS lines
FROM sessions AS s JOIN channels AS c ON c.id = s.channel_id
JOIN networks AS n ON n.id = c.network_id
WHERE s.status != 'upcoming'
ORDER BY s.started_at DESC, s.id DESC
LIMIT :limit
"""
_SERIES_OF = """
SELECT DISTINCT s.channel_id, s.series
FROM session_attendance AS a JOIN sessions AS s ON s.id = a.session_id
WHERE a.person_id = :person AND s.status = 'ended'
"""
# "series IS :series" is SQLite's; IS NOT DISTINCT FROM needs SQLite 3.39, so spelled out.
_VISITS = """
SELECT s.id, s.name, s.started_at, s.ended_at, s.timezone, c.name AS channel,
       n.name AS network, a.person_id IS NOT NULL AS attended, a.arrived_at, a.left_at,
       a.present_seconds, a.lines, f.text AS first_words, l.text AS last_words
FROM sessions AS s
JOIN channels AS c ON c.id = s.channel_id
JOIN networks AS n ON n.id = c.network_id
LEFT JOIN session_attendance AS a ON a.session_id = s.id AND a.person_id = :person
LEFT JOIN messages AS f ON f.id = a.first_message_id AND f.deleted = 0
LEFT JOIN messages AS l ON l.id = a.last_message_id AND l.deleted = 0
WHERE s.channel_id = :channel AND s.status = 'ended'
AND (s.series = :series OR (s.series IS NULL AND :series IS NULL))
ORDER BY s.started_at DESC
LIMIT :last
"""


def zone(name: str | None) -> tzinfo:
    """The time zone called ``name``, or UTC when there is none (or it is unknown here)."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _time(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


@dataclass(frozen=True)
class SessionSummary:
    """A session with how many people attended and how many lines they said."""

    id: int
    network: str
    channel: str
    name: str
    origin: str
    status: str
    series: str | None
    started: datetime
    ended: datetime | None
    timezone: str | None
    attendees: int
    lines: int


@dataclass(frozen=True)
class Visit:
    """One session of a recurring chat, and the person's attendance of it (if they came)."""

    session_id: int
    name: str
    started: datetime
    ended: datetime | None
    attended: bool
    arrived: datetime | None = None
    left: datetime | None = None
    """None when they were still there at the end."""
    present: timedelta = timedelta(0)
    lines: int = 0
    first_words: str | None = None
    last_words: str | None = None


@dataclass(frozen=True)
class SeriesRecord:
    """A person's record at one recurring chat (a schedule, an event series, or ad-hoc talk)."""

    network: str
    channel: str
    series: str | None
    timezone: str | None
    visits: list[Visit]
    """The chat's most recent sessions, newest first, attended or not."""

    @property
    def attended(self) -> int:
        """How many of ``visits`` the person came to."""
        return sum(visit.attended for visit in self.visits)

    @property
    def usual_arrival(self) -> time | None:
        """The median local time they arrived at, over the sessions they came to."""
        local = zone(self.timezone)
        minutes = []
        for visit in self.visits:
            if visit.arrived is not None:
                arrived = visit.arrived.astimezone(local)
                minutes.append(arrived.hour * 60 + arrived.minute)
        if not minutes:
            return None
        median = int(statistics.median_low(minutes))
        return time(median // 60, median % 60)

    @property
    def usual_stay(self) -> timedelta | None:
        """The median time they were present, over the sessions they came to."""
        stays = [visit.present for visit in self.visits if visit.attended]
        return statistics.median_low(stays) if stays else None

    def sentence(self) -> str:
        """ "7 of the last 8; usually arrives 19:40, stays 70 min"."""
        text = f"{self.attended} of the last {len(self.visits)}"
        arrival, stay = self.usual_arrival, self.usual_stay
        if arrival is not None and stay is not None:
            minutes = round(stay.total_seconds() / 60)
            text += f"; usually arrives {arrival:%H:%M}, stays {minutes} min"
        return text


def _recent(conn: sqlite3.Connection, limit: int) -> list[SessionSummary]:
    return [
        SessionSummary(
            id=row["id"],
            network=row["network"],
            channel=row["channel"],
            name=row["name"],
            origin=row["origin"],
            status=row["status"],
            series=row["series"],
            started=datetime.fromtimestamp(row["started_at"], UTC),
            ended=_time(row["ended_at"]),
            timezone=row["timezone"],
            attendees=row["attendees"],
            lines=row["lines"],
        )
        for row in conn.execute(_RECENT, {"limit": limit})
    ]


async def recent_sessions(db: Database, limit: int = 20) -> list[SessionSummary]:
    """The latest ``limit`` sessions (under way or over, not upcoming), newest first."""
    return await db.run_in_thread(lambda conn: _recent(conn, limit))


def _visit(row: sqlite3.Row) -> Visit:
    attended = bool(row["attended"])
    return Visit(
        session_id=row["id"],
        name=row["name"],
        started=datetime.fromtimestamp(row["started_at"], UTC),
        ended=_time(row["ended_at"]),
        attended=attended,
        arrived=_time(row["arrived_at"]),
        left=_time(row["left_at"]) if attended else None,
        present=timedelta(seconds=row["present_seconds"] or 0.0),
        lines=row["lines"] or 0,
        first_words=row["first_words"],
        last_words=row["last_words"],
    )


def _person_attendance(conn: sqlite3.Connection, person_id: int, last: int) -> list[SeriesRecord]:
    records = []
    for series in conn.execute(_SERIES_OF, {"person": person_id}).fetchall():
        params = {
            "person": person_id,
            "channel": series["channel_id"],
            "series": series["series"],
            "last": last,
        }
        rows = conn.execute(_VISITS, params).fetchall()
        if not rows:
            continue
        records.append(
            SeriesRecord(
                network=rows[0]["network"],
                channel=rows[0]["channel"],
                series=series["series"],
                timezone=rows[0]["timezone"],
                visits=[_visit(row) for row in rows],
            )
        )
    records.sort(key=lambda record: (-record.attended, record.series or "", record.channel))
    return records


async def person_attendance(db: Database, person_id: int, last: int = 8) -> list[SeriesRecord]:
    """The person's record at each recurring chat they came to, over its last ``last`` sessions.

    Ad-hoc sessions of a channel count together as one "chat". Most attended first.
    """
    return await db.run_in_thread(lambda conn: _person_attendance(conn, person_id, last))
