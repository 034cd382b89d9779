"""Build realistic Presence event sequences in a line each, for tests and plugin authors.

Every event repeats its platform, network, timestamp and actor ``Identity``; spelled out as
dataclasses, a short chat scene is mostly boilerplate and each test file grows its own copy
of the same helpers. A ``ChatScript`` fills those fields in for one platform and network and
keeps a clock, so a scene reads like the chat it stands for::

    chat = ChatScript(sink=recorder.record)
    chat.joined("alice", "#chan")  # 08:30:01
    chat.said("alice", "hello")  # 08:30:02
    chat.said("bob", "earlier", at=timedelta(hours=1))  # 07:30:02: an hour ago
    chat.left("bob", "#chan", at=datetime(2024, 1, 7, 9, 0, tzinfo=UTC))  # 09:00:00

Each builder returns its event (and hands it to ``sink`` first, when one is given). Without
``at`` an event happens ``step`` after the previous one and moves the clock's ``now`` there.
An ``at`` datetime is the event's exact time; an ``at`` timedelta means that long ago, before
``now``; neither moves the clock. Wherever a nick is asked for, an ``Identity`` may be given
instead (e.g. with a Discord ``user_id``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Literal, TypedDict, TypeVar

from assistant.events import (
    Connected,
    Disconnected,
    Event,
    Identity,
    MemberJoined,
    MemberLeft,
    MessageDeleted,
    MessageEdited,
    MessageReceived,
    NickChanged,
    PresenceChanged,
    TopicChanged,
)

__all__ = ["START", "STEP", "ChatScript"]

START = datetime(2024, 1, 7, 8, 30, tzinfo=UTC)
STEP = timedelta(seconds=1)

E = TypeVar("E", bound=Event)
Who = str | Identity
When = datetime | timedelta | None


class _Where(TypedDict):
    platform: str
    network: str
    timestamp: datetime


class _InChannel(_Where):
    channel: str | None
    actor: Identity


class ChatScript:
    """Builds events on one platform and network, one ``step`` apart unless told when."""

    def __init__(
        self,
        network: str = "libera",
        platform: str = "irc",
        start: datetime = START,
        step: timedelta = STEP,
        *,
        sink: Callable[[Event], object] | None = None,
    ) -> None:
        self.network = network
        self.platform = platform
        self.start = start
        self.step = step
        self.sink = sink
        self.now = start  # the time of the latest stepped event (``start`` before any)

    def who(self, nick: str, account: str | None = None, userhost: str | None = None) -> Identity:
        """Return the identity ``nick`` has on this script's platform and network."""
        return Identity(self.platform, self.network, nick, account=account, userhost=userhost)

    def said(
        self,
        nick: Who,
        text: str,
        channel: str | None = "#chan",
        kind: Literal["message", "action", "notice"] = "message",
        *,
        message_id: str | None = None,
        reply_to: str | None = None,
        at: When = None,
    ) -> MessageReceived:
        """A message (``channel=None`` for a private one)."""
        fields = self._in(nick, channel, at)
        return self._emit(
            MessageReceived(
                **fields, text=text, kind=kind, message_id=message_id, reply_to=reply_to
            )
        )

    def joined(
        self, nick: Who, channel: str, already_present: bool = False, *, at: When = None
    ) -> MemberJoined:
        """Someone joins ``channel`` (or was there when Presence joined: ``already_present``)."""
        fields = self._in(nick, channel, at)
        return self._emit(MemberJoined(**fields, already_present=already_present))

    def left(
        self,
        nick: Who,
        channel: str | None,
        kind: Literal["part", "quit", "kick", "netsplit"] = "part",
        reason: str = "",
        by: Who | None = None,
        *,
        at: When = None,
    ) -> MemberLeft:
        """Someone leaves ``channel``: a part, quit, netsplit, or a kick ``by`` someone."""
        kicker = None if by is None else self._actor(by)
        fields = self._in(nick, channel, at)
        return self._emit(MemberLeft(**fields, kind=kind, reason=reason, by=kicker))

    def nick_changed(self, old: Who, new: str, *, at: When = None) -> NickChanged:
        """``old`` is now called ``new``."""
        return self._emit(NickChanged(**self._when(at), actor=self._actor(old), new_nick=new))

    def topic(self, nick: Who, channel: str, text: str, *, at: When = None) -> TopicChanged:
        """``nick`` (or the server, by its name) sets the topic of ``channel``."""
        return self._emit(TopicChanged(**self._in(nick, channel, at), topic=text))

    def connected(self, nick: str = "presence", *, at: When = None) -> Connected:
        """Presence is connected as ``nick``."""
        return self._emit(Connected(**self._when(at), nick=nick))

    def disconnected(self, reason: str = "", *, at: When = None) -> Disconnected:
        """Presence lost its connection."""
        return self._emit(Disconnected(**self._when(at), reason=reason))

    def edited(
        self, nick: Who, channel: str | None, message_id: str, text: str, *, at: When = None
    ) -> MessageEdited:
        """``nick`` edits message ``message_id`` to ``text``."""
        fields = self._in(nick, channel, at)
        return self._emit(MessageEdited(**fields, message_id=message_id, text=text))

    def deleted(
        self, nick: Who, channel: str | None, message_id: str, *, at: When = None
    ) -> MessageDeleted:
        """``nick`` deletes message ``message_id``."""
        return self._emit(MessageDeleted(**self._in(nick, channel, at), message_id=message_id))

    def presence(
        self, nick: Who, status: str, message: str = "", *, at: When = None
    ) -> PresenceChanged:
        """``nick``'s status becomes ``status`` (e.g. ``"away"`` with a ``message``)."""
        actor = self._actor(nick)
        return self._emit(
            PresenceChanged(**self._when(at), actor=actor, status=status, message=message)
        )

    def _actor(self, nick: Who) -> Identity:
        return nick if isinstance(nick, Identity) else self.who(nick)

    def _when(self, at: When) -> _Where:
        if isinstance(at, datetime):
            when = at
        elif isinstance(at, timedelta):
            when = self.now - at
        else:
            self.now += self.step
            when = self.now
        return {"platform": self.platform, "network": self.network, "timestamp": when}

    def _in(self, nick: Who, channel: str | None, at: When) -> _InChannel:
        return {**self._when(at), "channel": channel, "actor": self._actor(nick)}

    def _emit(self, event: E) -> E:
        if self.sink is not None:
            self.sink(event)
        return event
