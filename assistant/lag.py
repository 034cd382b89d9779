"""Event-loop lag: how late a task that asks to wake every ``interval`` actually wakes.

Everything Presence does shares one event loop, so any synchronous stretch (a slow handler, a
big parse, a blocking call) delays every connector's reads and keepalives. A ticker that
sleeps a short interval and records how much later than asked it woke measures exactly that
delay. The flood benchmark reports its percentiles; the app can warn when it grows.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Callable
from types import TracebackType
from typing import Self

__all__ = ["LoopLagMonitor"]


class LoopLagMonitor:
    """Sample the running loop's lag every ``interval`` seconds, keeping at most ``limit`` samples.

    Use ``async with LoopLagMonitor() as lag:`` (or :meth:`start` / :meth:`stop`), then read
    :attr:`samples` (seconds late per wake-up), :meth:`percentile` and :attr:`max`. Past
    ``limit`` samples the oldest are dropped, so a long-running monitor stays small.
    Percentiles are corrected for the samples a blocked loop could not take.
    """

    def __init__(
        self,
        interval: float = 0.01,
        *,
        limit: int = 100_000,
        threshold: float | None = None,
        on_lag: Callable[[float], None] | None = None,
    ) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        self.interval = interval
        self.limit = limit
        self.threshold = threshold
        """Lag (seconds) past which ``on_lag`` is called with it, as it happens."""
        self.on_lag = on_lag
        self.samples: list[float] = []
        """Seconds each wake-up came later than asked, oldest first."""
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start sampling on the running loop (idempotent)."""
        if not self.running:
            self._task = asyncio.create_task(self._tick(), name="loop-lag-monitor")

    async def stop(self) -> None:
        """Stop sampling; the samples taken so far stay readable."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def reset(self) -> None:
        """Forget the samples taken so far (e.g. after a warm-up)."""
        self.samples.clear()

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        interval = self.interval
        samples = self.samples
        while True:
            asked = loop.time() + interval
            await asyncio.sleep(interval)
            lag = max(0.0, loop.time() - asked)
            samples.append(lag)
            if self.on_lag is not None and self.threshold is not None and lag > self.threshold:
                self.on_lag(lag)
            if len(samples) > self.limit:
                del samples[: len(samples) - self.limit]

    @property
    def max(self) -> float:
        """The worst lag seen, in seconds (0.0 before any sample)."""
        return max(self.samples, default=0.0)

    def percentile(self, p: float, *, corrected: bool = True) -> float:
        """The ``p``-th percentile (0-100, nearest rank) of the lag, in seconds; 0.0 if none.

        A blocked loop cannot take the samples it misses, so raw samples understate how late
        a timer due at a random moment would be. ``corrected`` adds, for each sample later
        than ``interval``, the wake-ups that were due meanwhile (HdrHistogram's
        expected-interval correction); ``corrected=False`` uses the raw samples.
        """
        if not 0 <= p <= 100:
            raise ValueError("p must be between 0 and 100")
        values = self._corrected() if corrected else self.samples
        if not values:
            return 0.0
        ordered = sorted(values)
        rank = max(1, math.ceil(p / 100 * len(ordered)))
        return ordered[rank - 1]

    def _corrected(self) -> list[float]:
        interval = self.interval
        values: list[float] = []
        for sample in self.samples:
            values.append(sample)
            # Multiply rather than subtract repeatedly: no float drift adds a stray wake-up.
            values.extend(sample - k * interval for k in range(1, math.ceil(sample / interval)))
        return values

    async def __aenter__(self) -> Self:
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
