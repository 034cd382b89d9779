"""Render MeetBot-style minutes: topics with their items, action items by person, people present.

The layout follows MeetBot's plain-text minutes (``X.txt`` beside ``X.log.txt``), so people
used to them read these the same way, and its "People present (lines said)" counts are
the exact lines each nick said during the meeting.
"""

from __future__ import annotations

from assistant.summaries.extras import UNASSIGNED
from assistant.summaries.model import Summary

__all__ = ["render_minutes"]


def _heading(text: str, rule: str = "-") -> list[str]:
    return [text, rule * len(text)]


def render_minutes(summary: Summary) -> str:
    """Return the minutes as MeetBot-style text (empty when the chat held no meeting)."""
    minutes = summary.minutes
    if minutes is None:
        return ""
    zone = summary.session.zone
    channel = summary.session.channel
    title = f"{channel}: {minutes.title}" if minutes.title else f"{channel} Meeting"
    out = ["=" * len(title), title, "=" * len(title), ""]
    if minutes.started_at is not None:
        local = minutes.started_at.astimezone(zone)
        chairs = f" by {', '.join(minutes.chairs[:1])}" if minutes.chairs else ""
        out += [f"Meeting started{chairs} at {local:%H:%M:%S} {local.tzname() or ''}.".rstrip(), ""]
    out += ["", *_heading("Meeting summary")]
    for topic in minutes.topics:
        stamp = f"  ({topic.nick}, {topic.at.astimezone(zone):%H:%M:%S})" if topic.at else ""
        out.append(f"* {topic.title or '(before the first topic)'}{stamp}")
        for item in topic.items:
            stamp = item.at.astimezone(zone).strftime("%H:%M:%S")
            label = "" if item.kind == "info" else f"{item.kind.upper()}: "
            out.append(f"  * {label}{item.text}  ({item.nick}, {stamp})")
    if minutes.ended_at is not None:
        local = minutes.ended_at.astimezone(zone)
        out += ["", f"Meeting ended at {local:%H:%M:%S} {local.tzname() or ''}.".rstrip()]
    out += ["", "", *_heading("Action items, by person")]
    if minutes.actions:
        for nick, actions in minutes.actions:
            out.append("* **UNASSIGNED**" if nick == UNASSIGNED else f"* {nick}")
            out += [f"  * {action}" for action in actions]
    else:
        out.append("* (none)")
    out += ["", "", *_heading("People present (lines said)")]
    out += [f"* {nick} ({lines})" for nick, lines in minutes.people]
    out.append("")
    return "\n".join(out)
