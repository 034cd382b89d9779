"""The Discord gateway misbehaving under a running Presence, on the project's emulator.

Each fault Discord documents: a zombie connection (heartbeats no longer acknowledged), op 7
RECONNECT, op 9 INVALID_SESSION resumable or not, and a 4000-series close in the middle of
the backfill after a restart. What the owner must find each time: Presence ends connected,
and every message said before, during and after the disruption is recorded exactly once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from assistant.app import Assistant
from assistant.config import parse_settings
from assistant.connectors.discord import DiscordConnector
from assistant.events import Connected, MessageReceived
from assistant.testing.discord import DiscordEmulator
from assistant.testing.witness import Witness

WAIT = 30.0  # a bound on a hang, not on speed (op 9 makes discord.py wait up to 5 s)
TOKEN_ENV = "PRESENCE_TEST_DISCORD_TOKEN"
NETWORK = "community"
TEXTS = "SELECT text FROM messages ORDER BY at, id"


@dataclass
class Room:
    """The emulated server: a guild with #general and #random, and two people talking."""

    emulator: DiscordEmulator
    guild: str
    general: str
    random: str
    alice: str
    bob: str

    async def say(self, texts: list[str]) -> None:
        """Post ``texts`` in turn, alternating people and channels."""
        for n, text in enumerate(texts):
            channel = (self.general, self.random)[n % 2]
            await self.emulator.post_message(channel, (self.alice, self.bob)[n % 2], text)


@pytest.fixture(autouse=True)
def _fast_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    # One emulated guild arrives at once; discord.py's 2 s wait for more is pure delay here.
    monkeypatch.setattr(DiscordConnector, "guild_ready_timeout", 0.05)


@pytest.fixture
async def room(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Room]:
    async with DiscordEmulator() as emu:
        monkeypatch.setenv(TOKEN_ENV, emu.token)
        # Heartbeats every half second, so a zombie is noticed in seconds, not a minute.
        emu.heartbeat_interval_ms = 500
        guild = emu.add_guild("Bloggers")
        general = emu.add_channel(guild, "general")
        random = emu.add_channel(guild, "random")
        alice, bob = emu.add_user("alice"), emu.add_user("bob")
        emu.add_member(guild, alice)
        emu.add_member(guild, bob)
        with emu.point_discord_py_here():
            yield Room(emu, guild, general, random, alice, bob)


@dataclass
class Live:
    assistant: Assistant

    @property
    def connector(self) -> DiscordConnector:
        (found,) = self.assistant.connectors
        assert isinstance(found, DiscordConnector)
        return found

    @property
    def witness(self) -> Witness:
        plugin = self.assistant.plugins.instance("witness")
        assert isinstance(plugin, Witness)
        return plugin

    async def texts(self) -> list[str]:
        return [str(text) for (text,) in await self.assistant.db.fetchall(TEXTS, ())]

    async def until(self, condition: Callable[[], bool], what: str) -> None:
        """Poll state that has no event of its own (bounded by WAIT)."""
        for _ in range(int(WAIT / 0.02)):
            if condition():
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"not within {WAIT:g} s: {what}")

    async def until_recorded(self, expect: list[str]) -> None:
        """Wait until the transcript holds ``expect`` (bounded); shows what it held."""
        got: list[str] = []
        for _ in range(int(WAIT / 0.02)):
            got = await self.texts()
            if sorted(got) == sorted(expect):
                return
            await asyncio.sleep(0.02)
        assert sorted(got) == sorted(expect)


Start = Callable[..., Awaitable[Live]]


@pytest.fixture
async def presence(tmp_path: Path, room: Room) -> AsyncIterator[Start]:
    """Start real Assistants recording into one SQLite file; all are stopped afterwards."""
    started: list[Assistant] = []

    async def start(*, heartbeat_timeout: float | None = None, wait: bool = True) -> Live:
        settings = parse_settings(
            {
                "storage": {"path": str(tmp_path / "presence.sqlite3"), "flush_interval": 0.02},
                "analysis": {"enabled": False},
                "networks": {
                    NETWORK: {
                        "platform": "discord",
                        "token_env": TOKEN_ENV,
                        "guild": "Bloggers",
                        "channels": [{"name": "#general"}, {"name": "#random"}],
                    }
                },
            }
        )
        options: dict[str, Any] = {"plugin_classes": {"witness": Witness}}
        if heartbeat_timeout is not None:
            # How long discord.py waits for any gateway traffic is a connector option.
            network = settings.networks[NETWORK]
            connector = DiscordConnector(NETWORK, network, heartbeat_timeout=heartbeat_timeout)
            options["connectors"] = [connector]
        assistant = Assistant(settings, reconnect_delay=0.05, **options)
        started.append(assistant)
        await assistant.start()
        live = Live(assistant)
        if wait:
            await live.until(lambda: live.connector.connected, "connected")
        return live

    yield start
    for assistant in started:
        await assistant.stop()


def said(prefix: str, count: int) -> list[str]:
    return [f"{prefix} {n}" for n in range(count)]


def recorded_once(live: Live, expect: list[str]) -> None:
    """Every message reached the plugins once (live or backfilled), none twice."""
    shown = [e.text for e in live.witness.events if isinstance(e, MessageReceived)]
    assert sorted(shown) == sorted(expect), shown


async def test_a_zombie_gateway_is_left_for_a_resumed_one_with_nothing_lost(
    room: Room, presence: Start
) -> None:
    live = await presence(heartbeat_timeout=2.0)
    await room.say(said("before", 2))
    await live.until_recorded(said("before", 2))

    assert room.emulator.make_zombies() == 1
    await room.say(said("during", 6))  # kept by the session, not written to the zombie
    await live.until(lambda: room.emulator.resume_count == 1, "resumed")
    await room.say(said("after", 2))

    everything = said("before", 2) + said("during", 6) + said("after", 2)
    await live.until_recorded(everything)
    assert live.connector.connected
    assert room.emulator.identify_count == 1  # the session went on: resumed, not replaced
    recorded_once(live, everything)


async def test_op7_reconnect_resumes_with_nothing_lost(room: Room, presence: Start) -> None:
    live = await presence()
    await room.say(said("before", 2))
    await live.until_recorded(said("before", 2))

    await room.emulator.request_reconnect()
    await room.say(said("during", 6))
    await live.until(lambda: room.emulator.resume_count == 1, "resumed")
    await room.say(said("after", 2))

    everything = said("before", 2) + said("during", 6) + said("after", 2)
    await live.until_recorded(everything)
    assert live.connector.connected
    assert room.emulator.identify_count == 1
    recorded_once(live, everything)


@pytest.mark.parametrize("resumable", [True, False], ids=["resumable", "not-resumable"])
async def test_op9_invalid_session_ends_connected_with_nothing_lost(
    room: Room, presence: Start, resumable: bool
) -> None:
    live = await presence()
    await room.say(said("before", 2))
    await live.until_recorded(said("before", 2))

    await room.emulator.invalidate_sessions(resumable=resumable)
    await room.say(said("during", 6))
    await live.until(lambda: room.emulator.resume_count + room.emulator.identify_count == 2, "back")
    await live.until(lambda: live.connector.connected, "connected again")
    await room.say(said("after", 2))

    everything = said("before", 2) + said("during", 6) + said("after", 2)
    await live.until_recorded(everything)
    assert live.connector.connected
    # Resumable: the same session goes on; otherwise a new one, and the gap is backfilled.
    assert room.emulator.identify_count == (1 if resumable else 2)
    recorded_once(live, everything)
    if not resumable:
        backfilled = [
            e.text for e in live.witness.events if isinstance(e, MessageReceived) and e.backfill
        ]
        assert sorted(backfilled) == sorted(said("during", 6)), backfilled


@pytest.mark.parametrize(
    ("code", "forget"), [(4000, False), (4009, True)], ids=["4000-unknown", "4009-timed-out"]
)
async def test_a_close_in_the_middle_of_backfill_ends_connected_with_nothing_lost(
    room: Room, presence: Start, code: int, forget: bool
) -> None:
    first = await presence()
    await room.say(said("before", 2))
    await first.until_recorded(said("before", 2))
    await first.assistant.stop()

    await room.say(said("missed", 8))  # while Presence was away: backfill's work
    # The gateway closes once the backfill has fetched one channel's history and asks for
    # the other's, and refuses the bot until the people below have spoken.
    room.emulator.close_on_history(code, forget_sessions=forget, after_requests=1, pause=True)
    second = await presence(wait=False)  # it may be closed before it was seen connected
    await second.until(lambda: room.emulator.history_close is None, "closed mid-backfill")
    await room.say(said("during", 6))
    room.emulator.resume_gateway()
    await second.until(lambda: second.connector.connected, "connected again")
    await room.say(said("after", 2))

    everything = said("before", 2) + said("missed", 8) + said("during", 6) + said("after", 2)
    await second.until_recorded(everything)
    assert second.connector.connected
    recorded_once(second, said("missed", 8) + said("during", 6) + said("after", 2))
    connected = [e for e in second.witness.events if isinstance(e, Connected)]
    assert len(connected) == (2 if forget else 1)
