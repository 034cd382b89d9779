"""The time source of the session tracker, so tests (and a replay) drive time without waiting.

The tracker asks a clock what time it is and sleeps on it until the next thing is due; the
system clock sleeps for real, a :class:`ManualClock` only moves when told to.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta
from typing import Protocol

from assistant.events import utcnow

__all__ = ["Clock", "ManualClock", "SystemClock"]


class Clock(Protocol):
    """What the tracker needs of time: now, and a wait that something else can cut short."""

    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        ...

    async def sleep_until(self, when: datetime | None, wake: asyncio.Event) -> None:
        """Return once ``when`` has come (``None``: never) or ``wake`` is set, whichever first."""
        ...


class SystemClock:
    """Wall-clock time; waits at most ``resync`` seconds so a clock jump is noticed."""

    def __init__(self, resync: float = 60.0) -> None:
        self.resync = resync

    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        return utcnow()

    async def sleep_until(self, when: datetime | None, wake: asyncio.Event) -> None:
        """Sleep until ``when`` or ``wake``; never longer than ``resync`` at a stretch."""
        delay = self.resync
        if when is not None:
            delay = min(delay, max(0.0, (when - self.now()).total_seconds()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), timeout=delay)


class ManualClock:
    """A clock that stands still until :meth:`advance` or :meth:`set` moves it."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware start time")
        self._now = start
        self._moved = asyncio.Event()

    def now(self) -> datetime:
        """The clock's current time."""
        return self._now

    def set(self, when: datetime) -> None:
        """Move the clock to ``when`` (never backwards) and wake whoever sleeps on it."""
        if when < self._now:
            raise ValueError(f"ManualClock cannot go back from {self._now} to {when}")
        self._now = when
        self._moved.set()
        self._moved = asyncio.Event()

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by ``delta``."""
        self.set(self._now + delta)

    async def sleep_until(self, when: datetime | None, wake: asyncio.Event) -> None:
        """Wait until the clock is moved to ``when`` or later, or ``wake`` is set."""
        while (when is None or self._now < when) and not wake.is_set():
            moved = asyncio.ensure_future(self._moved.wait())
            woken = asyncio.ensure_future(wake.wait())
            try:
                await asyncio.wait((moved, woken), return_when=asyncio.FIRST_COMPLETED)
            finally:
                moved.cancel()
                woken.cancel()
                await asyncio.gather(moved, woken, return_exceptions=True)
