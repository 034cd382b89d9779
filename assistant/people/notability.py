"""Who matters in a room: a score per person, with the reasons a person can check.

The signals are what the room itself shows: others replying to someone (reply links from
the analysis, and platform reply references), others addressing or mentioning them, a
channel status (IRC op or voice; Discord roles arrive the same way as modes), and regular
attendance (sessions attended, distinct days active). The watchlist adds the owner's own
judgement. :func:`rank_people` is the one entry point; discovery (``presence people
--discover``) and the openings work both read it.
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from assistant.config import IdentityRef
from assistant.events import irc_casefold

__all__ = ["WEIGHTS", "Notability", "rank_people", "ref_matches"]

WEIGHTS: dict[str, float] = {
    "reply": 1.0,  # per reply received from someone else
    "replier": 2.0,  # per distinct person who replied
    "mention": 0.5,  # per time someone else addressed or mentioned them
    "op": 8.0,  # channel operator (or owner/admin) somewhere
    "halfop": 5.0,
    "voice": 3.0,
    "session": 1.5,  # per session attended
    "day": 0.5,  # per distinct day they said something
    "watched": 10.0,  # per priority point of a watchlist entry
}

_OP, _HALFOP, _VOICE = "~&@", "%", "+"


@dataclass(frozen=True)
class Notability:
    """One person's notability: score, the signals behind it, and why, in words."""

    person_id: int
    nick: str
    score: float
    reasons: tuple[str, ...]
    signals: dict[str, float] = field(default_factory=dict, compare=False)
    watched: str | None = None
    """The watchlist name, when the owner already follows this person."""


# Replies: an analysis's reply links point at earlier analyses by key; a platform reply
# reference (Discord) points at a message by its platform id in the same channel.
_REPLIES = """
SELECT target.person_id AS target, source.person_id AS source
FROM people_reply_links AS l
JOIN messages AS m ON m.id = l.message_id
JOIN identities AS source ON source.id = m.identity_id
JOIN message_analyses AS b ON b.key = l.target
JOIN messages AS tm ON tm.id = b.message_id AND tm.channel_id = m.channel_id
JOIN identities AS target ON target.id = tm.identity_id
WHERE target.person_id != source.person_id
AND (CAST(:only AS BIGINT) IS NULL OR target.person_id = :only)
UNION ALL
SELECT target.person_id, source.person_id
FROM messages AS m
JOIN identities AS source ON source.id = m.identity_id
JOIN messages AS tm ON tm.channel_id = m.channel_id AND tm.message_id = m.reply_to
JOIN identities AS target ON target.id = tm.identity_id
WHERE m.reply_to IS NOT NULL AND target.person_id != source.person_id
AND (CAST(:only AS BIGINT) IS NULL OR target.person_id = :only)
"""
_ADDRESSED = """
SELECT i.person_id AS source, i.network_id, a.name
FROM people_addressed AS a
JOIN messages AS m ON m.id = a.message_id
JOIN identities AS i ON i.id = m.identity_id
WHERE CAST(:only AS BIGINT) IS NULL OR a.name IN (NAMES)
"""
_IDENTITIES = """
SELECT i.id, i.person_id, i.network_id, i.platform, i.key, i.nick, i.account, i.user_id,
       n.name AS network
FROM identities AS i JOIN networks AS n ON n.id = i.network_id
"""
_MODES = """
SELECT i.person_id, c.name AS channel, p.modes FROM presence_intervals AS p
JOIN identities AS i ON i.id = p.identity_id JOIN channels AS c ON c.id = p.channel_id
WHERE p.modes != '' AND c.private = 0 AND (CAST(:only AS BIGINT) IS NULL OR i.person_id = :only)
"""
_SESSIONS = """
SELECT person_id, count(*) FROM session_attendance
WHERE CAST(:only AS BIGINT) IS NULL OR person_id = :only GROUP BY person_id
"""
# The UTC day of a line: CAST truncates on SQLite but rounds on PostgreSQL, so a CAST that
# rounded up (after noon) is taken one back; floor() is not in every SQLite build.
_DAYS = """
SELECT i.person_id,
       count(DISTINCT CAST(m.at / 86400 AS INTEGER)
             - CASE WHEN CAST(m.at / 86400 AS INTEGER) > m.at / 86400 THEN 1 ELSE 0 END) AS days,
       max(m.at) AS last_at
FROM messages AS m JOIN identities AS i ON i.id = m.identity_id
WHERE CAST(:only AS BIGINT) IS NULL OR i.person_id = :only GROUP BY i.person_id
"""


def ref_matches(ref: IdentityRef, row: sqlite3.Row) -> bool:
    if ref.platform != row["platform"] or (ref.network and ref.network != row["network"]):
        return False
    if ref.user_id is not None:
        return bool(row["user_id"] == ref.user_id)
    if ref.account is not None:
        account = row["account"]
        return account is not None and irc_casefold(account) == irc_casefold(ref.account)
    return ref.nick is not None and row["key"] == irc_casefold(ref.nick)


def _plural(count: float, word: str, plural: str | None = None) -> str:
    number = int(count)
    return f"{number} {word}" if number == 1 else f"{number} {plural or word + 's'}"


def rank_people(
    conn: sqlite3.Connection,
    *,
    watchlist: Sequence[tuple[str, int, Sequence[IdentityRef]]] = (),
    exclude: Iterable[IdentityRef] = (),
    limit: int | None = None,
    only: int | None = None,
) -> list[Notability]:
    """Score every person in the database (or ``only`` that person); highest first.

    ``watchlist`` is ``(name, priority, identity refs)`` per watched member; ``exclude``
    names identities never ranked (the owner). Runs on the database thread; reads only.
    """
    identities = conn.execute(_IDENTITIES).fetchall()
    excluded_refs = list(exclude)
    excluded = {
        row["person_id"] for row in identities if any(ref_matches(r, row) for r in excluded_refs)
    }
    nick_of: dict[int, tuple[int, str]] = {}
    person_by_name: dict[tuple[int, str], int] = {}
    for row in identities:
        person = row["person_id"]
        if row["id"] > nick_of.get(person, (-1, ""))[0]:
            nick_of[person] = (row["id"], row["nick"])
        for name in {irc_casefold(row["nick"]), row["nick"].lower(), row["key"].lower()}:
            person_by_name[row["network_id"], name] = person

    own_names = {
        name
        for row in identities
        if row["person_id"] == only
        for name in (irc_casefold(row["nick"]), row["nick"].lower(), row["key"].lower())
    }
    # The person's names (a handful per identity) are bound one placeholder each; no names
    # still needs a list PostgreSQL accepts: (NULL).
    names = {f"n{index}": name for index, name in enumerate(sorted(own_names))}
    params: dict[str, object] = {"only": only, **names}
    addressed = _ADDRESSED.replace("NAMES", ", ".join(f":{n}" for n in names) or "NULL")
    signals: dict[int, Counter[str]] = defaultdict(Counter)
    why: dict[int, list[str]] = defaultdict(list)
    repliers: dict[int, set[int]] = defaultdict(set)
    for row in conn.execute(_REPLIES, params):
        signals[row["target"]]["reply"] += 1
        repliers[row["target"]].add(row["source"])
    for person, people in repliers.items():
        signals[person]["replier"] = len(people)
        why[person].append(
            f"{_plural(signals[person]['reply'], 'reply', 'replies')} from "
            f"{_plural(len(people), 'person', 'people')}"
        )
    for row in conn.execute(addressed, params):
        name = row["name"]
        target = person_by_name.get((row["network_id"], name))
        if target is None:
            target = person_by_name.get((row["network_id"], irc_casefold(name)))
        if target is not None and target != row["source"]:
            signals[target]["mention"] += 1
    for person, counts in signals.items():
        if counts["mention"]:
            why[person].append(f"addressed or mentioned {_plural(counts['mention'], 'time')}")

    status: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for row in conn.execute(_MODES, params):
        modes = row["modes"]
        kind = (
            "op"
            if any(m in modes for m in _OP)
            else "halfop"
            if _HALFOP in modes
            else "voice"
            if _VOICE in modes
            else "op"  # any other status (a Discord role) counts as running the room
        )
        status[row["person_id"]][kind].add(row["channel"])
    names = {"op": "channel operator", "halfop": "half-operator", "voice": "voiced"}
    for person, kinds in status.items():
        best = next(kind for kind in ("op", "halfop", "voice") if kind in kinds)
        signals[person][best] = 1
        why[person].append(f"{names[best]} in {', '.join(sorted(kinds[best]))}")

    for person, count in conn.execute(_SESSIONS, params):
        signals[person]["session"] = count
        why[person].append(f"came to {_plural(count, 'session')}")
    for row in conn.execute(_DAYS, params):
        if row["days"] >= 2:
            signals[row["person_id"]]["day"] = row["days"]
            why[row["person_id"]].append(f"active on {_plural(row['days'], 'day')}")

    watched: dict[int, tuple[str, int]] = {}
    for name, priority, refs in watchlist:
        for row in identities:
            if any(ref_matches(ref, row) for ref in refs):
                watched.setdefault(row["person_id"], (name, priority))
    for person, (name, priority) in watched.items():
        signals[person]["watched"] = priority
        why[person].insert(0, f"on your watchlist as {name} (priority {priority})")

    ranked = []
    for person, counts in signals.items():
        if person in excluded or person not in nick_of or only not in (None, person):
            continue
        score = sum(WEIGHTS[name] * value for name, value in counts.items())
        if score <= 0:
            continue
        ranked.append(
            Notability(
                person_id=person,
                nick=nick_of[person][1],
                score=round(score, 2),
                reasons=tuple(why[person]),
                signals={name: float(value) for name, value in counts.items() if value},
                watched=watched[person][0] if person in watched else None,
            )
        )
    ranked.sort(key=lambda n: (-n.score, n.nick.casefold()))
    return ranked if limit is None else ranked[:limit]
