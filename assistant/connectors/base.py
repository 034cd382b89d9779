"""The small protocol every connector implements, so the core (and a fake) can drive any of them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, runtime_checkable

from assistant.events import Event

__all__ = ["ChannelControl", "Connector", "Emit"]

Emit = Callable[[Event], Awaitable[None]]
"""What a connector calls with each event it translated; awaiting it applies back-pressure."""


@runtime_checkable
class Connector(Protocol):
    """One connection to one chat network.

    ``run`` connects, emits ``Connected``, streams events through ``emit`` and returns only
    after ``stop`` was called; it raises ``ConnectionError`` (after emitting ``Disconnected``)
    when the connection is lost, and the app calls ``run`` again after a back-off.
    A connector never calls plugins or storage.
    """

    platform: str
    network: str

    async def run(self, emit: Emit) -> None:
        """Connect and deliver events until stopped or disconnected."""
        ...

    async def send(self, target: str, text: str) -> None:
        """Send ``text`` to a channel or a user; never blocks the event loop."""
        ...

    async def stop(self, message: str = "") -> None:
        """Leave (with ``message`` where the platform shows one) and make ``run`` return."""
        ...


@runtime_checkable
class ChannelControl(Protocol):
    """A connector that can join and leave channels on request (for scheduled sessions).

    A request made while disconnected is remembered and applied after reconnecting, and a
    channel joined on request is joined again after a reconnect until it is left.
    """

    async def join(self, channel: str) -> None:
        """Join ``channel`` (one of the network's configured channels, or any other)."""
        ...

    async def part(self, channel: str, message: str = "") -> None:
        """Leave ``channel`` and stop rejoining it after reconnects."""
        ...
