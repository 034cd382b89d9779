"""A session tracker on a real database (SQLite and PostgreSQL), fed recorded events, on a clock
the test moves."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from assistant.clock import ReplayClock
from assistant.config import Settings
from assistant.events import Event, SessionEnded, SessionStarted
from assistant.recorder import Recorder
from assistant.sessions.tracker import SessionTracker
from assistant.storage.database import Database
from assistant.testing.factories import ChatScript

NET = "libera"


@dataclass
class Harness:
    """The tracker under test, what it published, and what it asked the connector to do."""

    db: Database
    tracker: SessionTracker
    clock: ReplayClock
    chat: ChatScript
    published: list[Event] = field(default_factory=list)
    actions: list[tuple[str, str, datetime]] = field(default_factory=list)

    async def at(self, when: datetime) -> None:
        """Move the clock to ``when`` and let the tracker do what is due."""
        self.clock.set(when)
        await self.tracker.run_due()

    @property
    def started(self) -> list[SessionStarted]:
        return [e for e in self.published if isinstance(e, SessionStarted)]

    @property
    def ended(self) -> list[SessionEnded]:
        return [e for e in self.published if isinstance(e, SessionEnded)]

    async def rows(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in await self.db.fetchall(sql, params)]


Track = Callable[..., Awaitable[Harness]]


@pytest.fixture
async def track(open_database: Callable[..., Awaitable[Database]]) -> AsyncIterator[Track]:
    """Start a tracker: ``await track(settings, start=datetime)``; stopped afterwards.

    Runs once per storage backend; a restart (a second ``track``) finds the same database.
    """
    made: list[Harness] = []
    async with await open_database(flush_interval=0.01) as db:

        async def start(settings: Settings, start: datetime) -> Harness:
            clock = ReplayClock(start)
            recorder = Recorder(db)
            harness: Harness

            def feed(event: Event) -> None:
                if event.timestamp > clock.now():
                    clock.set(event.timestamp)
                recorder.record(event)
                harness.tracker.observe(event)

            async def join(network: str, channel: str) -> None:
                harness.actions.append(("join", channel, clock.now()))

            async def part(network: str, channel: str) -> None:
                harness.actions.append(("part", channel, clock.now()))

            published: list[Event] = []
            tracker = SessionTracker(
                settings, db, published.append, clock=clock, join=join, part=part
            )
            chat = ChatScript(NET, start=start, sink=feed)
            harness = Harness(db, tracker, clock, chat, published)
            await tracker.start()
            made.append(harness)
            return harness

        yield start
        for harness in made:
            await harness.tracker.stop()
