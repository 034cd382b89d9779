"""Shared fixtures for the IRC connector tests: one ngircd per module, members, a running bot."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from assistant.config import ChannelSettings, NetworkSettings
from assistant.connectors.irc import IrcConnector
from assistant.events import Connected, Event
from assistant.testing.irc_client import SimulatedMember
from assistant.testing.ircd import NgircdServer, run_ngircd

WAIT = 5.0
_ids = itertools.count(1)


class Recorder:
    """An ``emit`` that keeps every event and lets a test wait for one."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._changed = asyncio.Condition()
        self._cursor = 0

    async def __call__(self, event: Event) -> None:
        async with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[Event], bool]) -> Event:
        """The next event (after the previous match) that ``predicate`` accepts, within WAIT."""
        async with asyncio.timeout(WAIT), self._changed:
            while True:
                for index in range(self._cursor, len(self.events)):
                    if predicate(self.events[index]):
                        self._cursor = index + 1
                        return self.events[index]
                await self._changed.wait()

    async def seen(self, predicate: Callable[[Event], bool]) -> Event:
        """Any recorded event (in any order, cursor untouched) that ``predicate`` accepts."""
        async with asyncio.timeout(WAIT), self._changed:
            while True:
                for event in self.events:
                    if predicate(event):
                        return event
                await self._changed.wait()

    def of(self, kind: type[Any]) -> list[Any]:
        """Every recorded event of one type."""
        return [event for event in self.events if isinstance(event, kind)]


@dataclass
class Bot:
    """A connector running in a task, with what it emitted."""

    connector: IrcConnector
    recorder: Recorder
    task: asyncio.Task[None]
    settings: NetworkSettings = field(repr=False)


@pytest.fixture(scope="module")
def ircd() -> Iterator[NgircdServer]:
    """One real ngircd for the module; tests keep apart by unique nicks and channels."""
    with run_ngircd() as server:
        yield server


@pytest.fixture
def recorder() -> Recorder:
    """A fresh recording ``emit``."""
    return Recorder()


@pytest.fixture
def uid() -> str:
    """A suffix making this test's nicks and channels unique on the shared server."""
    return str(next(_ids))


@pytest.fixture
async def member(
    ircd: NgircdServer,
) -> AsyncIterator[Callable[..., Awaitable[SimulatedMember]]]:
    """Connect simulated members to the module's server; all are closed afterwards."""
    made: list[SimulatedMember] = []

    async def connect(nick: str, server: NgircdServer | None = None) -> SimulatedMember:
        where = server or ircd
        one = await SimulatedMember.connect(where.host, where.port, nick)
        made.append(one)
        return one

    yield connect
    for one in made:
        await one.close()


def network_settings(
    server: NgircdServer, nick: str, channels: list[str], **extra: Any
) -> NetworkSettings:
    """Settings pointing a connector at a test server (plain TCP)."""
    return NetworkSettings(
        host=server.host,
        port=server.port,
        tls=False,
        nick=nick,
        channels=[ChannelSettings(name=name) for name in channels],
        **extra,
    )


@pytest.fixture
async def start_bot(
    ircd: NgircdServer,
) -> AsyncIterator[Callable[..., Awaitable[Bot]]]:
    """Start connectors (waiting for ``Connected``); each is stopped at teardown."""
    bots: list[Bot] = []

    async def start(
        nick: str,
        channels: list[str],
        *,
        server: NgircdServer | None = None,
        settings: dict[str, Any] | None = None,
        **options: Any,
    ) -> Bot:
        config = network_settings(server or ircd, nick, channels, **(settings or {}))
        options.setdefault("burst", 100)
        options.setdefault("rate", 1000.0)
        options.setdefault("connect_timeout", WAIT)
        connector = IrcConnector("testnet", config, **options)
        recorder = Recorder()
        task = asyncio.create_task(connector.run(recorder))
        bot = Bot(connector, recorder, task, config)
        bots.append(bot)
        await recorder.wait_for(lambda e: isinstance(e, Connected))
        return bot

    yield start
    for bot in bots:
        await bot.connector.stop()
        if not bot.task.done():
            bot.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await bot.task
