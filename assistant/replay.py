"""The one replay driver: the real Assistant, built with a replay clock, playing recorded events.

``presence replay`` (:mod:`assistant.connectors.replay.runner`) and ``presence openings
--replay`` (the ``openings`` plugin) both play a log through a :class:`Replay`. A
replay differs from a live run only in what the Assistant is built with: a
:class:`~assistant.clock.ReplayClock` instead of the system clock, and a
:class:`~assistant.connectors.replay.ReplayConnector` instead of the configured networks'
connectors. The clock is the session tracker's and every plugin's (``PluginContext.clock``),
so nothing reaches into a plugin to change its time. Between chunks of messages the
analysis catches up (:meth:`Replay.settle`), so nothing is dropped for being behind. What
the plugins found comes back through the ``assistant_replay_finished`` hook
(:meth:`Replay.findings`), so the driver reaches into no plugin.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from assistant.app import Assistant
from assistant.clock import ReplayClock
from assistant.config import Settings
from assistant.connectors.replay.connector import ReplayConnector
from assistant.events import Event
from assistant.plugins import Plugin

__all__ = ["Replay"]

DRAIN_LIMIT = 300.0
"""Seconds the analysis may take to catch up before the replay goes on."""


class Replay:
    """One replay of ``events``: start it (``async with``), :meth:`play` it, read the results.

    ``start`` is where the clock stands before the first event. ``before`` is awaited before
    each event and ``after`` called once it is recorded (see
    :class:`~assistant.connectors.replay.ReplayConnector`); with ``flush``, the recorded
    rows are written out whenever the analysis catches up.
    """

    def __init__(
        self,
        settings: Settings,
        events: Sequence[Event],
        *,
        start: datetime,
        network: str = "replay",
        platform: str = "irc",
        plugin_classes: Mapping[str, type[Plugin]] | None = None,
        before: Callable[[Event], Awaitable[None]] | None = None,
        after: Callable[[Event], None] | None = None,
        flush: bool = False,
    ) -> None:
        self.clock = ReplayClock(start)
        self.connector = ReplayConnector(
            events, network=network, pace=self._pace, before=before, after=after
        )
        self.connector.platform = platform
        self.assistant = Assistant(
            settings,
            connectors=[self.connector],
            plugin_classes=plugin_classes,
            clock=self.clock,
        )
        self._flush = flush
        self.play_seconds = 0.0
        """Wall-clock time from the first event played to the last."""

    async def __aenter__(self) -> Self:
        await self.assistant.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.assistant.stop()  # what plugins are still writing is finished first

    async def settle(self) -> None:
        """Let the analysis catch up with everything played so far."""
        analyzer = self.assistant.analyzer
        if analyzer is not None:
            await analyzer.drain(DRAIN_LIMIT)

    async def _pace(self) -> None:
        await self.settle()
        if self._flush:
            await self.assistant.db.flush()

    async def play(self) -> None:
        """Play every event, then let the analysis and the plugins catch up with them."""
        started = time.monotonic()
        self.connector.go.set()
        await self.connector.done.wait()
        self.play_seconds = time.monotonic() - started
        await self.settle()
        await self.assistant.plugins.delivered()

    async def findings(self) -> dict[str, list[dict[str, Any]]]:
        """What the plugins found in the log, by kind (``assistant_replay_finished``).

        Ask once, after :meth:`play` and after the clock ran on as far as it will.
        """
        found: dict[str, list[dict[str, Any]]] = {}
        for result in await self.assistant.plugins.call("assistant_replay_finished"):
            if result.ok and isinstance(result.value, dict):
                for kind, items in result.value.items():
                    found.setdefault(str(kind), []).extend(items)
        return found
