"""MeetBot minutes for a summary, when the session's chat held a meeting.

They come from :mod:`assistant.summaries.meetbot`; an install without that module gives a
summary without minutes (``None``), never an error. Plugins' parts of a summary (the
openings plugin's openings and relationships among them) come through the
``assistant_summary_sections`` hook instead, from the plugins' own tables.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from assistant.summaries.model import Minutes, MinutesItem, MinutesTopic, SessionInfo

__all__ = ["UNASSIGNED", "minutes_for"]

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
