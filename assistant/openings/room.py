"""What the openings engine knows of the chats: recent lines, the owner's whereabouts, questions.

Detectors read this view; only the engine changes it (its ``Room``, in the ``openings``
plugin: ``assistant_openings.room``). Each line is an analysed message
with the message it describes (the analysis carries it), so a detector sees who said what
and how it was understood.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from assistant.events import Identity, MessageAnalyzed
from assistant.openings.notable import Notable
from assistant.openings.pacing import Relationship

__all__ = ["Line", "Observation", "RoomView"]


@dataclass(slots=True)
class Line:
    """One analysed channel line, as the detectors see it."""

    key: str
    platform: str
    network: str
    channel: str
    actor: Identity
    at: datetime
    text: str
    analysis: MessageAnalyzed
    notable: Notable | None
    by_owner: bool
    answered_by: set[str] = field(default_factory=set)
    """Keys (case-folded nicks / ids) of others who replied to it or addressed its author after."""

    @property
    def thread(self) -> str:
        """The conversation it belongs to."""
        return self.analysis.thread

    @property
    def nick(self) -> str:
        """Its author's nick."""
        return self.actor.nick


@dataclass(frozen=True, slots=True)
class Observation:
    """One analysed line and what it changed between the owner and notable members."""

    line: Line
    stages: tuple[tuple[Notable, Relationship, Relationship], ...] = ()
    """(person, before, after) for each exchange this line was part of."""


class RoomView(Protocol):
    """What a detector may read of the engine's memory of recent chat (``ctx.room``).

    Channels are named by network and channel name, as in the events; the remembered lines
    of a channel are its latest few hundred, oldest first.
    """

    @property
    def by_key(self) -> Mapping[str, Line]:
        """Every remembered line by its key (``Line.key``; a reply link names one)."""
        ...

    def recent(self, network: str, channel: str) -> Sequence[Line]:
        """The remembered lines of a channel, oldest first."""
        ...

    def count_since(self, network: str, channel: str, since: datetime) -> int:
        """How many lines the channel had since ``since``."""
        ...

    def last_line(self, network: str, channel: str) -> Line | None:
        """The channel's latest line."""
        ...

    def owner_present(self, network: str, channel: str) -> bool:
        """Whether the owner is in the channel (joined, or seen speaking there)."""
        ...

    def is_owner_nick(self, network: str, nick: str) -> bool:
        """Whether ``nick`` is the owner's current nick on ``network``."""
        ...

    def owner_in_conversation(self, line: Line, now: datetime, window: float) -> bool:
        """Whether the owner spoke in ``line``'s conversation within ``window`` seconds."""
        ...

    def learned_interests(self, minimum: int, channel: str = "") -> list[str]:
        """Topics the owner mentioned at least ``minimum`` times (none when ``minimum`` is 0)."""
        ...
