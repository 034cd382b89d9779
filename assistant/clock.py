"""The time a run of Presence goes by: the real time live, a log's own time in a replay.

An :class:`~assistant.app.Assistant` is built with one :class:`Clock` and everything that
asks what time it is, or waits for a time, asks it: the session tracker, and the plugins
through ``PluginContext.clock`` (openings, summaries). Live and replayed runs differ only in
which clock that is. :class:`SystemClock` is the real time; a :class:`ReplayClock` stands
at the time of the latest event played and moves only when told to (the replay, before
each event; an analysed line, through :meth:`Clock.observe`), so a two-hour wait in a log
costs no real time and falls due at the log's time. Tests drive time with a ReplayClock too.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta
from typing import Protocol

from assistant.events import utcnow

__all__ = ["Clock", "ReplayClock", "SystemClock"]


class Clock(Protocol):
    """Now, and a wait for a time that something else can cut short."""

    live: bool
    """True when the clock's time is the present: it passes on its own (periodic checks then
    run) and what falls due can still be acted on ahead of time (pre-chat briefs go out).
    False in a replay, whose time is a log's past."""

    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        ...

    async def sleep_until(self, when: datetime | None, wake: asyncio.Event) -> None:
        """Return once ``when`` has come (``None``: never) or ``wake`` is set, whichever first."""
        ...

    def observe(self, at: datetime) -> None:
        """Something happened at ``at``: a replayed clock moves on to it, a live one ignores it."""
        ...


class SystemClock:
    """Wall-clock time; waits at most ``resync`` seconds so a clock jump is noticed."""

    live = True

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

    def observe(self, at: datetime) -> None:
        """Ignore: real time does not follow events."""


class ReplayClock:
    """A clock that stands still until moved; never goes backwards."""

    live = False

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ReplayClock needs an aware start time")
        self._now = start
        self._moved = asyncio.Event()

    def now(self) -> datetime:
        """The clock's current time."""
        return self._now

    def set(self, when: datetime) -> None:
        """Move the clock to ``when`` and wake whoever sleeps on it.

        Raises:
            ValueError: ``when`` is earlier than now.
        """
        if when < self._now:
            raise ValueError(f"ReplayClock cannot go back from {self._now} to {when}")
        self._now = when
        self._moved.set()
        self._moved = asyncio.Event()

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by ``delta``."""
        self.set(self._now + delta)

    def move_to(self, when: datetime) -> bool:
        """Move forward to ``when`` (an earlier time is ignored); True when the clock moved."""
        if when <= self._now:
            return False
        self.set(when)
        return True

    def observe(self, at: datetime) -> None:
        """An event at ``at``: move forward to it (an earlier time is ignored)."""
        self.move_to(at)

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
