"""The replay connector: emits a log's events in order, then waits to be stopped.

It implements the same :class:`~assistant.connectors.base.Connector` protocol as the live
connectors, so a replay goes through the real recorder, analyzer and plugins. Between
chunks of messages it awaits ``pace`` (the replay runner lets the analysis catch up there),
so nothing is dropped for being too far behind and no wall-clock waiting is involved.
``before`` is awaited before each event (``presence replay`` moves its clock, lets what is
due happen and paces there) and ``after`` is called right after the event was recorded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable

from assistant.connectors.base import Emit
from assistant.events import Connected, Event, MessageReceived

__all__ = ["ReplayConnector"]

CHUNK = 200


class ReplayConnector:
    """Plays ``events`` through the assistant; what Presence sends is kept in ``sent``."""

    platform = "irc"

    def __init__(
        self,
        events: Iterable[Event],
        network: str = "replay",
        *,
        pace: Callable[[], Awaitable[None]] | None = None,
        chunk: int = CHUNK,
        before: Callable[[Event], Awaitable[None]] | None = None,
        after: Callable[[Event], None] | None = None,
    ) -> None:
        self.network = network
        self.events = events
        self.pace = pace
        self.chunk = chunk
        self.before = before
        self.after = after
        self.sent: list[tuple[str, str]] = []
        self.played = 0
        self.done = asyncio.Event()
        """Set once every event was emitted."""
        self.go = asyncio.Event()
        """Playing starts once this is set (the runner sets it when everything is ready)."""
        self._stopped = asyncio.Event()
        self._ran = False

    async def run(self, emit: Emit) -> None:
        """Emit every event once (a second run after a failure emits nothing new)."""
        await self.go.wait()
        if not self._ran:
            self._ran = True
            first = True
            messages = 0
            for event in self.events:
                if self.before is not None:
                    await self.before(event)
                if first:
                    await emit(
                        Connected(
                            platform=self.platform,
                            network=self.network,
                            timestamp=event.timestamp,
                            nick="presence",
                        )
                    )
                    first = False
                await emit(event)
                if self.after is not None:
                    self.after(event)
                self.played += 1
                if isinstance(event, MessageReceived):
                    messages += 1
                    if self.pace is not None and messages % self.chunk == 0:
                        await self.pace()
                await asyncio.sleep(0)
            self.done.set()
        await self._stopped.wait()

    async def send(self, target: str, text: str) -> None:
        """Keep what Presence would have said."""
        self.sent.append((target, text))

    async def stop(self, message: str = "") -> None:
        """Make :meth:`run` return."""
        del message
        self._stopped.set()
