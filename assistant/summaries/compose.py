"""Compose one session's :class:`~assistant.summaries.model.Summary` from the database.

Everything comes from what was recorded: the session row, the channel's messages and
their analyses between its start and end, and the presence intervals that overlap it.
Rows are read in one go on the database thread; the summary is then built off the event
loop. Parts that other areas make (MeetBot minutes, extra notability) are used when their
modules exist and left out cleanly when they do not. Plugins add sections through the
``assistant_summary_sections`` hook (:func:`add_plugin_sections`): the openings plugin its
openings and relationships, from its own tables, which the core never reads.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from assistant.config import Settings
from assistant.hooks import HookResult
from assistant.storage.database import Database
from assistant.storage.schema import table_exists
from assistant.summaries.activity import build_activity
from assistant.summaries.extras import minutes_for
from assistant.summaries.model import FollowUp, SessionInfo, Summary, SummarySection
from assistant.summaries.roles import Roles

__all__ = [
    "SECTIONS_HOOK",
    "SessionNotFound",
    "add_plugin_sections",
    "compose_summary",
    "find_session",
    "ranked_notables",
    "read_session",
]

log = logging.getLogger(__name__)

SECTIONS_HOOK = "assistant_summary_sections"

_SESSION = """
SELECT s.*, c.id AS channel_id, c.name AS channel_name, n.name AS network_name,
       n.platform AS platform
FROM sessions AS s JOIN channels AS c ON c.id = s.channel_id
JOIN networks AS n ON n.id = c.network_id
WHERE s.id = ?
"""
_MESSAGES = """
SELECT m.id, m.at, m.kind, m.text, m.deleted, m.message_id, m.reply_to AS platform_reply,
       m.identity_id, i.person_id, i.nick,
       a.key, a.topics, a.is_question, a.addressees, a.links, a.reply_to, a.thread, a.acts
FROM messages AS m JOIN identities AS i ON i.id = m.identity_id
LEFT JOIN message_analyses AS a ON a.message_id = m.id
WHERE m.channel_id = ? AND m.at >= ? AND m.at <= ?
ORDER BY m.at, m.id
"""
_STAYS = """
SELECT p.identity_id, i.person_id, i.nick, p.joined_at, p.left_at
FROM presence_intervals AS p JOIN identities AS i ON i.id = p.identity_id
WHERE p.channel_id = ? AND p.joined_at <= ? AND (p.left_at IS NULL OR p.left_at >= ?)
ORDER BY p.joined_at, p.id
"""
_IDENTITIES = "SELECT person_id, nick, account, user_id FROM identities WHERE person_id IN ({})"
_LAST_SESSION = """
SELECT s.id FROM sessions AS s JOIN channels AS c ON c.id = s.channel_id
WHERE (CAST(:channel AS TEXT) IS NULL OR c.key = :channel OR c.name = :channel)
ORDER BY s.ended_at IS NULL, coalesce(s.ended_at, s.started_at) DESC, s.id DESC LIMIT 1
"""


class SessionNotFound(LookupError):
    """No session matches what was asked; the message says how to list or pick one."""


HookCaller = Callable[..., Awaitable[list[HookResult]]]
"""``PluginHost.call``: calls a hook on every plugin, isolating failures."""


def ranked_notables(conn: sqlite3.Connection, settings: Settings) -> dict[int, str]:
    """The people the notability ranking puts in the top ``notable_top`` (when installed)."""
    top = settings.summaries.notable_top
    if top <= 0:
        return {}
    try:
        from assistant.people.notability import rank_people
    except ImportError:
        return {}
    watchlist = [(m.name, m.priority, m.identities) for m in settings.watchlist]
    ranked = rank_people(conn, watchlist=watchlist, exclude=settings.owner.identities, limit=top)
    return {n.person_id: n.watched or n.nick for n in ranked}


def read_session(
    conn: sqlite3.Connection, session_id: int, settings: Settings | None = None
) -> dict[str, Any]:
    """Read everything a summary needs about one session (synchronous, database thread).

    Raises:
        SessionNotFound: there is no session ``session_id``.
    """
    row = conn.execute(_SESSION, (session_id,)).fetchone()
    if row is None:
        raise SessionNotFound(
            f"no session {session_id}; `presence summary --last` picks the latest one"
        )
    session = dict(row)
    start = float(session["started_at"])
    end = session["ended_at"]
    if end is None:
        last = conn.execute(
            "SELECT max(at) FROM messages WHERE channel_id = ? AND at >= ?",
            (session["channel_id"], start),
        ).fetchone()[0]
        end = max(start, float(last)) if last is not None else start
    end = float(end)
    messages = [dict(r) for r in conn.execute(_MESSAGES, (session["channel_id"], start, end))]
    stays = [dict(r) for r in conn.execute(_STAYS, (session["channel_id"], end, start))]
    persons = {int(m["person_id"]) for m in messages} | {int(s["person_id"]) for s in stays}
    identities: list[dict[str, Any]] = []
    ids = sorted(persons)
    for chunk in range(0, len(ids), 500):
        part = ids[chunk : chunk + 500]
        query = _IDENTITIES.format(",".join("?" * len(part)))
        identities += [dict(r) for r in conn.execute(query, part)]
    stored: list[dict[str, Any]] = []
    if table_exists(conn, "session_attendance"):
        stored = [
            dict(r)
            for r in conn.execute(
                "SELECT * FROM session_attendance WHERE session_id = ?", (session_id,)
            )
        ]
    return {
        "session": session,
        "start": start,
        "end": end,
        "messages": messages,
        "stays": stays,
        "identities": identities,
        "stored_attendance": stored,
        "ranked_notables": ranked_notables(conn, settings) if settings is not None else {},
    }


def find_session(conn: sqlite3.Connection, channel: str | None = None) -> int:
    """Return the id of the latest session (ended ones first), optionally in ``channel``.

    Raises:
        SessionNotFound: there is no session at all (or none in that channel).
    """
    row = conn.execute(_LAST_SESSION, {"channel": channel}).fetchone()
    if row is None:
        where = f" in {channel}" if channel else ""
        raise SessionNotFound(
            f"no session recorded{where} yet; sessions are recorded while `presence run` "
            "attends a scheduled or active chat"
        )
    return int(row[0])


def _timezone(settings: Settings, session: dict[str, Any]) -> str:
    for column in ("timezone", "time_zone", "tz"):
        value = session.get(column)
        if isinstance(value, str) and value:
            return value
    return settings.summaries.timezone


def build_summary(
    data: dict[str, Any], settings: Settings, *, now: datetime | None = None
) -> Summary:
    """Build the summary from what :func:`read_session` returned (pure, no database)."""
    session = data["session"]
    info = SessionInfo(
        id=int(session["id"]),
        network=str(session["network_name"]),
        channel=str(session["channel_name"]),
        name=str(session.get("name") or ""),
        started_at=datetime.fromtimestamp(data["start"], UTC),
        ended_at=(
            datetime.fromtimestamp(float(session["ended_at"]), UTC)
            if session["ended_at"] is not None
            else None
        ),
        timezone=_timezone(settings, session),
        platform=str(session["platform"]),
    )
    roles = Roles(settings, info.platform, info.network)
    roles.extra_notable.update(data.get("ranked_notables", {}))
    activity = build_activity(data, roles, settings.summaries.top_topics)
    minutes = minutes_for(data["messages"], info)
    summary = Summary(
        session=info,
        generated_at=now or datetime.now(UTC),
        owner=settings.owner.name,
        attendance=activity.attendance,
        messages=activity.lines,
        discussions=activity.discussions,
        topics=activity.topics,
        member_topics=activity.member_topics,
        unanswered=activity.unanswered,
        members=activity.members,
        links=activity.links,
        decisions=activity.decisions,
        exchanges=activity.exchanges,
        follow_ups=activity.follow_ups,
        minutes=minutes,
        timeline=activity.timeline,
    )
    if minutes is not None:
        owner_nicks = {row.name.casefold() for row in activity.attendance if row.is_owner}
        extra = [
            f"Action: {text}"
            for nick, actions in minutes.actions
            if nick.casefold() in owner_nicks
            for text in actions
        ]
        if extra:
            summary = replace(
                summary, follow_ups=(*summary.follow_ups, *(FollowUp(t) for t in extra))
            )
    return summary


async def add_plugin_sections(summary: Summary, call: HookCaller | None) -> Summary:
    """Ask every plugin for extra sections (``assistant_summary_sections``) and add them.

    ``call`` is the plugin host's hook helper (``PluginHost.call``); ``None`` adds nothing.
    A plugin that raises or returns something other than a list of ``SummarySection`` is
    logged and skipped; the summary is still delivered.
    """
    if call is None:
        return summary
    results = await call(SECTIONS_HOOK, summary=summary, time_limit=30.0)
    added: list[SummarySection] = []
    for result in results:
        if not result.ok or result.value is None:
            continue
        values = result.value
        if isinstance(values, SummarySection):
            values = [values]
        if not isinstance(values, list | tuple) or not all(
            isinstance(v, SummarySection) for v in values
        ):
            log.error(
                "plugin %s: %s must return a list of SummarySection, not %s; skipped",
                result.plugin,
                SECTIONS_HOOK,
                type(values).__name__,
            )
            continue
        added += [replace(section, plugin=result.plugin) for section in values]
    return replace(summary, sections=(*summary.sections, *added)) if added else summary


async def compose_summary(
    db: Database,
    session_id: int,
    settings: Settings,
    *,
    call: HookCaller | None = None,
    now: datetime | None = None,
) -> Summary:
    """Compose the summary of session ``session_id``, with plugins' sections when ``call``.

    The reads run on the database thread and the assembly in a worker thread, so the
    event loop never waits on either.

    Raises:
        SessionNotFound: there is no such session.
    """
    data = await db.run_in_thread(lambda conn: read_session(conn, session_id, settings))
    summary = await asyncio.to_thread(build_summary, data, settings, now=now)
    return await add_plugin_sections(summary, call)
