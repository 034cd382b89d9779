"""Finding people and describing them: the answers behind ``presence people`` and ``person``.

Everything here reads on the database thread and never shows a private channel: the
owner's terminal is "elsewhere" as far as a private channel is concerned.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from assistant.events import irc_casefold
from assistant.people.linking import Groups, link_people
from assistant.people.notability import ref_matches

__all__ = [
    "IdentityInfo",
    "PersonSummary",
    "identity_id_for",
    "list_people",
    "person_summary",
    "recent_topics",
    "relink",
    "resolve_person",
]


@dataclass(frozen=True)
class IdentityInfo:
    """One identity of a person, as the owner would recognise it."""

    identity_id: int
    platform: str
    network: str
    nick: str
    account: str | None
    userhost: str | None
    status: str | None


@dataclass(frozen=True)
class PersonSummary:
    """A person at a glance: their nicks, how much they said, when, and sessions attended."""

    person_id: int
    nick: str
    identities: tuple[IdentityInfo, ...]
    lines: int
    last_at: datetime | None
    sessions: int


_IDENTITIES = """
SELECT i.id, i.person_id, i.platform, n.name AS network, i.nick, i.account, i.userhost,
       i.status, i.key, i.user_id, i.network_id
FROM identities AS i JOIN networks AS n ON n.id = i.network_id
"""
# Lines and latest line per person, in public channels only.
_ACTIVITY = """
SELECT i.person_id, count(m.id) AS lines, max(m.at) AS last_at
FROM identities AS i
JOIN messages AS m ON m.identity_id = i.id
WHERE m.channel_id IN (SELECT id FROM channels WHERE private = 0)
AND (:person IS NULL OR i.person_id = :person)
GROUP BY i.person_id
"""
_STAYS = """
SELECT i.person_id, max(coalesce(p.left_at, p.joined_at)) AS last_at
FROM identities AS i JOIN presence_intervals AS p ON p.identity_id = i.id
WHERE p.channel_id IN (SELECT id FROM channels WHERE private = 0)
AND (:person IS NULL OR i.person_id = :person)
GROUP BY i.person_id
"""
_SESSIONS = """
SELECT person_id, count(*) FROM session_attendance
WHERE :person IS NULL OR person_id = :person GROUP BY person_id
"""
_TOPICS = """
SELECT a.topics FROM message_analyses AS a
JOIN messages AS m ON m.id = a.message_id
WHERE m.identity_id IN (SELECT id FROM identities WHERE person_id = :person)
AND m.channel_id IN (SELECT id FROM channels WHERE private = 0) AND a.topics != '[]'
ORDER BY m.at DESC LIMIT :scan
"""


def _time(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _summaries(conn: sqlite3.Connection, person: int | None) -> list[PersonSummary]:
    params = {"person": person}
    by_person: dict[int, list[sqlite3.Row]] = {}
    for row in conn.execute(_IDENTITIES):
        if person is None or row["person_id"] == person:
            by_person.setdefault(row["person_id"], []).append(row)
    activity = {row["person_id"]: row for row in conn.execute(_ACTIVITY, params)}
    stays = {row["person_id"]: row["last_at"] for row in conn.execute(_STAYS, params)}
    sessions = dict(conn.execute(_SESSIONS, params).fetchall())
    result = []
    for person_id, rows in by_person.items():
        said = activity.get(person_id)
        times = [t for t in (said["last_at"] if said else None, stays.get(person_id)) if t]
        latest = max(rows, key=lambda row: row["id"])
        result.append(
            PersonSummary(
                person_id=person_id,
                nick=latest["nick"],
                identities=tuple(
                    IdentityInfo(
                        row["id"],
                        row["platform"],
                        row["network"],
                        row["nick"],
                        row["account"],
                        row["userhost"],
                        row["status"],
                    )
                    for row in sorted(rows, key=lambda row: row["id"])
                ),
                lines=said["lines"] if said else 0,
                last_at=_time(max(times)) if times else None,
                sessions=sessions.get(person_id, 0),
            )
        )
    return result


def list_people(conn: sqlite3.Connection) -> list[PersonSummary]:
    """Every person, most recently active first."""
    people = _summaries(conn, None)
    people.sort(key=lambda p: (p.last_at is None, -(p.last_at or _EPOCH).timestamp(), p.nick))
    return people


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def person_summary(conn: sqlite3.Connection, person: int) -> PersonSummary | None:
    """One person's summary, or None if there is no such person."""
    found = _summaries(conn, person)
    return found[0] if found else None


def recent_topics(conn: sqlite3.Connection, person: int, limit: int = 8) -> list[str]:
    """The topics the person talked about most in their latest analysed messages."""
    counts: Counter[str] = Counter()
    for (topics,) in conn.execute(_TOPICS, {"person": person, "scan": 200}):
        counts.update(str(topic) for topic in json.loads(topics))
    return [topic for topic, _ in counts.most_common(limit)]


def resolve_person(
    conn: sqlite3.Connection,
    name: str,
    groups: Groups = (),
    network: str | None = None,
) -> int | None:
    """Find the person ``name`` means: a configured name, a nick or user id, or a person id.

    Nicks are compared the way IRC compares them; the most recent identity wins when
    several match. ``network`` narrows nick matches to one network.
    """
    rows = conn.execute(_IDENTITIES).fetchall()
    for group, refs in groups:
        if group.casefold() == name.casefold():
            for row in reversed(rows):
                if any(ref_matches(ref, row) for ref in refs):
                    return int(row["person_id"])
    folded = irc_casefold(name)
    for row in reversed(rows):
        if network is not None and row["network"] != network:
            continue
        if row["key"] == folded or row["key"] == name or irc_casefold(row["nick"]) == folded:
            return int(row["person_id"])
    if name.isdigit():
        found = conn.execute("SELECT id FROM persons WHERE id = ?", (int(name),)).fetchone()
        if found is not None:
            return int(found[0])
    return None


def identity_id_for(conn: sqlite3.Connection, person: int, name: str) -> int | None:
    """The id of the person's identity called ``name`` (a nick, user id, or identity id)."""
    folded = irc_casefold(name)
    rows = conn.execute(
        "SELECT id, key, nick FROM identities WHERE person_id = ? ORDER BY id DESC", (person,)
    ).fetchall()
    for row in rows:
        if row["key"] in (folded, name) or irc_casefold(row["nick"]) == folded:
            return int(row["id"])
    if name.isdigit():
        for row in rows:
            if row["id"] == int(name):
                return int(row["id"])
    return None


def relink(conn: sqlite3.Connection, groups: Groups) -> int:
    """Run automatic linking (accounts, aliases, alternate nicks); return merges made."""
    return len(link_people(conn, groups))
