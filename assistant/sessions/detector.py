"""Ad-hoc sessions: a burst of talk in an always-on channel starts one, quiet ends it.

A session starts when at least ``lines`` lines from at least ``speakers`` different people
fall within ``window``; it starts at the first of those lines. It ends when nobody has said
anything for ``quiet``, and it ends at its last line (not when the quiet was noticed). Pure
and clock-free: the caller feeds lines with their times and asks what is over at a time.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

__all__ = ["Burst", "BurstDetector", "BurstRule"]


@dataclass(frozen=True)
class BurstRule:
    """What counts as a burst, and how much quiet ends a session."""

    lines: int = 8
    speakers: int = 3
    window: timedelta = timedelta(minutes=10)
    quiet: timedelta = timedelta(minutes=20)


@dataclass
class Burst:
    """An ad-hoc session under way in one channel."""

    started_at: datetime
    last_line_at: datetime


@dataclass
class _Channel:
    recent: deque[tuple[datetime, str]] = field(default_factory=deque)
    # Lines per speaker among ``recent``, kept in step so a flood costs O(1) per line.
    speakers: Counter[str] = field(default_factory=Counter)
    burst: Burst | None = None

    def clear(self) -> None:
        self.recent.clear()
        self.speakers.clear()


class BurstDetector:
    """Tracks recent lines per channel and says when an ad-hoc session starts or goes quiet."""

    def __init__(self, rule: BurstRule) -> None:
        self.rule = rule
        self._channels: dict[tuple[str, str], _Channel] = {}

    def line(self, where: tuple[str, str], speaker: str, at: datetime) -> Burst | None:
        """Note a line; return the new session when this line completes a burst."""
        channel = self._channels.setdefault(where, _Channel())
        if channel.burst is not None:
            channel.burst.last_line_at = max(channel.burst.last_line_at, at)
            return None
        recent, speakers = channel.recent, channel.speakers
        recent.append((at, speaker))
        speakers[speaker] += 1
        while recent and at - recent[0][0] > self.rule.window:
            _, gone = recent.popleft()
            speakers[gone] -= 1
            if not speakers[gone]:
                del speakers[gone]
        if len(recent) < self.rule.lines or len(speakers) < self.rule.speakers:
            return None
        channel.burst = Burst(started_at=recent[0][0], last_line_at=at)
        channel.clear()
        return channel.burst

    def active(self, where: tuple[str, str]) -> Burst | None:
        """The session under way in ``where``, if any."""
        channel = self._channels.get(where)
        return None if channel is None else channel.burst

    def quiet_at(self) -> datetime | None:
        """When the earliest running session goes quiet, if no one speaks before then."""
        times = [
            channel.burst.last_line_at + self.rule.quiet
            for channel in self._channels.values()
            if channel.burst is not None
        ]
        return min(times, default=None)

    def ended(self, now: datetime) -> list[tuple[tuple[str, str], Burst]]:
        """Close and return every session that has been quiet for ``quiet`` by ``now``."""
        over = []
        for where, channel in self._channels.items():
            burst = channel.burst
            if burst is not None and now - burst.last_line_at >= self.rule.quiet:
                over.append((where, burst))
                channel.burst = None
        return over

    def resume(self, where: tuple[str, str], burst: Burst) -> None:
        """Carry on ``burst`` in ``where``: a session a previous run left under way."""
        channel = self._channels.setdefault(where, _Channel())
        channel.clear()
        channel.burst = burst

    def stop(self, where: tuple[str, str]) -> Burst | None:
        """End the session in ``where`` now (a scheduled one takes over); return it."""
        channel = self._channels.get(where)
        if channel is None:
            return None
        burst, channel.burst = channel.burst, None
        channel.clear()
        return burst

    def reset(self, where: tuple[str, str]) -> None:
        """Forget recent lines in ``where`` (a scheduled session just ended there)."""
        channel = self._channels.get(where)
        if channel is not None:
            channel.clear()
