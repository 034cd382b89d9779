"""Outgoing line pacing that waits with ``asyncio.sleep``, never blocking the event loop.

The library's own ``set_rate_limit`` sleeps with ``time.sleep`` inside ``send_raw`` and froze
the loop for most of a second in the measurements (notes §3.4.5), so pacing lives here: a token
bucket, and a bounded queue that keeps lines while the connection is down.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable

__all__ = ["Outbox", "TokenBucket"]

log = logging.getLogger(__name__)


class TokenBucket:
    """Allow ``burst`` lines at once, then ``rate`` per second, so servers never flood-kick us."""

    def __init__(
        self, burst: int, rate: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if burst < 1 or rate <= 0:
            raise ValueError("burst must be >= 1 and rate > 0")
        self.burst = burst
        self.rate = rate
        self._clock = clock
        self._tokens = float(burst)
        self._stamp = clock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def delay(self) -> float:
        """Seconds until one token is available (0 when one is available now)."""
        self._refill()
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate

    def try_take(self) -> bool:
        """Take a token if one is available now."""
        self._refill()
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False

    async def take(self) -> None:
        """Wait (asynchronously) until a token is available, then take it."""
        while True:
            if self.try_take():
                return
            await asyncio.sleep(self.delay())


class Outbox:
    """A bounded FIFO of raw lines waiting to be sent; beyond the bound the oldest is dropped."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be >= 1")
        self.limit = limit
        self.dropped = 0
        self._lines: deque[str] = deque()
        self._ready = asyncio.Event()

    def __len__(self) -> int:
        return len(self._lines)

    def put(self, line: str) -> None:
        """Queue ``line``, dropping (and logging) the oldest line when full."""
        if len(self._lines) >= self.limit:
            oldest = self._lines.popleft()
            self.dropped += 1
            # Log the command and target only: message text may be private.
            log.warning(
                "outgoing queue full (%d lines): dropped oldest line %r",
                self.limit,
                " ".join(oldest.split(" ", 2)[:2]),
            )
        self._lines.append(line)
        self._ready.set()

    def peek(self) -> str:
        """The next line to send (the queue must not be empty)."""
        return self._lines[0]

    def pop(self) -> str:
        """Remove and return the next line to send."""
        line = self._lines.popleft()
        if not self._lines:
            self._ready.clear()
        return line

    async def wait(self) -> None:
        """Wait until at least one line is queued."""
        while not self._lines:
            self._ready.clear()
            await self._ready.wait()
