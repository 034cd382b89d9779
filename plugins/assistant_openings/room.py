"""The engine's memory of recent chat: the one :class:`~assistant.openings.RoomView` detectors read.

Lines, the owner's whereabouts (nick per network, channels, conversations) and the topics
the owner mentions; only the engine changes it.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from datetime import datetime, timedelta

from assistant import Line
from assistant.openings import irc_casefold

__all__ = ["Room", "channel_key"]

_KEEP = 500  # lines remembered per channel
# A learned interest is a word or phrase (no symbols, not a nick-like fragment) that says
# something: "line" or "problem" said three times is no interest of the owner's.
_LEARNABLE = re.compile(r"[a-z][a-z0-9.+-]{2,}(?: [a-z0-9][a-z0-9.+-]*){0,3}")
_TOO_GENERIC = frozenset(
    (
        "line",
        "thing",
        "way",
        "problem",
        "command",
        "file",
        "time",
        "question",
        "help",
        "system",
        "computer",
        "people",
        "something",
        "anything",
        "everything",
        "nothing",
        "idea",
        "lot",
        "stuff",
        "one",
        "work",
        "issue",
        "error",
        "output",
    )
)


def channel_key(network: str, channel: str) -> tuple[str, str]:
    """How a channel is keyed here."""
    return network, irc_casefold(channel)


class Room:
    """The engine's memory of recent chat: the one :class:`RoomView` detectors read."""

    def __init__(self) -> None:
        self.lines: dict[tuple[str, str], deque[Line]] = {}
        self.by_key: dict[str, Line] = {}
        self.owner_nicks: dict[str, str] = {}
        """Network → the nick the verified owner was last seen using."""
        self.owner_here: set[tuple[str, str]] = set()
        self.owner_in_thread: dict[tuple[str, str, str], datetime] = {}
        self.owner_topics: Counter[str] = Counter()

    def add(self, line: Line) -> None:
        """Remember a line, forgetting the oldest of its channel past the limit."""
        lines = self.lines.setdefault(channel_key(line.network, line.channel), deque())
        if len(lines) >= _KEEP:
            old = lines.popleft()
            self.by_key.pop(old.key, None)
        lines.append(line)
        self.by_key[line.key] = line

    def recent(self, network: str, channel: str) -> deque[Line]:
        """The remembered lines of a channel, oldest first."""
        return self.lines.get(channel_key(network, channel), deque())

    def count_since(self, network: str, channel: str, since: datetime) -> int:
        """How many lines the channel had since ``since``."""
        return sum(1 for line in self.recent(network, channel) if line.at >= since)

    def last_line(self, network: str, channel: str) -> Line | None:
        """The channel's latest line."""
        lines = self.recent(network, channel)
        return lines[-1] if lines else None

    def owner_present(self, network: str, channel: str) -> bool:
        """Whether the owner is in the channel (joined, or seen speaking there)."""
        return channel_key(network, channel) in self.owner_here

    def is_owner_nick(self, network: str, nick: str) -> bool:
        """Whether ``nick`` is the owner's current nick on ``network``."""
        current = self.owner_nicks.get(network)
        return current is not None and irc_casefold(current) == irc_casefold(nick)

    def owner_in_conversation(self, line: Line, now: datetime, window: float) -> bool:
        """Whether the owner spoke in ``line``'s conversation within ``window`` seconds."""
        if not line.thread:
            return False
        last = self.owner_in_thread.get((line.network, irc_casefold(line.channel), line.thread))
        return last is not None and now - last <= timedelta(seconds=window)

    def learned_interests(self, minimum: int, channel: str = "") -> list[str]:
        """Topics the owner mentioned at least ``minimum`` times (none when ``minimum`` is 0).

        The channel's own subject ("ubuntu" in #ubuntu) is everyone's topic there, not an
        interest that sets the owner apart, so it is left out.
        """
        if minimum <= 0:
            return []
        subject = channel.lstrip("#&").casefold()
        return [
            topic
            for topic, count in self.owner_topics.most_common()
            if count >= minimum
            and _LEARNABLE.fullmatch(topic)
            and topic not in _TOO_GENERIC
            and not (subject and subject in topic)
        ]
