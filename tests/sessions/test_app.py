"""The Assistant feeds live events to its session tracker and publishes sessions to plugins."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from assistant import Plugin, PluginContext, hookimpl
from assistant.app import Assistant
from assistant.clock import ReplayClock
from assistant.config import parse_settings
from assistant.events import Event, MessageReceived, SessionEnded, SessionStarted
from assistant.testing.fake import FakeConnector

WAIT = 5.0


class Witness(Plugin):
    """Keeps the session events plugins are given."""

    def __init__(self, ctx: PluginContext) -> None:
        super().__init__(ctx)
        self.sessions: list[Event] = []
        self.changed = asyncio.Event()

    @hookimpl
    async def assistant_event(self, event: Event) -> None:
        if isinstance(event, SessionStarted | SessionEnded):
            self.sessions.append(event)
            self.changed.set()

    async def until(self, count: int) -> list[Event]:
        async with asyncio.timeout(WAIT):
            while len(self.sessions) < count:
                self.changed.clear()
                await self.changed.wait()
        return self.sessions


async def test_plugins_hear_of_an_ad_hoc_session_from_live_talk(tmp_path: Path) -> None:
    start = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    clock = ReplayClock(start)
    settings = parse_settings(
        {
            "storage": {"path": str(tmp_path / "p.sqlite3"), "flush_interval": 0.02},
            "analysis": {"enabled": False},
            "sessions": {"burst_lines": 4, "burst_speakers": 2, "quiet_minutes": 5},
        }
    )
    fake = FakeConnector()
    assistant = Assistant(
        settings, connectors=[fake], plugin_classes={"witness": Witness}, clock=clock
    )
    await assistant.start()
    try:
        await fake.wait_connected()
        witness = assistant.plugins.instance("witness")
        assert isinstance(witness, Witness)
        for i in range(4):
            said = start + timedelta(seconds=i)
            await fake.inject(
                MessageReceived(
                    platform="fake",
                    network="fakenet",
                    timestamp=said,
                    channel="#lounge",
                    actor=fake.identity(("ann", "ben")[i % 2]),
                    text="what a day",
                )
            )
        [began] = await witness.until(1)
        assert isinstance(began, SessionStarted)
        assert (began.channel, began.timestamp) == ("#lounge", start)
        clock.advance(timedelta(minutes=6))  # the tracker wakes on its own clock
        _, ended = await witness.until(2)
        assert isinstance(ended, SessionEnded)
        assert (ended.session_id, ended.timestamp) == (
            began.session_id,
            start + timedelta(seconds=3),
        )
    finally:
        await assistant.stop()
