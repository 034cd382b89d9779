"""Summary parts that come from other areas, used when they are there and skipped when not.

Openings (with their outcomes) and the owner's exchange ledger live in the openings
plugin's tables; MeetBot minutes come from :mod:`assistant.summaries.meetbot`. A database
without those tables, or an install without that module, gives a summary without those
sections (``None``), never an error.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from assistant.config import Settings
from assistant.storage.schema import table_exists
from assistant.summaries.model import (
    Minutes,
    MinutesItem,
    MinutesTopic,
    OpeningItem,
    RelationshipChange,
    SessionInfo,
)

__all__ = ["UNASSIGNED", "OpeningsPart", "minutes_for", "openings_for"]

log = logging.getLogger(__name__)

_OUTCOMES = {"pending": "surfaced", "taken": "taken", "missed": "missed", "dismissed": "missed"}


@dataclass(frozen=True, slots=True)
class OpeningsPart:
    """Openings of the session and relationship changes (``None``: not available)."""

    openings: tuple[OpeningItem, ...] | None = None
    relationships: tuple[RelationshipChange, ...] | None = None


def _stage(rows: list[sqlite3.Row], person: str, settings: Settings) -> str | None:
    """The relationship stage the openings work gives these ledger rows, if it is installed."""
    try:
        from assistant.openings.pacing import Ledger, LedgerLine
    except ImportError:
        return None
    ledger = Ledger(person)
    for row in rows:
        ledger.add(
            LedgerLine(
                at=datetime.fromtimestamp(float(row["at"]), UTC),
                to_owner=bool(row["to_owner"]),
                reply=bool(row["reply"]),
                initiation=bool(row["initiation"]),
                channel=str(row["channel"]),
            )
        )
    try:
        return str(ledger.relationship(settings.openings.pacing).stage)
    except Exception:  # the openings work may change its API; a summary still goes out
        log.debug("relationship stage unavailable", exc_info=True)
        return None


def _relationships(
    conn: sqlite3.Connection, end: float, start: float, settings: Settings
) -> tuple[RelationshipChange, ...] | None:
    if not table_exists(conn, "openings_exchanges"):
        return None
    people = [
        str(r[0])
        for r in conn.execute(
            "SELECT DISTINCT person FROM openings_exchanges WHERE at >= ? AND at <= ?",
            (start, end),
        )
    ]
    changes = []
    for person in people:
        rows = conn.execute(
            "SELECT * FROM openings_exchanges WHERE person = ? AND at <= ? ORDER BY at",
            (person, end),
        ).fetchall()
        before_rows = [r for r in rows if float(r["at"]) < start]
        after = _stage(rows, person, settings)
        if after is None:
            return None
        before = _stage(before_rows, person, settings) or "stranger"
        in_session = len(rows) - len(before_rows)
        note = f"{in_session} exchange{'s' if in_session != 1 else ''} this session"
        changes.append(RelationshipChange(person, before, after, note))
    return tuple(changes)


def openings_for(
    conn: sqlite3.Connection,
    session: dict[str, Any],
    start: float,
    end: float,
    settings: Settings | None,
) -> OpeningsPart:
    """Read the openings found in the session's channel and time, and relationship moves."""
    if not table_exists(conn, "openings_found"):
        return OpeningsPart()
    rows = conn.execute(
        "SELECT at, person, kind, reason, outcome FROM openings_found "
        "WHERE network = ? AND channel = ? AND at >= ? AND at <= ? ORDER BY at, id",
        (session["network_name"], session["channel_name"], start, end),
    ).fetchall()
    openings = tuple(
        OpeningItem(
            at=datetime.fromtimestamp(float(r["at"]), UTC),
            person=str(r["person"]),
            kind=str(r["kind"]),
            reason=str(r["reason"]),
            outcome=_OUTCOMES.get(str(r["outcome"]), str(r["outcome"])),
        )
        for r in rows
    )
    relationships = _relationships(conn, end, start, settings) if settings else None
    return OpeningsPart(openings, relationships)


UNASSIGNED = "UNASSIGNED"
"""The person MeetBot files action items under when they name nobody present."""


def minutes_for(messages: list[dict[str, Any]], session: SessionInfo) -> Minutes | None:
    """Build MeetBot minutes when the session's chat held a meeting, else ``None``.

    Every line counts as MeetBot counts it (its "People present (lines said)" are exact):
    ``/me`` actions and Presence's own lines included. When the session holds several
    meetings, the first is summarised.
    """
    if not any(str(m["text"]).lstrip().lower().startswith("#startmeeting") for m in messages):
        return None
    try:
        from assistant.summaries.meetbot import ChatLine, find_meetings
    except ImportError:
        return None
    lines = [
        ChatLine(
            nick=str(m["nick"]),
            text=str(m["text"]),
            at=datetime.fromtimestamp(float(m["at"]), UTC),
            kind=str(m["kind"]),
        )
        for m in messages
    ]
    meetings = find_meetings(lines)
    if not meetings:
        return None
    meeting = meetings[0]
    by_person, unassigned = meeting.action_items_by_person()
    actions = [(nick, tuple(items)) for nick, items in by_person.items()]
    if unassigned:
        actions.append((UNASSIGNED, tuple(unassigned)))
    return Minutes(
        title=meeting.name,
        started_at=meeting.started_at,
        ended_at=meeting.ended_at,
        chairs=tuple(meeting.chairs),
        topics=tuple(
            MinutesTopic(
                title=topic.title,
                at=topic.at,
                nick=topic.nick,
                items=tuple(
                    MinutesItem(item.kind.lower(), item.text, item.nick, item.at)
                    for item in topic.items
                ),
            )
            for topic in meeting.topics
        ),
        actions=tuple(actions),
        people=tuple(meeting.people_present()),
    )
