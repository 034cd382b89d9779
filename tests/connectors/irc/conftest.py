"""Shared fixtures for the IRC tests: daemons, simulated members, a connector, a whole Assistant.

Connector tests share one ngircd per module. Scenario tests run the real Assistant (recording
into a temp SQLite file, with a witness plugin that keeps every event) against one ngircd and
one InspIRCd with services shared by the session, since InspIRCd costs about a second per
registration; tests keep apart by unique nicks and channels.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from assistant import CommandContext, Plugin, command
from assistant.app import Assistant
from assistant.config import ChannelSettings, NetworkSettings, parse_settings
from assistant.connectors.irc import IrcConnector
from assistant.events import Connected, Event
from assistant.testing.daemon import DaemonServer
from assistant.testing.inspircd import InspircdServer, run_inspircd
from assistant.testing.irc_client import SimulatedMember
from assistant.testing.ircd import NgircdServer, run_ngircd
from assistant.testing.witness import Witness

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


# --- scenarios through the real Assistant, recording into SQLite ------------------------------

LIVE_WAIT = 10.0  # InspIRCd takes ~1 s per registration; waits include one or two of them


@pytest.fixture(scope="session")
def ngircd_tls() -> Iterator[NgircdServer]:
    """One ngircd (with a TLS listener) shared by every scenario test."""
    with run_ngircd(tls=True) as server:
        yield server


@pytest.fixture(scope="session")
def inspircd() -> Iterator[InspircdServer]:
    """One InspIRCd with atheme services (SASL, accounts) and TLS, shared by every scenario."""
    with run_inspircd(services=True, tls=True) as server:
        yield server


@pytest.fixture(params=["ngircd", "inspircd"])
def daemon(request: pytest.FixtureRequest) -> DaemonServer:
    """Each scenario runs against both daemons."""
    name = "ngircd_tls" if request.param == "ngircd" else "inspircd"
    server: DaemonServer = request.getfixturevalue(name)
    return server


class OwnerOnly(Plugin):
    """An owner-only command, to see who the assistant takes for its owner."""

    @command("secret", example="!secret", owner_only=True)
    async def secret(self, cmd: CommandContext) -> None:
        """Answer only the verified owner."""
        await cmd.reply(f"owner verified: {cmd.event.actor.account}")


@dataclass
class Live:
    """A started Assistant with its witness, and ways to look into what it recorded."""

    assistant: Assistant

    @property
    def witness(self) -> Witness:
        plugin = self.assistant.plugins.instance("witness")
        assert isinstance(plugin, Witness)
        return plugin

    def connector(self, network: str = "testnet") -> IrcConnector:
        found = next(c for c in self.assistant.connectors if c.network == network)
        assert isinstance(found, IrcConnector)
        return found

    async def rows(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in await self.assistant.db.fetchall(sql, params)]

    async def until_rows(self, sql: str, *params: object, expect: list[tuple[Any, ...]]) -> None:
        """Poll the database until ``sql`` returns ``expect`` (bounded; shows the last result)."""
        got: list[tuple[Any, ...]] = []
        # The database has no change notification to wait on, so it is polled.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(LIVE_WAIT):
                while True:
                    got = await self.rows(sql, *params)
                    if got == expect:
                        return
                    await asyncio.sleep(0.02)
        assert got == expect

    async def until(self, condition: Callable[[], bool]) -> None:
        """Poll connector state (which has no event of its own), bounded by LIVE_WAIT."""
        async with asyncio.timeout(LIVE_WAIT):
            while True:
                if condition():
                    return
                await asyncio.sleep(0.01)


def _network_table(server: DaemonServer, nick: str, channels: list[str], **extra: Any) -> Any:
    table: dict[str, Any] = {
        "host": server.host,
        "port": server.port,
        "tls": False,
        "nick": nick,
        "channels": [{"name": name} for name in channels],
    }
    return table | extra


@pytest.fixture
def net() -> Callable[..., dict[str, Any]]:
    """Build a ``[networks.NAME]`` table for a test daemon: ``net(server, nick, channels)``."""
    return _network_table


@pytest.fixture
async def presence(tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[Live]]]:
    """Start real Assistants (recording into a temp SQLite file); all are stopped afterwards."""
    started: list[Assistant] = []

    async def start(networks: dict[str, Any], owner_account: str | None = None) -> Live:
        from assistant_seen import SeenPlugin

        owner = {"identities": [{"platform": "irc", "account": owner_account}]}
        settings = parse_settings(
            {
                "storage": {
                    "path": str(tmp_path / f"presence{len(started)}.sqlite3"),
                    "flush_interval": 0.02,
                },
                "owner": owner if owner_account else {},
                "networks": networks,
            }
        )
        classes: dict[str, type[Plugin]] = {
            "seen": SeenPlugin,
            "witness": Witness,
            "owneronly": OwnerOnly,
        }
        assistant = Assistant(settings, plugin_classes=classes, reconnect_delay=0.05)
        started.append(assistant)
        await assistant.start()
        return Live(assistant)

    yield start
    for assistant in started:
        await assistant.stop()


@pytest.fixture
async def people() -> AsyncIterator[Callable[..., Awaitable[list[SimulatedMember]]]]:
    """Connect simulated members concurrently (InspIRCd takes ~1 s each); closed afterwards."""
    made: list[SimulatedMember] = []

    async def connect(server: DaemonServer, *nicks: str) -> list[SimulatedMember]:
        joined = await asyncio.gather(
            *(
                SimulatedMember.connect(server.host, server.port, nick, timeout=LIVE_WAIT)
                for nick in nicks
            )
        )
        made.extend(joined)
        return list(joined)

    yield connect
    for one in made:
        await one.close()
