"""Socket bytes to library events in small steps, so that a flood never stops the event loop.

The ``irc`` library parses everything one read brings inside ``data_received``: during a
flood that is up to 256 KiB, 2,000-3,000 lines and tens of milliseconds with the loop stopped.
Here :class:`IntakeProtocol` only stores the bytes, and the connector's consumer pulls events
from :class:`Intake` one at a time: a line is parsed only once the events of the line before
it are taken, and every ``slice_seconds`` the consumer yields to the loop, so timers, the
database writer and other connectors run every few milliseconds whatever arrives.

Reading pauses while more than ``high_water`` bytes wait and resumes below ``low_water``:
memory stays bounded and the kernel's socket buffers hold the rest, which the server sees as
a slow reader. Keep ``high_water`` modest: ngircd drops a client whose unsent output reaches
32 KB, and what we do not read is what it cannot send.

Order is the wire's: events come out in the order of their lines; items queued with
:meth:`Intake.put` (a stop, a dead link) come after every byte received before them, and the
loss of the connection comes after the last byte.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Iterator
from typing import Any

__all__ = ["Intake", "IntakeProtocol"]

log = logging.getLogger(__name__)

CHUNK = 4096
"""Bytes handed to the line splitter at once: about 30 lines of a flood."""

HIGH_WATER = 1 << 20
"""Stop reading from the socket while this many received bytes wait to be parsed."""

LOW_WATER = 1 << 18
"""Read again once the waiting bytes fall below this."""

SLICE_SECONDS = 0.001
"""The longest the consumer runs before it yields to the loop (one line may overshoot it)."""

_LOST = object()  # queued by connection_lost, after the bytes received before it


class Intake:
    """The bytes received on one connection and the library events parsed from them.

    Args:
        conn: the library connection whose ``buffer`` splits lines and whose
            ``_process_line`` turns one line into events (handed back through :meth:`deliver`).
    """

    def __init__(
        self,
        conn: Any,
        *,
        chunk: int = CHUNK,
        high_water: int = HIGH_WATER,
        low_water: int = LOW_WATER,
        slice_seconds: float = SLICE_SECONDS,
    ) -> None:
        self._conn = conn
        self._loop = asyncio.get_running_loop()
        self._chunk = chunk
        self._high_water = high_water
        self._low_water = low_water
        self._slice = slice_seconds
        self._slice_end = 0.0
        # Reads as (arrival time, bytes) and queued items as (time, item), in arrival order.
        self._stream: deque[tuple[float, object]] = deque()
        self._offset = 0  # bytes of the first read already handed to the line splitter
        self._buffered = 0  # bytes received and not yet handed to the line splitter
        self._lines: Iterator[str] | None = None  # the split of the last chunk, if unfinished
        self._events: deque[object] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._transport: asyncio.BaseTransport | None = None
        self.paused = False
        """True while reading is paused because too many bytes wait."""
        self.closed = False
        """True once the connection is lost (its last bytes may still be waiting)."""
        self.last_rx = time.monotonic()
        """When bytes last arrived (monotonic): the link is alive, however far behind we are."""
        self.received_at = self.last_rx
        """When the line being parsed arrived (monotonic), to time replies without our backlog."""
        self.line: str | None = None
        """The wire line the events being taken came from."""

    @property
    def buffered(self) -> int:
        """Bytes received and not yet handed to the parser."""
        return self._buffered

    # --- producers --------------------------------------------------------------------------

    def attach(self, transport: asyncio.BaseTransport) -> None:
        """Remember the transport, to pause and resume reading from it."""
        self._transport = transport

    def feed(self, data: bytes) -> None:
        """Store one read; pause reading when too much waits. Parses nothing."""
        now = time.monotonic()
        self.last_rx = now
        self._stream.append((now, data))
        self._buffered += len(data)
        if self._buffered > self._high_water and not self.paused:
            self._pause(True)
        self._wake()

    def lost(self) -> None:
        """The connection is gone: end with a disconnect once the bytes before it are parsed."""
        self.closed = True
        self._stream.append((time.monotonic(), _LOST))
        self._wake()

    def put(self, item: object) -> None:
        """Queue ``item`` for the consumer, after every byte received so far."""
        self._stream.append((time.monotonic(), item))
        self._wake()

    def deliver(self, event: object) -> None:
        """Take one event from the library's handler (it comes out before any later line)."""
        self._events.append(event)
        self._wake()

    # --- the consumer -----------------------------------------------------------------------

    async def get(self, deadline: float | None = None) -> object:
        """The next library event or queued item, yielding to the loop every slice.

        Raises:
            TimeoutError: nothing arrived before ``deadline`` (loop time), when one is given.
        """
        loop = self._loop
        while True:
            if loop.time() >= self._slice_end:
                # ``await`` on ready data never suspends: let reads, timers and tasks run.
                await asyncio.sleep(0)
                self._slice_end = loop.time() + self._slice
            if self._events:
                return self._events.popleft()
            if self._stream or self._lines is not None:
                self._advance()
                continue
            await self._wait(deadline)
            self._slice_end = loop.time() + self._slice

    def _advance(self) -> None:
        """Parse the next line into events, or move on to the next read or queued item."""
        if self._lines is not None:
            for line in self._lines:
                if line:
                    self.line = line
                    log.debug("FROM SERVER: %s", line)
                    self._conn._process_line(line)  # the handler delivers this line's events
                    return
            self._lines = None
        if not self._stream:
            return
        at, payload = self._stream[0]
        if isinstance(payload, bytes):
            start = self._offset
            chunk = payload[start : start + self._chunk]
            self._offset += len(chunk)
            if self._offset >= len(payload):
                self._stream.popleft()
                self._offset = 0
            self._buffered -= len(chunk)
            if self.paused and self._buffered < self._low_water:
                self._pause(False)
            self.received_at = at
            buffer = self._conn.buffer
            buffer.feed(chunk)
            self._lines = iter(buffer)
            return
        self._stream.popleft()
        if payload is _LOST:
            self._conn.disconnect()  # the library's own disconnect event follows
        else:
            self._events.append(payload)

    async def _wait(self, deadline: float | None) -> None:
        """Sleep until something arrives (or the deadline passes: TimeoutError)."""
        waiter = self._loop.create_future()
        self._waiter = waiter
        try:
            if deadline is None:
                await waiter
            else:
                async with asyncio.timeout_at(deadline):
                    await waiter
        finally:
            self._waiter = None

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _pause(self, pause: bool) -> None:
        transport = self._transport
        if not isinstance(transport, asyncio.ReadTransport) or transport.is_closing():
            return
        self.paused = pause
        if pause:
            transport.pause_reading()
        else:
            transport.resume_reading()


class IntakeProtocol(asyncio.Protocol):
    """Replaces the library's ``IrcProtocol``: hand every read to the connection's intake.

    The connection must have its ``intake`` set before ``connect()``.
    """

    def __init__(self, connection: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.connection = connection
        self.loop = loop

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.connection.intake.attach(transport)

    def data_received(self, data: bytes) -> None:
        self.connection.intake.feed(data)

    def connection_lost(self, exc: Exception | None) -> None:
        log.debug("connection lost: %s", exc)
        self.connection.intake.lost()
