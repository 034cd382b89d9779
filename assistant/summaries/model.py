"""What one session's summary holds, as typed values that every renderer reads.

The composer (``compose.py``) fills a :class:`Summary` from the database; the Markdown,
HTML, JSON and minutes renderers only read it. Keeping the summary a plain tree of frozen
dataclasses makes the JSON form a faithful, stable copy (``json.py`` round-trips it) and
lets plugins add their own :class:`SummarySection` without knowing any renderer.
Times are aware UTC datetimes; ``SessionInfo.timezone`` says how to display them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "SCHEMA",
    "AttendanceRow",
    "Decision",
    "Discussion",
    "Exchange",
    "FollowUp",
    "KeyLine",
    "Link",
    "MemberPart",
    "MemberTopics",
    "Minutes",
    "MinutesItem",
    "MinutesTopic",
    "OpeningItem",
    "Participant",
    "PersonActivity",
    "Question",
    "RelationshipChange",
    "SessionInfo",
    "Summary",
    "SummarySection",
    "TopicCount",
]

SCHEMA = "presence.summary/1"
"""The JSON schema name and version; bumped only when a field changes meaning or goes away."""


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """Which chat the summary is about, and when it ran."""

    id: int
    network: str
    channel: str
    name: str
    started_at: datetime
    ended_at: datetime | None
    timezone: str = "UTC"
    """IANA name of the zone times are displayed in (stored times stay UTC)."""
    platform: str = "irc"

    @property
    def zone(self) -> ZoneInfo:
        """The display time zone (UTC when the name is unknown on this machine)."""
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    @property
    def title(self) -> str:
        """A human title: the session's name, else the channel."""
        return self.name or self.channel


@dataclass(frozen=True, slots=True)
class AttendanceRow:
    """One person's presence in the session."""

    person_id: int
    name: str
    """How the person showed up here (their most used nick in the session)."""
    notable: bool = False
    watch_name: str = ""
    """The owner's name for a notable member (``[[watchlist]] name``), when they are one."""
    is_owner: bool = False
    arrived_at: datetime | None = None
    """``None``: already there when the session started (or unknown)."""
    left_at: datetime | None = None
    """``None``: still there when the session ended."""
    minutes_present: float = 0.0
    lines: int = 0
    first_words: str = ""
    last_words: str = ""

    @property
    def label(self) -> str:
        """The name to show: the owner's name for them and their nick, when those differ."""
        if self.watch_name and self.watch_name.casefold() != self.name.casefold():
            return f"{self.watch_name} ({self.name})"
        return self.name


@dataclass(frozen=True, slots=True)
class TopicCount:
    """A topic and how many messages raised it."""

    topic: str
    count: int


@dataclass(frozen=True, slots=True)
class MemberTopics:
    """What one notable member talked about in the session, most raised first."""

    person: str
    topics: tuple[TopicCount, ...]


@dataclass(frozen=True, slots=True)
class Participant:
    """Someone who took part in a discussion, and how many of its lines they said."""

    name: str
    lines: int
    notable: bool = False


@dataclass(frozen=True, slots=True)
class KeyLine:
    """A line quoted as representative of a discussion (chosen from its own lines)."""

    at: datetime
    person: str
    text: str


@dataclass(frozen=True, slots=True)
class Discussion:
    """One conversation of the session: its subject, people, time, links and key lines."""

    headline: str
    """A short key phrase naming the subject (a MeetBot ``#topic`` when one started it)."""
    started_at: datetime
    ended_at: datetime
    lines: int
    participants: tuple[Participant, ...] = ()
    """Notable members first, then by lines said."""
    links: tuple[str, ...] = ()
    key_lines: tuple[KeyLine, ...] = ()
    """One or two of its most central lines, in the order they were said."""
    heading: bool = False
    """True when the headline is a ``#topic`` someone set, not a phrase Presence chose."""

    @property
    def minutes(self) -> float:
        """How long it ran, in minutes."""
        return (self.ended_at - self.started_at).total_seconds() / 60


@dataclass(frozen=True, slots=True)
class Question:
    """A substantive question asked in the session (in ``unanswered``: one still open)."""

    at: datetime
    asker: str
    text: str
    notable: bool = False
    discussion: str = ""
    """The headline of the discussion it was asked in (empty: none of them)."""
    answered: bool = False


@dataclass(frozen=True, slots=True)
class Decision:
    """A line that decided, assigned or agreed, outside MeetBot's ``#agreed``/``#action``."""

    at: datetime
    person: str
    """Who said it."""
    kind: str
    """``decision``, ``action`` or ``agreement``."""
    text: str
    notable: bool = False
    assignee: str = ""
    """For an action: who is to do it."""
    agrees_with: KeyLine | None = None
    """The line it agrees with (for an agreement, and a decision such as "+1, merging")."""
    discussion: str = ""
    """The headline of the discussion it belongs to (empty: none of them)."""


@dataclass(frozen=True, slots=True)
class Link:
    """A link someone shared."""

    at: datetime
    person: str
    url: str
    notable: bool = False


@dataclass(frozen=True, slots=True)
class MemberPart:
    """What one notable member who came did in the session."""

    person: str
    lines: int
    discussions: tuple[str, ...] = ()
    """The headlines of the discussions they took part in."""
    key_lines: tuple[KeyLine, ...] = ()
    """One to three of their most central lines, in the order said."""
    questions: tuple[Question, ...] = ()
    """The substantive questions they asked, each with whether it got an answer."""
    links: tuple[str, ...] = ()
    """The links they shared."""


@dataclass(frozen=True, slots=True)
class Exchange:
    """The owner's give-and-take with one person during the session."""

    person: str
    notable: bool
    owner_to_them: int
    them_to_owner: int
    discussions: tuple[str, ...] = ()
    """What it was about: the headlines of the discussions those lines were in."""


@dataclass(frozen=True, slots=True)
class RelationshipChange:
    """How the owner's relationship with someone moved.

    Only in summaries written before the openings plugin gave it as a section.
    """

    person: str
    before: str
    after: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class OpeningItem:
    """An opening Presence surfaced during the session, and what became of it.

    Only in summaries written before the openings plugin gave them as a section.
    """

    at: datetime
    person: str
    kind: str
    reason: str
    outcome: str = "surfaced"
    """``surfaced`` (still open), ``taken`` (the owner joined in) or ``missed``."""
    discussion: str = ""
    """The headline of the discussion under way when it was found (empty: none)."""


@dataclass(frozen=True, slots=True)
class FollowUp:
    """Something the owner may want to do after the chat."""

    text: str
    person: str = ""


@dataclass(frozen=True, slots=True)
class MinutesItem:
    """One MeetBot item: ``info``, ``action``, ``agreed``, ``idea``, ``link``, ``help``..."""

    kind: str
    text: str
    nick: str
    at: datetime


@dataclass(frozen=True, slots=True)
class MinutesTopic:
    """A ``#topic`` and the items raised under it."""

    title: str
    at: datetime | None
    items: tuple[MinutesItem, ...] = ()
    nick: str = ""
    """Who set the topic."""


@dataclass(frozen=True, slots=True)
class Minutes:
    """MeetBot-style minutes, when the chat used ``#startmeeting``."""

    title: str
    started_at: datetime | None
    ended_at: datetime | None
    chairs: tuple[str, ...] = ()
    topics: tuple[MinutesTopic, ...] = ()
    actions: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Action items by person (each action listed under every nick it names), in order."""
    people: tuple[tuple[str, int], ...] = ()
    """``People present (lines said)``: nick and exact line count, most lines first."""

    @property
    def decided(self) -> bool:
        """Whether the minutes hold ``#agreed`` or ``#action`` items."""
        return any(i.kind in ("agreed", "action") for t in self.topics for i in t.items)


@dataclass(frozen=True, slots=True)
class SummarySection:
    """An extra section (from a plugin, through ``assistant_summary_sections``).

    ``items`` are plain text lines; every renderer escapes them, so a plugin never writes
    markup. ``plugin`` is filled in with the name of the plugin that returned it.
    """

    title: str
    items: tuple[str, ...] = ()
    text: str = ""
    """A paragraph shown before the items (optional)."""
    plugin: str = ""


@dataclass(frozen=True, slots=True)
class PersonActivity:
    """When one person was present and when they spoke: the timeline picture's row."""

    name: str
    notable: bool
    intervals: tuple[tuple[datetime, datetime], ...]
    ticks: tuple[datetime, ...]


@dataclass(frozen=True, slots=True)
class Summary:
    """One session's summary: everything the renderers show, notable members first."""

    session: SessionInfo
    generated_at: datetime
    owner: str = "owner"
    attendance: tuple[AttendanceRow, ...] = ()
    messages: int = 0
    discussions: tuple[Discussion, ...] = ()
    """What was discussed: the session's conversations, weightiest first."""
    topics: tuple[TopicCount, ...] = ()
    member_topics: tuple[MemberTopics, ...] = ()
    unanswered: tuple[Question, ...] = ()
    """Still open: substantive questions nobody answered, ranked, a handful per hour."""
    members: tuple[MemberPart, ...] = ()
    """Per notable member present: their discussions, key lines, questions and links."""
    links: tuple[Link, ...] = ()
    decisions: tuple[Decision, ...] = ()
    """Decisions, actions and agreements said in the chat (MeetBot's stay in ``minutes``)."""
    exchanges: tuple[Exchange, ...] = ()
    relationship_changes: tuple[RelationshipChange, ...] | None = None
    """``None``: not available. The core no longer fills it: the openings plugin gives its
    "Relationships" in ``sections``; it is kept, and shown, for documents written before."""
    openings: tuple[OpeningItem, ...] | None = None
    """``None``: not available; ``()``: none were surfaced. The core no longer fills it: the
    openings plugin gives its "Openings" in ``sections``; kept, and shown, for older documents."""
    follow_ups: tuple[FollowUp, ...] = ()
    minutes: Minutes | None = None
    timeline: tuple[PersonActivity, ...] = ()
    sections: tuple[SummarySection, ...] = field(default=())
    """Extra sections added by plugins, in the order the plugins answered."""

    @property
    def notable_present(self) -> tuple[AttendanceRow, ...]:
        """The notable members who came."""
        return tuple(row for row in self.attendance if row.notable)
