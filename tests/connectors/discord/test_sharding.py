"""A bot in many servers, sharded: the real Assistant runs discord.py's AutoShardedClient.

The emulator routes each guild to shard ``(guild_id >> 22) % shard_count`` as Discord does;
the guilds here are placed on purpose, one attended server per shard (and a few servers the
bot is in but Presence does not attend). Each network is one ``[networks.NAME]`` table
attending one server with ``shard_count`` set, as a user with a big bot would write it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from assistant.app import Assistant
from assistant.config import ConfigError, parse_settings
from assistant.connectors.discord import DiscordConnector
from assistant.connectors.discord.client import RoutedShardedClient
from assistant.events import Connected, MessageReceived
from assistant.testing.discord import DiscordEmulator
from assistant.testing.witness import Witness

WAIT = 15.0
TOKEN_ENV = "PRESENCE_TEST_DISCORD_TOKEN"
SHARDS = 4

MESSAGES = (
    "SELECT n.name, m.text FROM messages m JOIN channels c ON c.id = m.channel_id "
    "JOIN networks n ON n.id = c.network_id ORDER BY n.name, m.at, m.id"
)
GAPS = (
    "SELECT n.name, g.reason, g.ended_at IS NOT NULL FROM connection_gaps g "
    "JOIN networks n ON n.id = g.network_id ORDER BY n.name, g.id"
)


@dataclass
class Server:
    """One scripted guild: its id, its #general and someone who talks there."""

    name: str
    id: str
    general: str
    member: str


@dataclass
class Run:
    """A started Assistant attending several servers, and ways to wait on what it recorded."""

    assistant: Assistant
    emulator: DiscordEmulator

    @property
    def witness(self) -> Witness:
        plugin = self.assistant.plugins.instance("witness")
        assert isinstance(plugin, Witness)
        return plugin

    def connector(self, network: str) -> DiscordConnector:
        (found,) = [c for c in self.assistant.connectors if c.network == network]
        assert isinstance(found, DiscordConnector)
        return found

    async def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in await self.assistant.db.fetchall(sql, ())]

    async def until(self, condition: Callable[[], bool]) -> None:
        """Poll connector or emulator state (which has no event of its own), bounded."""
        async with asyncio.timeout(WAIT):
            while True:
                if condition():
                    return
                await asyncio.sleep(0.01)

    async def until_rows(self, sql: str, expect: list[tuple[Any, ...]]) -> None:
        """Poll the database until ``sql`` returns ``expect`` (bounded; shows the last result)."""
        got: list[tuple[Any, ...]] = []
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(WAIT):
                while got != expect:
                    got = await self.rows(sql)
                    await asyncio.sleep(0.02)
        assert got == expect


Start = Callable[..., Awaitable[Run]]


def network(shard: int) -> str:
    return f"shard{shard}"


@pytest.fixture
def servers(emulator: DiscordEmulator) -> list[Server]:
    """Four attended servers, the one named ``Guild k`` on shard k; four others besides."""
    emulator.max_concurrency = SHARDS  # a big bot's identify budget: shards start together
    found = []
    for shard in range(SHARDS):
        guild = emulator.add_guild(f"Guild {shard}", shard=(shard, SHARDS))
        general = emulator.add_channel(guild, "general")
        member = emulator.add_user(f"member{shard}")
        emulator.add_member(guild, member)
        found.append(Server(f"Guild {shard}", guild, general, member))
        other = emulator.add_guild(f"Unattended {shard}", shard=(SHARDS - 1 - shard, SHARDS))
        emulator.add_channel(other, "general")
    assert [emulator.shard_of(s.id, SHARDS) for s in found] == list(range(SHARDS))
    return found


@pytest.fixture
async def presence(
    tmp_path: Path, emulator: DiscordEmulator, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Start]:
    """Start the real Assistant with one network per named server, each sharded likewise."""
    monkeypatch.setenv(TOKEN_ENV, emulator.token)
    started: list[Assistant] = []

    async def start(guilds: list[str], **table: Any) -> Run:
        networks = {
            network(n): {
                "platform": "discord",
                "token_env": TOKEN_ENV,
                "guild": name,
                "channels": [{"name": "#general"}],
            }
            | table
            for n, name in enumerate(guilds)
        }
        settings = parse_settings(
            {
                "storage": {"path": str(tmp_path / "presence.sqlite3"), "flush_interval": 0.02},
                "analysis": {"enabled": False},
                "networks": networks,
            }
        )
        assistant = Assistant(settings, plugin_classes={"witness": Witness}, reconnect_delay=0.05)
        started.append(assistant)
        await assistant.start()
        run = Run(assistant, emulator)
        await run.until(
            lambda: (
                sum(isinstance(e, Connected) for e in run.witness.events) == len(guilds)
                or any(run.connector(network(n)).failure for n in range(len(guilds)))
            )
        )
        return run

    yield start
    for assistant in started:
        await assistant.stop()


async def test_each_shard_identifies_with_its_own_guilds_and_every_server_is_recorded(
    presence: Start, emulator: DiscordEmulator, servers: list[Server]
) -> None:
    run = await presence([s.name for s in servers], shard_count=SHARDS)
    shards = sorted(tuple(identify["shard"]) for identify in emulator.identifies)
    # four networks, each its own sharded client: every shard of each IDENTIFYed once
    assert shards == sorted([(n, SHARDS) for n in range(SHARDS)] * SHARDS)
    # a shard's READY holds only the guilds routed to it: two servers each here
    for (shard_id, count), guild_ids in emulator.readies:
        assert count == SHARDS and len(guild_ids) == 2
        assert {emulator.shard_of(g, SHARDS) for g in guild_ids} == {shard_id}
    for n, server in enumerate(servers):
        client = run.connector(network(n)).client
        assert isinstance(client, RoutedShardedClient)
        assert len(client.guilds) == 2 * SHARDS  # all shards together: every server the bot is in
        guild = client.get_guild(int(server.id))
        assert guild is not None and guild.shard_id == n
    for server in servers:
        await emulator.post_message(server.general, server.member, f"hello from {server.name}")
    await run.until_rows(
        MESSAGES, expect=[(network(n), f"hello from Guild {n}") for n in range(SHARDS)]
    )


async def test_a_dropped_shard_resumes_and_nothing_said_meanwhile_is_lost(
    presence: Start, emulator: DiscordEmulator, servers: list[Server]
) -> None:
    run = await presence([s.name for s in servers], shard_count=SHARDS)
    dropped = servers[2]
    await emulator.post_message(dropped.general, dropped.member, "before")
    await run.until_rows(MESSAGES, expect=[(network(2), "before")])

    await emulator.drop_connections(shard_id=2)  # every client's shard 2; shards 0, 1, 3 go on
    for n in range(3):
        await emulator.post_message(dropped.general, dropped.member, f"while away {n}")
    await emulator.post_message(servers[0].general, servers[0].member, "elsewhere")
    await run.until(lambda: emulator.resume_count >= SHARDS)
    await emulator.post_message(dropped.general, dropped.member, "after")

    await run.until_rows(
        MESSAGES,
        expect=[
            (network(0), "elsewhere"),
            (network(2), "before"),
            *[(network(2), f"while away {n}") for n in range(3)],
            (network(2), "after"),
        ],
    )
    assert emulator.identify_count == SHARDS * SHARDS  # resumed, not identified again
    assert emulator.events_replayed >= 3
    backfilled = [e for e in run.witness.events if isinstance(e, MessageReceived) and e.backfill]
    assert backfilled == []
    assert await run.rows(GAPS) == []  # a resume is no gap in the record


async def test_a_shard_that_lost_its_session_identifies_again_and_backfills(
    presence: Start, emulator: DiscordEmulator, servers: list[Server]
) -> None:
    run = await presence([s.name for s in servers], shard_count=SHARDS)
    lost = servers[1]
    await emulator.post_message(lost.general, lost.member, "before")
    await run.until_rows(MESSAGES, expect=[(network(1), "before")])

    # Discord forgot shard 1's sessions: RESUME is refused and the shard IDENTIFYs anew
    await emulator.drop_connections(shard_id=1, forget_sessions=True)
    await emulator.post_message(lost.general, lost.member, "missed")
    await emulator.post_message(servers[3].general, servers[3].member, "meanwhile on shard 3")
    await run.until(lambda: emulator.identify_count == SHARDS * SHARDS + SHARDS)
    await run.until(lambda: run.connector(network(1)).connected)
    await emulator.post_message(lost.general, lost.member, "after")

    await run.until_rows(
        MESSAGES,
        expect=[
            (network(1), "before"),
            (network(1), "missed"),
            (network(1), "after"),
            (network(3), "meanwhile on shard 3"),
        ],
    )
    # only the network whose server is on shard 1 had a gap, and it is closed
    await run.until_rows(GAPS, expect=[(network(1), "session lost", 1)])
    backfilled = [
        (e.network, e.text)
        for e in run.witness.events
        if isinstance(e, MessageReceived) and e.backfill
    ]
    assert backfilled == [(network(1), "missed")]
    reconnected = [e.network for e in run.witness.events if isinstance(e, Connected)]
    assert sorted(reconnected) == sorted([*map(network, range(SHARDS)), network(1)])


async def test_shards_identify_no_faster_than_discord_allows_per_bucket(
    presence: Start,
    emulator: DiscordEmulator,
    servers: list[Server],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Discord: one IDENTIFY per 5 s in each bucket shard_id % max_concurrency (shortened here)
    window = 0.3
    monkeypatch.setattr(RoutedShardedClient, "identify_window", window)
    emulator.max_concurrency = 2
    await presence([servers[0].name], shard_count=SHARDS)
    shards = [identify["shard"][0] for identify in emulator.identifies]
    at = dict(zip(shards, emulator.identified_at, strict=True))
    assert sorted(at) == list(range(SHARDS))
    assert at[2] - at[0] >= window and at[3] - at[1] >= window  # same bucket: spaced


async def test_auto_takes_the_shard_count_discord_recommends(
    presence: Start, emulator: DiscordEmulator, servers: list[Server]
) -> None:
    emulator.recommended_shards = 3
    run = await presence([servers[0].name], shard_count="auto")
    assert sorted(identify["shard"] for identify in emulator.identifies) == [[0, 3], [1, 3], [2, 3]]
    assert ("GET", "/gateway/bot") in emulator.rest_log
    await emulator.post_message(servers[0].general, servers[0].member, "counted for me")
    await run.until_rows(MESSAGES, expect=[(network(0), "counted for me")])


async def test_a_bot_in_too_many_servers_for_one_connection_is_told_to_shard(
    presence: Start, emulator: DiscordEmulator, servers: list[Server]
) -> None:
    emulator.guilds_per_shard = 3  # Discord's is 2,500; the bot is in 8
    run = await presence([servers[0].name])
    failure = run.connector(network(0)).failure
    assert failure is not None
    assert "sharding required" in failure and 'shard_count = "auto"' in failure
    assert f"[networks.{network(0)}]" in failure


@pytest.mark.parametrize("value", [0, -2, "four", 2.5, True])
def test_a_bad_shard_count_is_refused_with_what_to_write(value: object) -> None:
    table = {"platform": "discord", "token_env": TOKEN_ENV, "shard_count": value}
    with pytest.raises(ConfigError) as raised:
        parse_settings({"networks": {"big": table}})
    message = str(raised.value)
    assert "networks.big.shard_count" in message
    assert 'whole number of shards (1 or more), or "auto"' in message


def test_shard_count_is_discord_only() -> None:
    with pytest.raises(ConfigError, match='shard_count: only for platform = "discord"'):
        parse_settings({"networks": {"irc": {"platform": "irc", "shard_count": 2}}})
