"""Shared fixtures for the Discord tests: an emulated server, and the real Assistant attending it.

Each test gets its own :class:`DiscordEmulator` on 127.0.0.1 (about 60 ms) with discord.py
pointed at it, a guild scripted like a small community (text channel, forum, voice and stage
channels, three people), and a ``presence`` starter that runs the real Assistant, built from
a configuration like a user's, recording into a SQLite file in the test's temporary folder.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
import pytest

from assistant import CommandContext, Plugin, command
from assistant.app import Assistant
from assistant.config import parse_settings
from assistant.connectors.discord import DiscordConnector
from assistant.events import Connected
from assistant.testing.discord import DiscordEmulator
from assistant.testing.witness import Witness

WAIT = 10.0
TOKEN_ENV = "PRESENCE_TEST_DISCORD_TOKEN"
NETWORK = "community"


@dataclass
class Guild:
    """The scripted server: ids of its guild, channels and people."""

    id: str
    general: str
    help: str
    voice: str
    stage: str
    mods: str
    alice: str
    bob: str
    owner: str


def script_guild(emulator: DiscordEmulator) -> Guild:
    """A small community: #general, a #help forum, voice and stage channels, three people."""
    guild = emulator.add_guild("Bloggers")
    general = emulator.add_channel(guild, "general")
    help_forum = emulator.add_channel(guild, "help", kind="forum")
    voice = emulator.add_channel(guild, "Office Hours", kind="voice")
    stage = emulator.add_channel(guild, "AMA", kind="stage")
    mods = emulator.add_role(guild, "mods")
    alice = emulator.add_user("alice", global_name="Alice A")
    bob = emulator.add_user("bob")
    owner = emulator.add_user("ann")
    emulator.add_member(guild, alice, nick="Ally", roles=[mods])
    emulator.add_member(guild, bob)
    emulator.add_member(guild, owner)
    return Guild(guild, general, help_forum, voice, stage, mods, alice, bob, owner)


@pytest.fixture(autouse=True)
def _fast_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    # One emulated guild arrives at once; discord.py's 2 s wait for more is pure delay here.
    monkeypatch.setattr(DiscordConnector, "guild_ready_timeout", 0.05)


@pytest.fixture
def portal() -> discord.Intents | None:
    """Privileged intents on in the emulated developer portal (None: all); parametrize to change."""
    return None


@pytest.fixture
async def emulator(portal: discord.Intents | None) -> AsyncIterator[DiscordEmulator]:
    """A started emulator with discord.py pointed at it."""
    async with DiscordEmulator(portal_intents=portal) as emu:
        with emu.point_discord_py_here():
            yield emu


@pytest.fixture
def guild(emulator: DiscordEmulator) -> Guild:
    return script_guild(emulator)


class OwnerOnly(Plugin):
    """An owner-only command, to see whom the assistant takes for its owner."""

    @command("secret", example="!secret", owner_only=True)
    async def secret(self, cmd: CommandContext) -> None:
        """Answer only the verified owner."""
        await cmd.reply(f"owner verified: {cmd.event.actor.user_id}")


@dataclass
class Live:
    """A started Assistant with its witness, and ways to look into what it recorded."""

    assistant: Assistant

    @property
    def witness(self) -> Witness:
        plugin = self.assistant.plugins.instance("witness")
        assert isinstance(plugin, Witness)
        return plugin

    @property
    def connector(self) -> DiscordConnector:
        (found,) = self.assistant.connectors
        assert isinstance(found, DiscordConnector)
        return found

    async def rows(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in await self.assistant.db.fetchall(sql, params)]

    async def until_rows(self, sql: str, *params: object, expect: list[tuple[Any, ...]]) -> None:
        """Poll the database until ``sql`` returns ``expect`` (bounded; shows the last result)."""
        got: list[tuple[Any, ...]] = []
        # The database has no change notification to wait on, so it is polled.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(WAIT):
                while True:
                    got = await self.rows(sql, *params)
                    if got == expect:
                        return
                    await asyncio.sleep(0.02)
        assert got == expect

    async def until(self, condition: Callable[[], bool]) -> None:
        """Poll connector or witness state (which has no event of its own), bounded."""
        async with asyncio.timeout(WAIT):
            while True:
                if condition():
                    return
                await asyncio.sleep(0.01)

    async def connected(self) -> None:
        """Wait until the connector reported ``Connected`` (and what came with it was queued)."""
        await self.until(lambda: any(isinstance(e, Connected) for e in self.witness.events))


Start = Callable[..., Awaitable[Live]]


@pytest.fixture
async def presence(
    tmp_path: Path, emulator: DiscordEmulator, guild: Guild, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Start]:
    """Start real Assistants on the emulated server; all are stopped afterwards.

    ``await presence(**network)`` overrides keys of the ``[networks.community]`` table;
    ``database=`` names the SQLite file (to start again on the same one after a stop).
    """
    monkeypatch.setenv(TOKEN_ENV, emulator.token)
    started: list[Assistant] = []

    async def start(
        *, database: str = "presence.sqlite3", wait: bool = True, **network: Any
    ) -> Live:
        table = {
            "platform": "discord",
            "token_env": TOKEN_ENV,
            "guild": "Bloggers",
            "channels": [
                {"name": "#general"},
                {"name": "#help"},
                {"name": "#Office Hours"},
                {"name": guild.stage},
            ],
            "send_channels": ["#general"],
        } | network
        settings = parse_settings(
            {
                "storage": {"path": str(tmp_path / database), "flush_interval": 0.02},
                "owner": {"identities": [{"platform": "discord", "user_id": guild.owner}]},
                "analysis": {"enabled": False},
                "networks": {NETWORK: table},
            }
        )
        classes: dict[str, type[Plugin]] = {"witness": Witness, "owneronly": OwnerOnly}
        assistant = Assistant(settings, plugin_classes=classes, reconnect_delay=0.05)
        started.append(assistant)
        await assistant.start()
        live = Live(assistant)
        if wait:
            await live.connected()
        return live

    yield start
    for assistant in started:
        await assistant.stop()


def intents(*names: str) -> discord.Intents:
    """Privileged intents switched on in the (emulated) developer portal."""
    found = discord.Intents.none()
    for name in names:
        setattr(found, name, True)
    return found
