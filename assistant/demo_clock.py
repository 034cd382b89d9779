"""The demo's session clock: wall-clock time that the demo may fast-forward, never rewind.

The demo schedules its chat for "now" and cannot wait out even a short schedule once the
script has been played, so it moves this clock to the scheduled end. The session tracker
then ends the session exactly as it would on the day: by the schedule, through its own loop.
Until the jump (and at the same pace after it) this is the system clock.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from assistant.events import utcnow

__all__ = ["DemoClock"]


class DemoClock:
    """System time plus an offset that :meth:`fast_forward` grows; a live ``Clock``."""

    live = True

    def __init__(self, resync: float = 60.0) -> None:
        self.resync = resync
        self._offset = timedelta(0)
        self._moved = asyncio.Event()

    def now(self) -> datetime:
        """The current time, aware, in UTC (ahead of the system's after a fast-forward)."""
        return utcnow() + self._offset

    def fast_forward(self, to: datetime) -> None:
        """Jump to ``to`` if it is ahead, and wake whoever sleeps on the clock."""
        ahead = to - self.now()
        if ahead > timedelta(0):
            self._offset += ahead
        self._moved.set()
        self._moved = asyncio.Event()

    def observe(self, at: datetime) -> None:
        """Ignore: the demo's time passes on its own."""

    async def sleep_until(self, when: datetime | None, wake: asyncio.Event) -> None:
        """Return once ``when`` has come, ``wake`` is set or the clock jumped, whichever first."""
        delay = self.resync
        if when is not None:
            delay = min(delay, max(0.0, (when - self.now()).total_seconds()))
        moved = asyncio.ensure_future(self._moved.wait())
        woken = asyncio.ensure_future(wake.wait())
        try:
            await asyncio.wait((moved, woken), timeout=delay, return_when=asyncio.FIRST_COMPLETED)
        finally:
            moved.cancel()
            woken.cancel()
            await asyncio.gather(moved, woken, return_exceptions=True)
