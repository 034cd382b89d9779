"""What a person's page shows beyond ``presence person``: links, topics by week.

Links and topics come from the analyses of their lines in public channels
(``message_analyses``: what the pipeline found), read on the database thread. The
relationship is the openings plugin's part of the page (its ``dashboard`` module).
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

__all__ = [
    "SharedLink",
    "TopicWeeks",
    "shared_links",
    "topic_weeks",
]

_PUBLIC = "m.channel_id IN (SELECT id FROM channels WHERE private = 0)"
_LINKS = f"""
SELECT m.at, a.links, c.name AS channel
FROM messages AS m
JOIN message_analyses AS a ON a.message_id = m.id
JOIN channels AS c ON c.id = m.channel_id
WHERE m.identity_id IN (SELECT id FROM identities WHERE person_id = :person)
AND {_PUBLIC} AND m.deleted = 0 AND a.links != '[]'
ORDER BY m.at DESC, m.id DESC
LIMIT :scan
"""
_LATEST = f"""
SELECT max(m.at) FROM messages AS m JOIN message_analyses AS a ON a.message_id = m.id
WHERE m.identity_id IN (SELECT id FROM identities WHERE person_id = :person)
AND {_PUBLIC} AND m.deleted = 0 AND a.topics != '[]'
"""
_TOPICS = f"""
SELECT m.at, a.topics FROM messages AS m JOIN message_analyses AS a ON a.message_id = m.id
WHERE m.identity_id IN (SELECT id FROM identities WHERE person_id = :person)
AND {_PUBLIC} AND m.deleted = 0 AND a.topics != '[]' AND m.at >= :since
"""


@dataclass(frozen=True)
class SharedLink:
    """A link someone shared (the latest time they did), where."""

    url: str
    at: datetime
    channel: str

    @property
    def web(self) -> bool:
        """Whether it is an http(s) address, the only kind the page makes clickable."""
        return self.url.startswith(("http://", "https://"))


def shared_links(conn: sqlite3.Connection, person: int, limit: int = 20) -> list[SharedLink]:
    """The person's latest ``limit`` distinct links in public channels, newest first."""
    found: dict[str, SharedLink] = {}
    for row in conn.execute(_LINKS, {"person": person, "scan": limit * 5}):
        for url in json.loads(row["links"]):
            if str(url) not in found:
                at = datetime.fromtimestamp(row["at"], UTC)
                found[str(url)] = SharedLink(str(url), at, row["channel"])
    return list(found.values())[:limit]


@dataclass(frozen=True)
class TopicWeeks:
    """The person's most frequent topics, counted week by week (oldest week first)."""

    weeks: list[date]
    """Each week's Monday, in the configured time zone."""
    rows: list[tuple[str, list[int]]]
    """Each topic with its count in each of :attr:`weeks`, the most frequent topic first."""
    top: int
    """The largest count in one week (for shading)."""

    def level(self, count: int) -> int:
        """A shade from 0 (none) to 4 (the busiest week of any topic)."""
        return 0 if count <= 0 or self.top <= 0 else 1 + min(3, (count * 4 - 1) // self.top)


def topic_weeks(
    conn: sqlite3.Connection, person: int, where: tzinfo, weeks: int = 12, topics: int = 8
) -> TopicWeeks | None:
    """Their ``topics`` most frequent topics over the ``weeks`` weeks up to their latest
    analysed line in a public channel, counted per week; None before any."""
    latest = conn.execute(_LATEST, {"person": person}).fetchone()[0]
    if latest is None:
        return None
    last = datetime.fromtimestamp(latest, UTC).astimezone(where).date()
    last_monday = last - timedelta(days=last.weekday())
    mondays = [last_monday - timedelta(weeks=back) for back in range(weeks - 1, -1, -1)]
    start = datetime.combine(mondays[0], datetime.min.time(), where).timestamp()
    by_week: dict[date, Counter[str]] = {monday: Counter() for monday in mondays}
    total: Counter[str] = Counter()
    for row in conn.execute(_TOPICS, {"person": person, "since": start}):
        day = datetime.fromtimestamp(row["at"], UTC).astimezone(where).date()
        monday = day - timedelta(days=day.weekday())
        if monday in by_week:
            said = [str(topic) for topic in json.loads(row["topics"])]
            by_week[monday].update(said)
            total.update(said)
    chosen = [topic for topic, _ in total.most_common(topics)]
    rows = [(topic, [by_week[monday][topic] for monday in mondays]) for topic in chosen]
    top = max((count for _, counts in rows for count in counts), default=0)
    return TopicWeeks(mondays, rows, top)
