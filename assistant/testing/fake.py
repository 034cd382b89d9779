"""An in-memory connector for tests of the core and of plugins, with no network at all.

It implements the same :class:`~assistant.connectors.base.Connector` protocol as the real
connectors: a test pushes events into it with :meth:`FakeConnector.inject` and reads what
Presence said from :attr:`FakeConnector.sent`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from assistant.connectors.base import Emit
from assistant.events import (
    Connected,
    Disconnected,
    Event,
    Identity,
    MemberJoined,
    MemberLeft,
    MessageReceived,
    utcnow,
)

__all__ = ["FakeConnector", "SentMessage"]


@dataclass(frozen=True)
class SentMessage:
    """One line Presence sent through the fake connector."""

    target: str
    text: str


class FakeConnector:
    """A scriptable connector: events go in through ``inject``, replies collect in ``sent``."""

    platform = "fake"

    def __init__(self, network: str = "fakenet", nick: str = "presence") -> None:
        self.network = network
        self.nick = nick
        self.sent: list[SentMessage] = []
        self.runs = 0
        self._emit: Emit | None = None
        self._ended = asyncio.Event()
        self._failed = False
        self._connected = asyncio.Event()
        self._sent_changed = asyncio.Condition()

    async def run(self, emit: Emit) -> None:
        """Emit ``Connected`` and wait until stopped or :meth:`fail` is called."""
        self.runs += 1
        self._emit = emit
        self._ended.clear()
        self._failed = False
        await emit(
            Connected(
                platform=self.platform, network=self.network, timestamp=utcnow(), nick=self.nick
            )
        )
        self._connected.set()
        try:
            await self._ended.wait()
        finally:
            self._connected.clear()
        if self._failed:
            await emit(
                Disconnected(
                    platform=self.platform, network=self.network, timestamp=utcnow(), reason="lost"
                )
            )
            raise ConnectionError("fake connection lost")

    async def send(self, target: str, text: str) -> None:
        """Record what Presence said."""
        async with self._sent_changed:
            self.sent.append(SentMessage(target, text))
            self._sent_changed.notify_all()

    async def stop(self, message: str = "") -> None:
        """Make :meth:`run` return after emitting ``Disconnected``."""
        if self._emit is not None and self._connected.is_set():
            await self._emit(
                Disconnected(
                    platform=self.platform, network=self.network, timestamp=utcnow(), reason=message
                )
            )
        self._ended.set()

    def fail(self) -> None:
        """Simulate a lost connection: :meth:`run` emits ``Disconnected`` and raises."""
        self._failed = True
        self._ended.set()

    async def wait_connected(self, timeout: float = 5.0) -> None:
        """Wait until :meth:`run` has emitted ``Connected``."""
        await asyncio.wait_for(self._connected.wait(), timeout)

    async def wait_sent(self, count: int = 1, timeout: float = 5.0) -> list[SentMessage]:
        """Wait until at least ``count`` lines were sent, and return all sent lines."""
        async with self._sent_changed:
            await asyncio.wait_for(
                self._sent_changed.wait_for(lambda: len(self.sent) >= count), timeout
            )
        return list(self.sent)

    async def inject(self, event: Event) -> None:
        """Deliver ``event`` to Presence as if it came from the network."""
        if self._emit is None:
            raise RuntimeError("FakeConnector.inject() before run(): start the Assistant first")
        await self._emit(event)

    def identity(self, nick: str, account: str | None = None) -> Identity:
        """Build an identity on this fake network."""
        return Identity(platform=self.platform, network=self.network, nick=nick, account=account)

    async def say(
        self, nick: str, text: str, channel: str | None = "#test", account: str | None = None
    ) -> None:
        """Inject a message from ``nick`` (``channel=None`` for a private message)."""
        await self.inject(
            MessageReceived(
                platform=self.platform,
                network=self.network,
                timestamp=utcnow(),
                channel=channel,
                actor=self.identity(nick, account),
                text=text,
            )
        )

    async def join(self, nick: str, channel: str = "#test") -> None:
        """Inject ``nick`` arriving in ``channel``."""
        await self.inject(
            MemberJoined(
                platform=self.platform,
                network=self.network,
                timestamp=utcnow(),
                channel=channel,
                actor=self.identity(nick),
            )
        )

    async def part(self, nick: str, channel: str = "#test", reason: str = "") -> None:
        """Inject ``nick`` leaving ``channel``."""
        await self.inject(
            MemberLeft(
                platform=self.platform,
                network=self.network,
                timestamp=utcnow(),
                channel=channel,
                actor=self.identity(nick),
                kind="part",
                reason=reason,
            )
        )
