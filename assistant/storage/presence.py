"""Presence queries: when someone was last seen, and who attended a channel.

Both answer for a *person*, following nick-change links, and both run as one call on the
database thread so that they read one consistent snapshot.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from assistant.events import irc_casefold
from assistant.storage.database import Database
from assistant.storage.people import FIND_PERSON

__all__ = ["AttendanceRow", "SeenRecord", "attendance", "last_seen"]


@dataclass(frozen=True)
class SeenRecord:
    """Someone's latest sighting: where, when, their last words, and whether they are here."""

    nick: str
    network: str
    channel: str
    at: datetime
    last_words: str | None
    still_here: bool
    via: str = "channel"
    """Where in the channel: its text ("channel"), or its Discord "voice" or "stage"."""


@dataclass(frozen=True)
class AttendanceRow:
    """One person's attendance of a channel, under their latest nick there."""

    nick: str
    arrived: datetime
    left: datetime | None
    lines: int
    present: bool


_CHANNEL_ID = """
SELECT c.id FROM channels AS c JOIN networks AS n ON n.id = c.network_id
WHERE n.name = :network AND c.key = :channel
"""

# The latest message, arrival and departure of each of the person's identities, in the
# channels the asker may see: public ones, and the private one the question was asked in.
# Neither "disconnected" (Presence lost the connection), "unknown" (Presence crashed) nor
# "nick" (the person goes on under a new nick) is a departure, so none is a sighting.
# Each row also says whether the person is still here (an open stay in a visible channel).
# One statement, person lookup included: on PostgreSQL each is a round trip to the server.
_SIGHTINGS = f"""
WITH person AS ({FIND_PERSON}),
mine AS (SELECT id FROM identities WHERE person_id = (SELECT person_id FROM person)),
visible AS (
    SELECT id FROM channels WHERE private = 0 OR id = (
        SELECT c.id FROM channels AS c JOIN networks AS n ON n.id = c.network_id
        WHERE n.name = :network AND c.key = :asked))
SELECT s.what, s.at, s.text, s.via, i.nick, c.name AS channel, n.name AS network,
       EXISTS (SELECT 1 FROM presence_intervals
               WHERE left_at IS NULL AND identity_id IN (SELECT id FROM mine)
               AND channel_id IN (SELECT id FROM visible)) AS still_here
FROM (
    SELECT 1 AS what, m.at, m.text, 'channel' AS via, m.identity_id, m.channel_id
    FROM mine JOIN messages AS m ON m.id = (
        SELECT id FROM messages
        WHERE identity_id = mine.id AND deleted = 0 AND channel_id IN (SELECT id FROM visible)
        ORDER BY at DESC LIMIT 1)
    UNION ALL
    SELECT 0, p.joined_at, NULL, p.via, p.identity_id, p.channel_id
    FROM mine JOIN presence_intervals AS p ON p.id = (
        SELECT id FROM presence_intervals
        WHERE identity_id = mine.id AND channel_id IN (SELECT id FROM visible)
        ORDER BY joined_at DESC LIMIT 1)
    UNION ALL
    SELECT 2, p.left_at, NULL, p.via, p.identity_id, p.channel_id
    FROM mine JOIN presence_intervals AS p ON p.id = (
        SELECT id FROM presence_intervals
        WHERE identity_id = mine.id AND channel_id IN (SELECT id FROM visible)
        AND left_at IS NOT NULL AND left_kind NOT IN ('disconnected', 'unknown', 'nick')
        ORDER BY left_at DESC LIMIT 1)
) AS s
JOIN identities AS i ON i.id = s.identity_id
JOIN channels AS c ON c.id = s.channel_id
JOIN networks AS n ON n.id = c.network_id
"""

# Per identity seen in the channel: its stays there and the lines it said there.
_ATTENDANCE = """
WITH stays AS (
    SELECT identity_id, min(joined_at) AS arrived, max(left_at) AS left_at,
           max(CASE WHEN left_at IS NULL THEN 1 ELSE 0 END) AS present,
           max(coalesce(left_at, joined_at)) AS last_stay
    FROM presence_intervals WHERE channel_id = :channel GROUP BY identity_id),
said AS (
    SELECT identity_id, count(*) AS lines, min(at) AS first_said, max(at) AS last_said
    FROM messages WHERE channel_id = :channel GROUP BY identity_id),
seen AS (SELECT identity_id FROM stays UNION SELECT identity_id FROM said)
SELECT i.person_id, i.id AS identity_id, i.nick, s.arrived, s.left_at,
       coalesce(s.present, 0) AS present,
       s.last_stay, coalesce(m.lines, 0) AS lines, m.first_said, m.last_said
FROM seen
JOIN identities AS i ON i.id = seen.identity_id
LEFT JOIN stays AS s ON s.identity_id = seen.identity_id
LEFT JOIN said AS m ON m.identity_id = seen.identity_id
"""


def _time(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def _channel_id(conn: sqlite3.Connection, network: str, channel: str) -> int | None:
    row = conn.execute(_CHANNEL_ID, {"network": network, "channel": irc_casefold(channel)})
    found = row.fetchone()
    return None if found is None else int(found[0])


def _last_seen(
    conn: sqlite3.Connection, network: str, nick: str, asked_in: str | None
) -> SeenRecord | None:
    params = {
        "network": network,
        "key": irc_casefold(nick),
        "nick": nick,
        "asked": None if asked_in is None else irc_casefold(asked_in),
    }
    sightings = conn.execute(_SIGHTINGS, params).fetchall()
    if not sightings:
        return None
    # Latest first; at the same instant a departure outranks a message, a message a join.
    latest = max(sightings, key=lambda row: (row["at"], row["what"]))
    said = [row for row in sightings if row["text"] is not None]
    last_words = max(said, key=lambda row: row["at"])["text"] if said else None
    return SeenRecord(
        nick=latest["nick"],
        network=latest["network"],
        channel=latest["channel"],
        at=_time(latest["at"]),
        last_words=last_words,
        still_here=bool(latest["still_here"]),
        via=latest["via"],
    )


async def last_seen(
    db: Database, network: str, nick: str, *, asked_in: str | None = None
) -> SeenRecord | None:
    """Latest activity (message, join, part/quit) of the person behind ``nick`` on ``network``.

    Follows nick-change links: asking for an old nick finds the person under their new
    one. A private channel is only ever revealed when ``asked_in`` is that channel, and
    ``still_here`` (an open presence interval) only counts channels the asker may see.
    """
    return await db.run_in_thread(lambda conn: _last_seen(conn, network, nick, asked_in))


def _attendance(conn: sqlite3.Connection, network: str, channel: str) -> list[AttendanceRow]:
    channel_id = _channel_id(conn, network, channel)
    if channel_id is None:
        return []
    people: dict[int, list[sqlite3.Row]] = {}
    for row in conn.execute(_ATTENDANCE, {"channel": channel_id}):
        people.setdefault(row["person_id"], []).append(row)
    result = []
    for rows in people.values():
        arrivals = [t for row in rows for t in (row["arrived"], row["first_said"]) if t is not None]
        present = any(row["present"] for row in rows)
        left = None
        if not present:
            departures = [row["left_at"] for row in rows if row["left_at"] is not None]
            said = [row["last_said"] for row in rows if row["last_said"] is not None]
            left = _time(max(departures or said))
        latest = max(rows, key=_last_activity)
        result.append(
            AttendanceRow(
                nick=latest["nick"],
                arrived=_time(min(arrivals)),
                left=left,
                lines=sum(row["lines"] for row in rows),
                present=present,
            )
        )
    result.sort(key=lambda row: (row.arrived, row.nick.casefold()))
    return result


def _last_activity(row: sqlite3.Row) -> tuple[float, int, int]:
    """Order a person's identities by latest activity; on a tie (a nick change) the newer wins."""
    times = (row["last_stay"], row["last_said"], row["arrived"])
    return max(float(t) for t in times if t is not None), row["present"], row["identity_id"]


async def attendance(db: Database, network: str, channel: str) -> list[AttendanceRow]:
    """Per person seen in ``channel``: first arrival, last departure, lines said; by arrival.

    ``left`` is None while the person is present; a person known only from what they
    said (no join was seen) left, as far as is known, with their last line.
    """
    return await db.run_in_thread(lambda conn: _attendance(conn, network, channel))
