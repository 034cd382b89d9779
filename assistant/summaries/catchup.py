"""Catch-up: the summary machinery over any span of a channel, not only a session.

``presence catchup '#chan' --since 2h`` and the owner's private ``!missed`` read the
channel's messages, stays and identities between two times with the same queries a
session's summary uses (:func:`read_span`), build the same discussions, still-open
questions and notable members' parts from them, and render a short text: the span, who
spoke, what was discussed, what is still open, what the notable members said, links.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from assistant.config import Settings
from assistant.events import irc_casefold
from assistant.storage.database import Database
from assistant.summaries.compose import (
    _IDENTITIES,
    _MESSAGES,
    _STAYS,
    build_summary,
    ranked_notables,
)
from assistant.summaries.model import Summary
from assistant.summaries.text import clock, day_and_time, minutes, plural, span

__all__ = [
    "MISSED_CHANNELS",
    "MISSED_LOOKBACK",
    "Catchup",
    "CatchupError",
    "catchup_json",
    "compose_catchup",
    "compose_missed",
    "find_channel",
    "missed_lines",
    "owner_spans",
    "parse_when",
    "read_span",
    "render_catchup",
]

MISSED_LOOKBACK = timedelta(hours=24)
"""The longest ``!missed`` looks back when the owner's last line or departure is older."""
MISSED_CHANNELS = 3
"""How many channels ``!missed`` details (the busiest); the others are only named."""

WHEN_FORMS = (
    "how long ago (2h, 90m, 1h30m, 2d) or when (2026-12-06T19:30, 2026-12-06 19:30+01:00, "
    "or 19:30 for the latest such time)"
)

_RELATIVE = re.compile(r"(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?", re.IGNORECASE)
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")
_CHANNELS = """
SELECT c.id AS channel_id, c.name AS channel_name, c.private, n.name AS network_name,
       n.platform AS platform
FROM channels AS c JOIN networks AS n ON n.id = c.network_id
"""
_QUOTE = 120


class CatchupError(ValueError):
    """What was asked cannot be caught up on; the message says what is wrong and what to do."""


@dataclass(frozen=True, slots=True)
class Catchup:
    """What happened in one channel over one span, and why the span starts where it does."""

    summary: Summary
    since: str = ""
    """Why the span starts there, e.g. ``your last line``; empty: as asked."""
    last_before: datetime | None = None
    """When the channel's latest line before the span was said (``None``: none was)."""

    @property
    def speakers(self) -> int:
        """How many people spoke in the span."""
        return sum(1 for row in self.summary.attendance if row.lines)


def parse_when(value: str, now: datetime, zone: ZoneInfo, *, option: str = "--since") -> datetime:
    """Read a time as the user wrote it: ``2h``/``90m``/``1h30m``/``2d`` ago, or a clock time.

    A date and time without an offset, or a bare ``HH:MM`` (the latest one not after
    ``now``), is read in ``zone``.

    Raises:
        CatchupError: the value is none of the accepted forms (the message lists them).
    """
    text = value.strip()
    relative = _RELATIVE.fullmatch(text)
    if text and relative is not None and any(relative.groups()):
        days, hours, mins = (int(g or 0) for g in relative.groups())
        return now - timedelta(days=days, hours=hours, minutes=mins)
    clock_time = _CLOCK.fullmatch(text)
    if clock_time is not None:
        hour, minute = int(clock_time.group(1)), int(clock_time.group(2))
        if hour < 24 and minute < 60:
            local = now.astimezone(zone)
            at = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
            if at > local:
                at -= timedelta(days=1)
            return at.astimezone(UTC)
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise CatchupError(f"cannot read {option} {value!r}: say {WHEN_FORMS}") from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=zone)
    return at.astimezone(UTC)


def find_channel(
    conn: sqlite3.Connection, network: str | None, channel: str, *, private: bool = True
) -> dict[str, Any]:
    """The recorded channel ``channel`` (on ``network``, or the only network that has it).

    ``private=False`` leaves out channels marked private (they are never named elsewhere).

    Raises:
        CatchupError: no such channel was recorded (the known ones are listed), or several
            networks have it and none was named.
    """
    # Sorted here, by code point: a PostgreSQL server sorts text by its locale's rules.
    rows = sorted(
        (dict(r) for r in conn.execute(_CHANNELS)),
        key=lambda r: (str(r["network_name"]), str(r["channel_name"])),
    )
    if not private:
        rows = [r for r in rows if not r["private"]]
    wanted = irc_casefold(channel)
    found = [
        r
        for r in rows
        if irc_casefold(str(r["channel_name"])) == wanted
        and (network is None or r["network_name"] == network)
    ]
    if len(found) == 1:
        return found[0]
    if found:
        names = ", ".join(str(r["network_name"]) for r in found)
        raise CatchupError(f"{channel} was recorded on several networks ({names}): name one")
    where = f" on {network}" if network else ""
    known = [r for r in rows if network is None or r["network_name"] == network]
    if not known:
        raise CatchupError(
            f"no channel recorded{where} yet: channels are recorded while `presence run` "
            "attends them (or after `presence import`)"
        )
    listed = ", ".join(f"{r['channel_name']} ({r['network_name']})" for r in known)
    raise CatchupError(f"no channel {channel} recorded{where}; known channels: {listed}")


def read_span(
    conn: sqlite3.Connection,
    network: str | None,
    channel: str,
    start: float,
    end: float,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Read what a summary needs about ``channel`` between ``start`` and ``end`` (seconds).

    The same rows :func:`~assistant.summaries.compose.read_session` reads for a session:
    the channel's messages and their analyses in the span, the stays overlapping it and
    the identities of everyone in either; the span stands in for the session (id 0).

    Raises:
        CatchupError: the channel is unknown, or ``end`` is before ``start``.
    """
    if end < start:
        raise CatchupError("the span ends before it starts: --until must be after --since")
    found = find_channel(conn, network, channel)
    channel_id = int(found["channel_id"])
    session = {
        "id": 0,
        "channel_id": channel_id,
        "channel_name": found["channel_name"],
        "network_name": found["network_name"],
        "platform": found["platform"],
        "name": "",
        "started_at": start,
        "ended_at": end,
        "timezone": None,
    }
    messages = [dict(r) for r in conn.execute(_MESSAGES, (channel_id, start, end))]
    stays = [dict(r) for r in conn.execute(_STAYS, (channel_id, end, start))]
    persons = sorted({int(m["person_id"]) for m in messages} | {int(s["person_id"]) for s in stays})
    identities: list[dict[str, Any]] = []
    for chunk in range(0, len(persons), 500):
        part = persons[chunk : chunk + 500]
        query = _IDENTITIES.format(",".join("?" * len(part)))
        identities += [dict(r) for r in conn.execute(query, part)]
    return {
        "session": session,
        "start": start,
        "end": end,
        "messages": messages,
        "stays": stays,
        "identities": identities,
        "stored_attendance": [],
        "ranked_notables": ranked_notables(conn, settings) if settings is not None else {},
        "last_before": conn.execute(
            "SELECT max(at) FROM messages WHERE channel_id = ? AND at < ?", (channel_id, start)
        ).fetchone()[0],
    }


async def compose_catchup(
    db: Database,
    settings: Settings,
    *,
    network: str | None,
    channel: str,
    start: datetime,
    end: datetime,
    since: str = "",
    now: datetime | None = None,
) -> Catchup:
    """Compose the catch-up of ``channel`` from ``start`` to ``end``.

    Reads on the database thread, builds in a worker thread: the event loop never waits.

    Raises:
        CatchupError: the channel is unknown or the span is empty (see :func:`read_span`).
    """
    data = await db.run_in_thread(
        lambda conn: read_span(conn, network, channel, start.timestamp(), end.timestamp(), settings)
    )
    summary = await asyncio.to_thread(build_summary, data, settings, now=now)
    before = data["last_before"]
    return Catchup(
        summary, since, None if before is None else datetime.fromtimestamp(float(before), UTC)
    )


def owner_spans(
    conn: sqlite3.Connection,
    settings: Settings,
    network: str,
    *,
    account: str | None,
    user_id: str | None,
    now: float,
) -> list[tuple[str, float, str]]:
    """Where the owner was on ``network``, and since when they missed what was said there.

    For each channel the owner (known by a verified ``account`` or ``user_id``) said a
    line in or stayed in, the later of their last line and their last departure (a
    connection Presence lost is not a departure), at most :data:`MISSED_LOOKBACK` before
    ``now``. Private channels are included: the answer goes to the owner alone.

    Returns:
        ``(channel, since, reason)`` per channel, by channel name.
    """
    if account is None and user_id is None:
        return []
    idents = [
        int(r[0])
        for r in conn.execute(
            "SELECT i.id FROM identities AS i JOIN networks AS n ON n.id = i.network_id "
            "WHERE n.name = ? AND (i.account = ? COLLATE NOCASE OR i.user_id = ?)",
            (network, account, user_id),
        )
    ]
    if not idents:
        return []
    marks = ",".join("?" * len(idents))
    lines = dict(
        conn.execute(
            f"SELECT channel_id, max(at) FROM messages WHERE identity_id IN ({marks}) "
            "GROUP BY channel_id",
            idents,
        ).fetchall()
    )
    left = dict(
        conn.execute(
            "SELECT channel_id, max(coalesce(CASE WHEN left_kind = 'disconnected' THEN NULL "
            f"ELSE left_at END, 0)) FROM presence_intervals WHERE identity_id IN ({marks}) "
            "GROUP BY channel_id",
            idents,
        ).fetchall()
    )
    names = dict(conn.execute("SELECT id, name FROM channels").fetchall())
    floor = now - MISSED_LOOKBACK.total_seconds()
    spans = []
    for channel_id in sorted(set(lines) | set(left), key=lambda c: str(names.get(c, ""))):
        said, went = float(lines.get(channel_id) or 0), float(left.get(channel_id) or 0)
        since, reason = (said, "your last line") if said > went else (went, "you left")
        if since < floor:
            since, reason = floor, f"the last {MISSED_LOOKBACK.total_seconds() / 3600:g} hours"
        if since == said:  # a microsecond after: the owner's own last line is not news to them
            since += 1e-6
        spans.append((str(names[channel_id]), since, reason))
    return spans


# --- rendering ---------------------------------------------------------------------------------


def _short(text: str, limit: int = _QUOTE) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def _header(catchup: Catchup) -> str:
    summary = catchup.summary
    info, zone = summary.session, summary.session.zone
    end = info.ended_at or info.started_at
    length = minutes((end - info.started_at).total_seconds() / 60)
    since = f", since {catchup.since}" if catchup.since else ""
    when = span(info.started_at, end, zone)
    if end.astimezone(zone).date() != info.started_at.astimezone(zone).date():
        when = f"{day_and_time(info.started_at, zone)} to {day_and_time(end, zone)}"
    return f"Catch-up: {info.channel} on {info.network}, {when} ({length}{since})"


def _stamp(catchup: Catchup) -> Callable[[datetime], str]:
    """How the catch-up writes a time: ``19:42``, or ``Sun 7 Jan 19:42`` over several days."""
    info, zone = catchup.summary.session, catchup.summary.session.zone
    end = info.ended_at or info.started_at
    if end.astimezone(zone).date() == info.started_at.astimezone(zone).date():
        return lambda at: clock(at, zone)

    def dated(at: datetime) -> str:
        local = at.astimezone(zone)
        return f"{local:%a} {local.day} {local:%b %H:%M}"

    return dated


def render_catchup(catchup: Catchup) -> str:
    """The catch-up as a short plain text: span, speakers, discussions, still open, members.

    Times carry their day when the span runs over several days.
    """
    summary = catchup.summary
    zone, stamp = summary.session.zone, _stamp(catchup)
    out = [_header(catchup)]
    speakers = [row for row in summary.attendance if row.lines]
    if not speakers:
        out.append("Nothing was said in this span.")
        return "\n".join(out) + "\n"
    names = ", ".join(("★ " if r.notable else "") + r.label for r in speakers)
    out.append(
        f"{plural(summary.messages, 'line')} from {plural(len(speakers), 'person', 'people')}: "
        f"{names}"
    )
    out += ["", f"What was discussed ({len(summary.discussions)}):"]
    for d in summary.discussions:
        who = ", ".join(("★ " if p.notable else "") + p.name for p in d.participants)
        out.append(
            f"- {d.headline} — {who} · {stamp(d.started_at)}-{clock(d.ended_at, zone)}"
            f" · {plural(d.lines, 'line')}"
        )
        out += [f"    {k.person}: “{_short(k.text)}”" for k in d.key_lines]
    if not summary.discussions:
        out.append("- nothing that made a discussion")
    out += ["", f"Still open ({len(summary.unanswered)}):"]
    out += [
        f"- {'★ ' if q.notable else ''}{q.asker} at {stamp(q.at)}: {_short(q.text)}"
        for q in summary.unanswered
    ] or ["- none"]
    if summary.members:
        out += ["", "Notable members:"]
        for m in summary.members:
            about = f"; in {', '.join(m.discussions)}" if m.discussions else ""
            out.append(f"- ★ {m.person}: {plural(m.lines, 'line')}{about}")
            out += [f"    “{_short(k.text)}”" for k in m.key_lines]
    if summary.decisions:
        out += ["", "Decided or taken on:"]
        out += [f"- {d.person}: {_short(d.text)}" for d in summary.decisions]
    if summary.links:
        out += ["", "Links:"]
        out += [f"- {stamp(link.at)} {link.person}: {link.url}" for link in summary.links]
    return "\n".join(out) + "\n"


def catchup_json(catchup: Catchup) -> dict[str, Any]:
    """The catch-up as plain JSON values (times in UTC, ISO 8601)."""
    summary = catchup.summary
    info = summary.session
    return {
        "network": info.network,
        "channel": info.channel,
        "start": info.started_at.isoformat(),
        "end": (info.ended_at or info.started_at).isoformat(),
        "since": catchup.since,
        "lines": summary.messages,
        "speakers": [
            {"name": r.label, "notable": r.notable, "lines": r.lines}
            for r in summary.attendance
            if r.lines
        ],
        "discussions": [
            {
                "headline": d.headline,
                "people": [p.name for p in d.participants],
                "start": d.started_at.isoformat(),
                "end": d.ended_at.isoformat(),
                "lines": d.lines,
                "links": list(d.links),
                "key_lines": [{"person": k.person, "text": k.text} for k in d.key_lines],
            }
            for d in summary.discussions
        ],
        "still_open": [
            {"asker": q.asker, "text": q.text, "at": q.at.isoformat(), "notable": q.notable}
            for q in summary.unanswered
        ],
        "members": [
            {
                "person": m.person,
                "lines": m.lines,
                "discussions": list(m.discussions),
                "key_lines": [k.text for k in m.key_lines],
            }
            for m in summary.members
        ],
        "links": [{"person": link.person, "url": link.url} for link in summary.links],
    }


def missed_lines(catchup: Catchup) -> list[str]:
    """A few chat lines for the owner: "while you were away from #chan: …" (empty: nothing)."""
    summary = catchup.summary
    if not summary.messages:
        return []
    info = summary.session
    speakers = sum(1 for row in summary.attendance if row.lines)
    because = f" ({catchup.since})" if catchup.since else ""
    head = (
        f"While you were away from {info.channel} since {_stamp(catchup)(info.started_at)}"
        f"{because}: {plural(len(summary.discussions), 'discussion')}, "
        f"{plural(len(summary.unanswered), 'open question')}, "
        f"{plural(summary.messages, 'line')} from {plural(speakers, 'person', 'people')}."
    )
    out = [head]
    if summary.discussions:
        parts = [
            f"{d.headline} ({', '.join(p.name for p in d.participants[:3])}; "
            f"{plural(d.lines, 'line')})"
            for d in summary.discussions[:4]
        ]
        out.append("Discussed: " + "; ".join(parts) + ".")
    for q in summary.unanswered[:3]:
        out.append(f"{q.asker} asked: “{_short(q.text, 200)}”")
    for m in summary.members[:3]:
        if m.key_lines:
            out.append(f"{m.person} said: “{_short(m.key_lines[0].text, 200)}”")
    if summary.links:
        out.append("Links: " + " ".join(link.url for link in summary.links[:3]))
    return out


async def compose_missed(
    db: Database,
    settings: Settings,
    *,
    network: str,
    account: str | None,
    user_id: str | None,
    now: datetime,
    channel: str | None = None,
    since: str | None = None,
) -> list[str]:
    """What the owner missed on ``network``, as a few chat lines for ``!missed``.

    Every channel the owner was in, since their last line or departure there (see
    :func:`owner_spans`); ``channel`` keeps one, ``since`` (a :func:`parse_when` form)
    replaces where each span starts.

    Raises:
        CatchupError: ``channel`` was never recorded, or ``since`` cannot be read.
    """
    zone = ZoneInfo(settings.summaries.timezone)
    start = parse_when(since, now, zone, option="the span") if since else None
    spans = await db.run_in_thread(
        lambda conn: owner_spans(
            conn, settings, network, account=account, user_id=user_id, now=now.timestamp()
        )
    )
    if channel is not None:
        await db.run_in_thread(lambda conn: find_channel(conn, network, channel))
        wanted = irc_casefold(channel)
        spans = [s for s in spans if irc_casefold(s[0]) == wanted] or [
            (channel, (now - MISSED_LOOKBACK).timestamp(), "you were not seen there")
        ]
    if start is not None:
        spans = [(name, start.timestamp(), "") for name, _, _ in spans]
    if not spans:
        return ["I have not seen you in any channel here yet, so nothing was missed."]
    caught = [
        await compose_catchup(
            db,
            settings,
            network=network,
            channel=name,
            start=datetime.fromtimestamp(at, UTC),
            end=now,
            since=reason,
            now=now,
        )
        for name, at, reason in spans
    ]
    said = sorted((c for c in caught if c.summary.messages), key=lambda c: -c.summary.messages)
    if not said:
        quiet = ", ".join(
            f"{c.summary.session.channel} since {clock(c.summary.session.started_at, zone)}"
            for c in caught
        )
        return [f"Nothing new while you were away: nothing was said in {quiet}."]
    lines = [line for c in said[:MISSED_CHANNELS] for line in missed_lines(c)]
    if len(said) > MISSED_CHANNELS:
        others = ", ".join(c.summary.session.channel for c in said[MISSED_CHANNELS:])
        lines.append(f"Also talked in: {others} (say !missed CHANNEL).")
    return lines
