"""Finding people and describing them: the answers behind ``presence people`` and ``person``.

Everything here reads on the database thread and never shows a private channel: the
owner's terminal is "elsewhere" as far as a private channel is concerned.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from assistant.events import irc_casefold
from assistant.people.linking import Groups, link_people
from assistant.people.notability import ref_matches
from assistant.storage.backend import Params

__all__ = [
    "Activity",
    "IdentityInfo",
    "PersonSummary",
    "identity_activity",
    "identity_id_for",
    "list_people",
    "people_order",
    "people_summaries",
    "person_summary",
    "recent_topics",
    "relink",
    "resolve_person",
    "search_people",
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
class Activity:
    """Each identity's public lines and latest public line, counted up to message ``upto``.

    A snapshot a page keeps for a while (see :func:`identity_activity`), so that showing
    a few hundred busy people does not count their lines again each time.
    """

    upto: int
    """The newest message id counted."""
    by_identity: dict[int, tuple[int, float]]
    """Identity id → (lines, time of the latest)."""


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
# The persons a query is about: everyone, or those in :persons (a JSON list for SQLite's
# json_each, an array for PostgreSQL's = ANY).
_EVERYONE = "TRUE"
_CHOSEN = "i.person_id IN (SELECT value FROM json_each(:persons))"
_CHOSEN_ARRAY = "i.person_id = ANY (:persons)"
_IDENTITIES_OF = _IDENTITIES + "WHERE {persons}\n"
# Lines and latest line per person, in public channels only (from the index on
# messages (identity_id, at, channel_id) alone).
_ACTIVITY = """
SELECT i.person_id, count(m.id) AS lines, max(m.at) AS last_at
FROM identities AS i
JOIN messages AS m ON m.identity_id = i.id
WHERE m.channel_id IN (SELECT id FROM channels WHERE private = 0)
AND {persons}
GROUP BY i.person_id
"""
_STAYS = """
SELECT i.person_id, max(coalesce(p.left_at, p.joined_at)) AS last_at
FROM identities AS i JOIN presence_intervals AS p ON p.identity_id = i.id
WHERE p.channel_id IN (SELECT id FROM channels WHERE private = 0)
AND {persons}
GROUP BY i.person_id
"""
_SESSIONS = """
SELECT i.person_id, count(*) FROM session_attendance AS i WHERE {persons} GROUP BY i.person_id
"""
# Everyone's latest public line without counting lines: each identity's index entries
# walked backwards to the first one in a public channel (usually the first one).
_LAST_SAID = """
SELECT i.person_id, max((
    SELECT m.at FROM messages AS m
    WHERE m.identity_id = i.id AND m.channel_id NOT IN (SELECT id FROM channels WHERE private != 0)
    ORDER BY m.at DESC LIMIT 1
)) AS last_at
FROM identities AS i GROUP BY i.person_id
"""
_SEARCHED = "SELECT person_id, nick, account FROM identities"
# Lines and latest public line per identity: of every message (from the index alone), or
# of the messages after :after (a range of ids: NOT INDEXED keeps SQLite from scanning the
# whole index for the GROUP BY; the id range is still used).
_BY_IDENTITY = """
SELECT m.identity_id, count(*), max(m.at) FROM messages AS m {hint}
WHERE {after} AND m.channel_id IN (SELECT id FROM channels WHERE private = 0)
GROUP BY m.identity_id
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


def _persons(conn: object, persons: Sequence[int] | None) -> tuple[str, Params]:
    """The clause choosing ``persons`` (None: everyone) and its parameters, in the dialect."""
    if persons is None:
        return _EVERYONE, ()
    if isinstance(conn, sqlite3.Connection):
        return _CHOSEN, {"persons": json.dumps(list(persons))}
    return _CHOSEN_ARRAY, {"persons": list(persons)}


def _summaries(
    conn: sqlite3.Connection, persons: Sequence[int] | None, counted: Activity | None = None
) -> list[PersonSummary]:
    clause, params = _persons(conn, persons)
    by_person: dict[int, list[sqlite3.Row]] = {}
    for row in conn.execute(_IDENTITIES_OF.format(persons=clause), params):
        by_person.setdefault(row["person_id"], []).append(row)
    if counted is None:
        activity = {
            row["person_id"]: (row["lines"], row["last_at"])
            for row in conn.execute(_ACTIVITY.format(persons=clause), params)
        }
    else:
        activity = _from_snapshot(identity_activity(conn, counted), by_person)
    stays = {
        row["person_id"]: row["last_at"]
        for row in conn.execute(_STAYS.format(persons=clause), params)
    }
    sessions = dict(conn.execute(_SESSIONS.format(persons=clause), params).fetchall())
    result = []
    for person_id, rows in by_person.items():
        said = activity.get(person_id)
        times = [t for t in (said[1] if said else None, stays.get(person_id)) if t]
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
                lines=said[0] if said else 0,
                last_at=_time(max(times)) if times else None,
                sessions=sessions.get(person_id, 0),
            )
        )
    return result


def _recent_first(people: list[PersonSummary]) -> list[PersonSummary]:
    people.sort(key=lambda p: (p.last_at is None, -(p.last_at or _EPOCH).timestamp(), p.nick))
    return people


def list_people(conn: sqlite3.Connection) -> list[PersonSummary]:
    """Every person, most recently active first."""
    return _recent_first(_summaries(conn, None))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def people_summaries(
    conn: sqlite3.Connection, persons: Sequence[int], counted: Activity | None = None
) -> list[PersonSummary]:
    """The summaries of ``persons`` (those that exist), most recently active first.

    Reads only what those persons need. With ``counted`` (an earlier
    :func:`identity_activity`), their lines are its counts plus the messages recorded
    since, so a page of busy people costs the same on a small database and on one with
    millions of messages.
    """
    return _recent_first(_summaries(conn, persons, counted)) if persons else []


def identity_activity(conn: sqlite3.Connection, since: Activity | None = None) -> Activity:
    """Every identity's public lines and latest public line: counted from the index, or
    ``since``'s figures plus the messages recorded after it (cheap: by message id)."""
    upto = conn.execute("SELECT coalesce(max(id), 0) FROM messages").fetchone()[0]
    after = since.upto if since is not None else 0
    if since is not None and upto == after:
        return since
    by_identity = dict(since.by_identity) if since is not None else {}
    params: dict[str, int] = {}
    if after:
        # NOT INDEXED is SQLite's; PostgreSQL's planner takes the range of ids by itself.
        hint = "NOT INDEXED" if isinstance(conn, sqlite3.Connection) else ""
        query = _BY_IDENTITY.format(hint=hint, after="m.id > :after")
        params["after"] = after
    else:
        query = _BY_IDENTITY.format(hint="", after="TRUE")
    for identity, lines, last_at in conn.execute(query, params or ()):
        before = by_identity.get(identity)
        if before is not None:
            lines, last_at = before[0] + lines, max(before[1], last_at)
        by_identity[identity] = (lines, last_at)
    return Activity(int(upto), by_identity)


def _from_snapshot(
    counted: Activity, by_person: dict[int, list[sqlite3.Row]]
) -> dict[int, tuple[int, float]]:
    activity = {}
    for person, rows in by_person.items():
        found = [counted.by_identity[row["id"]] for row in rows if row["id"] in counted.by_identity]
        if found:
            activity[person] = (sum(f[0] for f in found), max(f[1] for f in found))
    return activity


def people_order(conn: sqlite3.Connection) -> list[int]:
    """Every person's id in :func:`list_people`'s order, without counting anyone's lines.

    Cheaper than :func:`list_people` on a big database (each person's latest public line is
    one index look-up), for a page that shows a slice of everyone.
    """
    said = dict(conn.execute(_LAST_SAID).fetchall())
    stays = dict(conn.execute(_STAYS.format(persons=_EVERYONE)).fetchall())
    nick: dict[int, tuple[int, str]] = {}
    for identity, person, name in conn.execute("SELECT id, person_id, nick FROM identities"):
        if identity > nick.get(person, (-1, ""))[0]:
            nick[person] = (identity, name)

    def key(person: int) -> tuple[bool, float, str]:
        times = [t for t in (said.get(person), stays.get(person)) if t]
        latest = max(times) if times else None
        return latest is None, -(latest or 0.0), nick[person][1]

    return sorted(nick, key=key)


def search_people(conn: sqlite3.Connection, query: str) -> set[int]:
    """The persons with a nick or account containing ``query`` (case folded)."""
    wanted = query.casefold()
    found = set()
    for person, nick, account in conn.execute(_SEARCHED):
        if wanted in nick.casefold() or (account and wanted in account.casefold()):
            found.add(int(person))
    return found


def person_summary(conn: sqlite3.Connection, person: int) -> PersonSummary | None:
    """One person's summary, or None if there is no such person."""
    found = _summaries(conn, [person])
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
