"""The time openings are judged by: the wall clock live, a log's own clock in replay.

Detectors never read the wall clock themselves. Live, :class:`WallClock` gives the current
time and a periodic tick drives the waits (an unanswered question, a lull); in replay,
:class:`ReplayClock` only moves when an analysed message of the log says time has passed,
so a two-minute wait costs no real time and judges the log as it happened.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

__all__ = ["Clock", "ReplayClock", "WallClock"]


class Clock(Protocol):
    """Gives the openings engine its idea of now."""

    live: bool
    """True when time passes on its own (the engine then ticks periodically)."""

    def now(self) -> datetime:
        """The current time, aware UTC."""
        ...

    def observe(self, at: datetime) -> None:
        """Note that something happened at ``at`` (a replay clock moves forward to it)."""
        ...


class WallClock:
    """The real time."""

    live = True

    def now(self) -> datetime:
        """The current time, aware UTC."""
        return datetime.now(UTC)

    def observe(self, at: datetime) -> None:
        """Ignore: real time does not follow events."""


class ReplayClock:
    """The time of the latest analysed message of a replayed log; never goes backwards."""

    live = False

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime.fromtimestamp(0, UTC)

    def now(self) -> datetime:
        """The latest time observed."""
        return self._now

    def observe(self, at: datetime) -> None:
        """Move forward to ``at`` (earlier times are ignored)."""
        if at > self._now:
            self._now = at
