"""Platform-neutral events: what happened in a chat, as frozen facts.

Connectors build these once, at the edge, from platform traffic; everything after the
connector (recorder, plugins, commands) sees only these types. Each event keeps the
platform's raw payload aside in ``raw``, out of equality and repr, so tests compare
meaning and logs stay short.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

__all__ = [
    "ChannelEvent",
    "Connected",
    "Disconnected",
    "Event",
    "EventScheduled",
    "Identity",
    "MemberJoined",
    "MemberLeft",
    "MemberModeChanged",
    "MessageAnalyzed",
    "MessageDeleted",
    "MessageEdited",
    "MessageReceived",
    "NickChanged",
    "OpeningFound",
    "PluginFellBehind",
    "PresenceChanged",
    "SessionEnded",
    "SessionStarted",
    "TopicChanged",
    "analysis_key",
    "irc_casefold",
    "utcnow",
]

_RFC1459 = str.maketrans("[]\\~", "{}|^")


def irc_casefold(name: str) -> str:
    """Fold an IRC nick or channel name the way RFC 1459 servers compare them."""
    return name.lower().translate(_RFC1459)


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Identity:
    """What a platform shows of a participant: an IRC nick (+ account, user@host) or a Discord user.

    An identity is not a person: one human may appear as several identities (nick changes,
    alternate nicks, IRC and Discord). Linking identities to persons is storage's job.
    """

    platform: str
    network: str
    nick: str
    account: str | None = None
    user_id: str | None = None
    userhost: str | None = None

    @property
    def key(self) -> str:
        """The stable lookup key on its network: Discord user id, else the case-folded nick."""
        if self.user_id is not None:
            return self.user_id
        return irc_casefold(self.nick)


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every event: where and when it happened, and the platform's raw payload."""

    platform: str
    network: str
    timestamp: datetime
    raw: object = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.timestamp.tzinfo is None:
            raise ValueError(f"{type(self).__name__}.timestamp must be timezone-aware (UTC)")


@dataclass(frozen=True, kw_only=True)
class ChannelEvent(Event):
    """An event done by someone (``actor``) in a channel (``None`` for a private message)."""

    channel: str | None
    actor: Identity


@dataclass(frozen=True, kw_only=True)
class MessageReceived(ChannelEvent):
    """Someone said something: a channel line, a /me action, a notice, or a private message."""

    text: str
    kind: Literal["message", "action", "notice"] = "message"
    message_id: str | None = None
    reply_to: str | None = None
    backfill: bool = False
    """Recovered after the fact (history fetched after a reconnect, an imported log), not live:
    record it, but do not alert the owner about it as if it just happened."""

    @property
    def is_private(self) -> bool:
        """True for a message sent to Presence directly rather than to a channel."""
        return self.channel is None


@dataclass(frozen=True, kw_only=True)
class MessageEdited(ChannelEvent):
    """Someone edited an earlier message (platforms that allow it)."""

    message_id: str
    text: str


@dataclass(frozen=True, kw_only=True)
class MessageDeleted(ChannelEvent):
    """A message was deleted (by its author or a moderator)."""

    message_id: str


@dataclass(frozen=True, kw_only=True)
class MemberJoined(ChannelEvent):
    """Someone is in a channel: they arrived, or were already there when Presence joined.

    ``via`` says what kind of presence it is: in a text channel (IRC channel, Discord text
    channel), or in a Discord voice or stage channel (attendance at a voice event).
    """

    already_present: bool = False
    modes: str = ""
    via: Literal["channel", "voice", "stage"] = "channel"


@dataclass(frozen=True, kw_only=True)
class MemberLeft(ChannelEvent):
    """Someone left a channel: part, quit, kick (``by`` the kicker) or netsplit."""

    kind: Literal["part", "quit", "kick", "netsplit"]
    reason: str = ""
    by: Identity | None = None
    via: Literal["channel", "voice", "stage"] = "channel"


@dataclass(frozen=True, kw_only=True)
class MemberModeChanged(ChannelEvent):
    """A member's status in a channel changed (IRC op, voice...): a hint of who runs the room.

    ``actor`` is the member whose status changed and ``by`` who changed it (``None`` when a
    server did). ``modes`` is the change as the platform wrote it (``"+o"``, ``"-v"``) and
    ``status`` the member's status symbols afterwards, highest first (``"@+"``; ``""`` for none).
    """

    modes: str
    status: str = ""
    by: Identity | None = None


@dataclass(frozen=True, kw_only=True)
class NickChanged(Event):
    """Someone changed nick; it applies to every channel they are in."""

    actor: Identity
    new_nick: str


@dataclass(frozen=True, kw_only=True)
class PresenceChanged(Event):
    """Someone's status changed (away/back on IRC; online/idle/dnd/offline on Discord)."""

    actor: Identity
    status: str
    message: str = ""


@dataclass(frozen=True, kw_only=True)
class TopicChanged(ChannelEvent):
    """A channel's topic was set (``actor`` may be the server when the topic is announced)."""

    topic: str


@dataclass(frozen=True, kw_only=True)
class Connected(Event):
    """A connector is connected and registered as ``nick``."""

    nick: str


@dataclass(frozen=True, kw_only=True)
class Disconnected(Event):
    """A connector lost (or closed) its connection; what follows until ``Connected`` is unknown."""

    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class EventScheduled(Event):
    """A platform announced, changed, started, ended or cancelled a scheduled event.

    Discord scheduled events are a source of session schedules. ``channel`` is where it takes
    place (a voice or stage channel's name; ``None`` for an external location) and
    ``event_id`` the platform's id, the same across updates of one event.
    """

    event_id: str
    name: str
    channel: str | None
    starts_at: datetime
    ends_at: datetime | None = None
    status: Literal["scheduled", "active", "completed", "cancelled"] = "scheduled"
    description: str = ""
    location: str = ""


def analysis_key(message: MessageReceived, nth: int = 1) -> str:
    """The key the analysis of ``message`` goes by: see :attr:`MessageAnalyzed.message_id`.

    ``nth`` numbers the lines one author said in one instant in one channel (IRC has no
    message ids, and a line's author and instant name it): the second one gets ``#2``.
    """
    if message.message_id:
        return message.message_id
    key = f"{message.actor.key}@{message.timestamp.timestamp():.6f}"
    return key if nth == 1 else f"{key}#{nth}"


@dataclass(frozen=True, kw_only=True)
class MessageAnalyzed(Event):
    """The core's understanding of one recorded channel message, with the message itself.

    ``platform``, ``network`` and ``timestamp`` are the message's; who said it, what, how
    (``kind``) and whether it was recovered after the fact (``backfill``) are in ``message``.
    """

    channel: str
    """The channel's name as the message wrote it."""
    message_id: str
    """The analysis key: the platform's message id, else ``<author key>@<POSIX time with six
    decimals>`` and ``#n`` for the n-th line of that author in that instant and channel
    (:func:`analysis_key`). Other analyses name the message by it (``reply_to``, ``thread``)."""
    message: MessageReceived
    """The message analysed, as its connector reported it."""
    topics: tuple[str, ...] = ()
    is_question: bool = False
    addressees: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    acts: tuple[str, ...] = ()
    reply_to: tuple[str, ...] = ()
    thread: str = ""
    """The conversation it belongs to: the ``message_id`` of that conversation's first message."""


@dataclass(frozen=True, kw_only=True)
class OpeningFound(Event):
    """An opening to join a conversation with a notable member, for the owner."""

    channel: str
    kind: str
    person: str
    score: float
    reason: str
    angle: str = ""
    message_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class SessionStarted(Event):
    """A chat session began in a channel (by schedule or detected activity)."""

    channel: str
    session_id: int
    name: str = ""


@dataclass(frozen=True, kw_only=True)
class SessionEnded(Event):
    """A chat session ended in a channel; summaries are composed from it."""

    channel: str
    session_id: int
    name: str = ""


@dataclass(frozen=True, kw_only=True)
class PluginFellBehind(Event):
    """A plugin could not keep up, was not given some events, and has caught up since.

    Not a chat event (``platform`` is ``"presence"``, ``network`` empty, ``timestamp`` when
    it caught up): the plugin host hands it only to the plugin concerned, and only when that
    plugin names this type among the ones it handles. ``first`` and ``last`` are the
    timestamps of the first and last event it missed; ``types`` counts them by type name.
    """

    plugin: str
    missed: int
    first: datetime
    last: datetime
    types: tuple[tuple[str, int], ...] = ()
