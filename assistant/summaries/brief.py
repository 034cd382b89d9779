"""The pre-chat brief: what to know a few minutes before a scheduled chat starts.

Who usually comes (from the attendance of the chat's last sessions, notable members first,
with their usual arrival time), the questions left open last time, and what the notable
members talked about lately (their topics over the last weeks, anywhere on the network).
It is delivered like a summary: a file in the summaries folder and, when configured, a
private digest to the owner.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from assistant.config import Settings
from assistant.events import irc_casefold
from assistant.storage.database import Database
from assistant.summaries.compose import build_summary, ranked_notables, read_session
from assistant.summaries.deliver import (
    Send,
    folder_for,
    owner_targets,
    split_for,
    write_atomic,
)
from assistant.summaries.model import MemberTopics, Question, TopicCount
from assistant.summaries.roles import KnownIdentity, Roles

__all__ = [
    "RECENT_SESSIONS",
    "TOPIC_DAYS",
    "Brief",
    "DueBrief",
    "Regular",
    "compose_brief",
    "deliver_brief",
    "render_brief",
    "upcoming_briefs",
]

RECENT_SESSIONS = 8
TOPIC_DAYS = 30
MAX_REGULARS = 15

_CHANNEL = """
SELECT c.id, c.name, n.platform FROM channels AS c JOIN networks AS n ON n.id = c.network_id
WHERE n.name = ? AND c.key = ?
"""
_SESSIONS = """
SELECT id, started_at, timezone FROM sessions
WHERE channel_id = ? AND status = 'ended' AND (CAST(? AS TEXT) IS NULL OR series = ?)
AND started_at < ?
ORDER BY started_at DESC LIMIT ?
"""
_ATTENDANCE = (
    "SELECT session_id, person_id, arrived_at FROM session_attendance WHERE session_id IN ({})"
)
_IDENTITIES = """
SELECT i.id, i.person_id, i.nick, i.account, i.user_id FROM identities AS i
JOIN networks AS n ON n.id = i.network_id WHERE n.name = ?
"""
_TOPICS = """
SELECT a.topics FROM message_analyses AS a JOIN messages AS m ON m.id = a.message_id
JOIN identities AS i ON i.id = m.identity_id
WHERE i.person_id = ? AND m.at >= ? AND m.at < ? AND a.topics != '[]'
"""


@dataclass(frozen=True, slots=True)
class Regular:
    """Someone who comes to this chat: how often, and when they usually arrive."""

    name: str
    notable: bool
    attended: int
    of: int
    usual_arrival: str = ""
    """Local ``HH:MM`` (median arrival), ``""`` when unknown."""


@dataclass(frozen=True, slots=True)
class Brief:
    """What to know before one chat starts."""

    network: str
    channel: str
    name: str
    starts_at: datetime
    timezone: str
    sessions_seen: int
    regulars: tuple[Regular, ...] = ()
    open_questions: tuple[Question, ...] = ()
    member_topics: tuple[MemberTopics, ...] = ()


def _read(
    conn: sqlite3.Connection,
    settings: Settings,
    network: str,
    channel: str,
    series: str | None,
    starts_at: datetime,
) -> dict[str, Any]:
    row = conn.execute(_CHANNEL, (network, irc_casefold(channel))).fetchone()
    if row is None:
        return {"sessions": [], "platform": "irc", "channel": channel}
    channel_id, platform = int(row[0]), str(row[2])
    before = starts_at.timestamp()
    sessions = conn.execute(
        _SESSIONS, (channel_id, series, series, before, RECENT_SESSIONS)
    ).fetchall()
    ids = [int(s["id"]) for s in sessions]
    attendance = (
        conn.execute(_ATTENDANCE.format(",".join("?" * len(ids))), ids).fetchall() if ids else []
    )
    identities = conn.execute(_IDENTITIES, (network,)).fetchall()
    last = read_session(conn, ids[0], settings) if ids else None
    roles = Roles(settings, platform, network)
    roles.extra_notable.update(ranked_notables(conn, settings))  # as the summary marks them
    by_person: dict[int, list[KnownIdentity]] = defaultdict(list)
    nick: dict[int, tuple[int, str]] = {}
    for ident in identities:
        pid = int(ident["person_id"])
        by_person[pid].append(KnownIdentity(ident["nick"], ident["account"], ident["user_id"]))
        if int(ident["id"]) > nick.get(pid, (-1, ""))[0]:
            nick[pid] = (int(ident["id"]), str(ident["nick"]))
    notable = {
        pid: name
        for pid, idents in by_person.items()
        if not roles.is_owner(idents) and (name := roles.watch_name(pid, idents)) is not None
    }
    since = before - TOPIC_DAYS * 86400
    topics: dict[int, Counter[str]] = {}
    for pid in notable:
        counter: Counter[str] = Counter()
        for (value,) in conn.execute(_TOPICS, (pid, since, before)):
            counter.update(_topics(value))
        topics[pid] = counter
    skip = {pid for pid, idents in by_person.items() if roles.is_presence(idents)}
    return {
        "platform": platform,
        "channel": str(row[1]),
        "sessions": [dict(s) for s in sessions],
        "attendance": [dict(a) for a in attendance if int(a["person_id"]) not in skip],
        "nick": {pid: name for pid, (_, name) in nick.items()},
        "notable": notable,
        "topics": topics,
        "last": last,
    }


def _topics(value: str) -> list[str]:
    loaded = json.loads(value)
    return [str(t) for t in loaded] if isinstance(loaded, list) else []


def _label(name: str, watch: str | None) -> str:
    return f"{watch} ({name})" if watch and watch.casefold() != name.casefold() else name


def _build(
    data: dict[str, Any],
    settings: Settings,
    network: str,
    name: str,
    starts_at: datetime,
    timezone: str,
) -> Brief:
    zone = ZoneInfo(timezone)
    sessions = data["sessions"]
    counts: Counter[int] = Counter()
    arrivals: dict[int, list[int]] = defaultdict(list)
    for row in data.get("attendance", []):
        pid = int(row["person_id"])
        counts[pid] += 1
        if row["arrived_at"] is not None:
            local = datetime.fromtimestamp(float(row["arrived_at"]), UTC).astimezone(zone)
            arrivals[pid].append(local.hour * 60 + local.minute)
    notable: dict[int, str] = data.get("notable", {})
    regulars = []
    for pid, attended in counts.items():
        usual = ""
        if arrivals[pid]:
            minute = int(statistics.median_low(arrivals[pid]))
            usual = f"{minute // 60:02d}:{minute % 60:02d}"
        nick = data["nick"].get(pid, f"person {pid}")
        regulars.append(
            Regular(_label(nick, notable.get(pid)), pid in notable, attended, len(sessions), usual)
        )
    regulars.sort(key=lambda r: (not r.notable, -r.attended, r.name))
    open_questions: tuple[Question, ...] = ()
    if data.get("last") is not None:
        open_questions = build_summary(data["last"], settings).unanswered
    member_topics = tuple(
        MemberTopics(
            _label(data["nick"].get(pid, ""), watch),
            tuple(TopicCount(t, n) for t, n in data["topics"][pid].most_common(5)),
        )
        for pid, watch in sorted(notable.items(), key=lambda item: item[1])
        if data["topics"].get(pid)
    )
    return Brief(
        network=network,
        channel=data["channel"],
        name=name,
        starts_at=starts_at,
        timezone=timezone,
        sessions_seen=len(sessions),
        regulars=tuple(regulars[:MAX_REGULARS]),
        open_questions=open_questions,
        member_topics=member_topics,
    )


async def compose_brief(
    db: Database,
    settings: Settings,
    *,
    network: str,
    channel: str,
    starts_at: datetime,
    name: str = "",
    series: str | None = None,
    timezone: str = "UTC",
) -> Brief:
    """Compose the brief for the chat in ``channel`` starting at ``starts_at``.

    ``series`` limits the history to sessions of the same recurring chat (the schedule's
    name); ``None`` uses every session of the channel.
    """
    data = await db.run_in_thread(
        lambda conn: _read(conn, settings, network, channel, series, starts_at)
    )
    return await asyncio.to_thread(
        _build, data, settings, network, name or channel, starts_at, timezone
    )


def render_brief(brief: Brief) -> str:
    """The brief as plain text (Markdown-friendly, and fit for a chat message once split)."""
    local = brief.starts_at.astimezone(ZoneInfo(brief.timezone))
    out = [
        f"Before {brief.name} ({brief.channel} on {brief.network}) at "
        f"{local:%a %d %b %H:%M} {local.tzname() or ''}".rstrip()
    ]
    if not brief.sessions_seen:
        out.append("No earlier session of this chat was recorded yet.")
        return "\n".join(out) + "\n"
    out += ["", f"Who usually comes (last {brief.sessions_seen} sessions):"]
    for r in brief.regulars:
        star = "★ " if r.notable else ""
        arrival = f", usually arrives {r.usual_arrival}" if r.usual_arrival else ""
        out.append(f"- {star}{r.name}: {r.attended} of {r.of}{arrival}")
    out += ["", "Questions left open last time:"]
    out += [f"- {q.asker}: {q.text}" for q in brief.open_questions] or ["- none"]
    if brief.member_topics:
        out += ["", f"Notable members' recent topics (last {TOPIC_DAYS} days):"]
        for member in brief.member_topics:
            topics = ", ".join(t.topic for t in member.topics)
            out.append(f"- {member.person}: {topics}")
    return "\n".join(out) + "\n"


async def deliver_brief(
    brief: Brief, settings: Settings, *, db: Database, send: Send | None
) -> list[str]:
    """Write the brief beside the summaries and send it to the owner when configured."""
    text = render_brief(brief)
    done: list[str] = []
    if settings.summaries.formats:
        local = brief.starts_at.astimezone(ZoneInfo(brief.timezone))
        channel = "".join(c if c.isalnum() else "-" for c in brief.channel.lstrip("#&"))
        path: Path = folder_for(settings) / f"{local:%Y-%m-%d}_{brief.network}_{channel}_brief.md"
        await asyncio.to_thread(write_atomic, path, text)
        done.append(f"wrote {path}")
    if send is not None and settings.summaries.deliver_to_owner:
        configured = settings.networks.get(brief.network)
        platform = configured.platform if configured is not None else "irc"
        for target in await owner_targets(db, settings, brief.network, platform):
            for part in split_for(platform, text):
                await send(brief.network, target, part)
            done.append(f"sent to the owner ({target})")
    return done


@dataclass(frozen=True, slots=True)
class DueBrief:
    """A brief to deliver at ``at``, for the scheduled chat starting at ``starts_at``."""

    at: datetime
    network: str
    channel: str
    name: str
    starts_at: datetime
    timezone: str


def upcoming_briefs(
    settings: Settings, now: datetime, *, before: int | None = None
) -> list[DueBrief]:
    """The next brief of every scheduled chat, soonest first (none when ``brief_before = 0``).

    A chat that starts within ``before`` minutes (default: ``brief_before``) of ``now`` is
    due now; one already under way gets no brief until its next occurrence.
    """
    from assistant.sessions.schedule import WeeklySchedule

    if before is None:
        before = settings.summaries.brief_before
    if before <= 0:
        return []
    due = []
    for network_name, network in settings.networks.items():
        for channel in network.channels:
            for schedule in channel.schedules:
                weekly = WeeklySchedule.from_settings(schedule)
                occurrence = next(o for o in weekly.occurrences(now) if o.start > now)
                due.append(
                    DueBrief(
                        at=max(occurrence.start - timedelta(minutes=before), now),
                        network=network_name,
                        channel=channel.name,
                        name=occurrence.name,
                        starts_at=occurrence.start,
                        timezone=occurrence.timezone,
                    )
                )
    return sorted(due, key=lambda d: d.at)
