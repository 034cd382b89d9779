"""Gateway sessions in the Discord emulator: heartbeats, RESUME, op 7, op 9 and close codes.

The first tests drive an unmodified discord.py client; the raw ones speak the gateway protocol
over an aiohttp websocket to check what discord.py never does on purpose (a bad IDENTIFY, a
RESUME of an unknown session, a silent client).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import discord
import pytest

from assistant.testing.discord import DiscordEmulator
from assistant.testing.discord.client import run_client

ALL = discord.Intents.all()
WAIT = 5.0


@dataclass
class Room:
    emu: DiscordEmulator
    general: str
    bob: str


@pytest.fixture
async def room() -> AsyncIterator[Room]:
    async with DiscordEmulator() as emulator:
        guild = emulator.add_guild("Podcast Club")
        general = emulator.add_channel(guild, "general")
        bob = emulator.add_user("bob")
        emulator.add_member(guild, bob)
        yield Room(emulator, general, bob)


@pytest.fixture
def emu(room: Room) -> DiscordEmulator:
    return room.emu


async def _until(predicate: Any, timeout: float = WAIT) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110 - polling a counter, bounded by the timeout
            await asyncio.sleep(0.02)


class QuickReidentify(discord.Client):
    """discord.py's documented hook, without its 5 s pause before a repeated IDENTIFY."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


async def test_a_dropped_connection_resumes_and_delivers_missed_events_once_in_order(
    room: Room,
) -> None:
    emu = room.emu
    async with run_client(emu, intents=ALL, events=["message", "resumed"]) as (_client, seen):
        await emu.post_message(room.general, room.bob, "before")
        await seen.wait("message")
        emu.pause_gateway()  # hold the reconnect off so the next events must be replayed
        await emu.drop_connections()
        for number in range(5):
            await emu.post_message(room.general, room.bob, f"while dropped {number}")
        emu.resume_gateway()
        await seen.wait("resumed", timeout=WAIT)
        await emu.post_message(room.general, room.bob, "after")
        await seen.wait("message", 7)
        await emu.drain()
        contents = [m.content for (m,) in seen.of("message")]
        assert contents == ["before", *(f"while dropped {n}" for n in range(5)), "after"]
        assert (emu.resume_count, emu.identify_count) == (1, 1)
        assert emu.events_replayed == 5


async def test_a_paused_gateway_is_retried_until_it_is_back(room: Room) -> None:
    emu = room.emu
    async with run_client(emu, intents=ALL, events=["message", "resumed"]) as (_client, seen):
        emu.pause_gateway()
        await emu.drop_connections()
        await emu.post_message(room.general, room.bob, "during the outage")
        await _until(lambda: emu.connections_refused >= 1)
        emu.resume_gateway()
        await seen.wait("resumed", timeout=WAIT)  # discord.py backs off up to 2 s first
        [(message,)] = await seen.wait("message")
        assert message.content == "during the outage"
        assert (emu.resume_count, emu.identify_count) == (1, 1)


async def test_op7_reconnect_makes_the_client_resume(room: Room) -> None:
    emu = room.emu
    async with run_client(emu, intents=ALL, events=["message", "resumed"]) as (_client, seen):
        await emu.request_reconnect()
        await seen.wait("resumed")
        await emu.post_message(room.general, room.bob, "still here")
        [(message,)] = await seen.wait("message")
        assert message.content == "still here"
        assert (emu.resume_count, emu.identify_count) == (1, 1)


async def test_resuming_a_forgotten_session_gets_op9_and_a_fresh_identify(
    emu: DiscordEmulator,
) -> None:
    quick = QuickReidentify
    async with run_client(emu, intents=ALL, events=["resumed"], client_class=quick) as (
        client,
        seen,
    ):
        await emu.drop_connections(forget_sessions=True)
        await seen.wait("ready", 2)
        assert (emu.resume_count, emu.identify_count) == (0, 2)
        assert seen.of("resumed") == []
        assert [g.name for g in client.guilds] == ["Podcast Club"]


async def test_op9_invalidation_makes_the_client_identify_again(emu: DiscordEmulator) -> None:
    async with run_client(emu, intents=ALL, client_class=QuickReidentify) as (_client, seen):
        await emu.invalidate_sessions()
        await seen.wait("ready", 2)
        assert emu.identify_count == 2


async def test_heartbeats_keep_flowing_at_a_short_interval(emu: DiscordEmulator) -> None:
    emu.heartbeat_interval_ms = 200
    async with run_client(emu, intents=ALL):
        await _until(lambda: emu.heartbeats_received >= 6)
        assert emu.heartbeats_missed == 0


async def test_identify_records_the_intents_the_client_asked_for(emu: DiscordEmulator) -> None:
    intents = discord.Intents.default()
    intents.members = True
    async with run_client(emu, intents=intents):
        [identify] = emu.identifies
        assert identify["intents"] == intents.value
        assert "token" not in identify


async def test_an_auto_sharded_client_asks_for_the_gateway_and_identifies_a_shard(
    room: Room,
) -> None:
    emu = room.emu
    async with run_client(emu, intents=ALL, client_class=discord.AutoShardedClient) as (
        client,
        _seen,
    ):
        assert ("GET", "/gateway/bot") in emu.rest_log
        assert [i["shard"] for i in emu.identifies] == [[0, 1]]
        assert [g.name for g in client.guilds] == ["Podcast Club"]


async def test_stop_is_bounded_while_a_client_is_still_connected() -> None:
    emulator = await DiscordEmulator().start()
    emulator.add_guild("Podcast Club")
    try:
        async with run_client(emulator, intents=ALL, events=["disconnect"]) as (_client, seen):
            async with asyncio.timeout(WAIT):
                await emulator.stop()
            await seen.wait("disconnect")
    finally:
        await emulator.stop()  # a second stop is a no-op


# ---- raw protocol


@contextlib.asynccontextmanager
async def _raw(emu: DiscordEmulator) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    async with aiohttp.ClientSession() as http, http.ws_connect(emu.gateway_url) as ws:
        hello = await ws.receive_json(timeout=WAIT)
        assert hello["op"] == 10
        yield ws


async def _closed_with(ws: aiohttp.ClientWebSocketResponse) -> int | None:
    message = await ws.receive(timeout=WAIT)
    assert message.type is aiohttp.WSMsgType.CLOSE, message
    return ws.close_code


async def test_identify_with_a_bad_token_is_closed_4004(emu: DiscordEmulator) -> None:
    async with _raw(emu) as ws:
        await ws.send_json({"op": 2, "d": {"token": "nope", "intents": 1, "properties": {}}})
        assert await _closed_with(ws) == 4004
    assert emu.identify_count == 0


async def test_requests_before_identify_are_closed_4003(emu: DiscordEmulator) -> None:
    async with _raw(emu) as ws:
        await ws.send_json({"op": 8, "d": {"guild_id": "1", "query": "", "limit": 0}})
        assert await _closed_with(ws) == 4003


async def test_undecodable_payloads_are_closed_4002(emu: DiscordEmulator) -> None:
    async with _raw(emu) as ws:
        await ws.send_str("{not json")
        assert await _closed_with(ws) == 4002


async def test_resume_of_an_unknown_session_gets_op9_not_resumable(emu: DiscordEmulator) -> None:
    async with _raw(emu) as ws:
        resume = {"token": emu.token, "session_id": "no-such-session", "seq": 3}
        await ws.send_json({"op": 6, "d": resume})
        reply = await ws.receive_json(timeout=WAIT)
        assert (reply["op"], reply["d"]) == (9, False)


async def test_a_client_that_stops_heartbeating_is_counted(emu: DiscordEmulator) -> None:
    emu.heartbeat_interval_ms = 100
    emu.heartbeat_grace_s = 0.05
    async with _raw(emu) as ws:
        await ws.send_json({"op": 1, "d": None})
        ack = await ws.receive_json(timeout=WAIT)
        assert ack["op"] == 11
        await _until(lambda: emu.heartbeats_missed == 1)
        await ws.send_json({"op": 1, "d": None})
        await ws.receive_json(timeout=WAIT)
    assert emu.heartbeats_missed == 1


async def test_ready_and_guild_create_carry_sequence_numbers(emu: DiscordEmulator) -> None:
    async with _raw(emu) as ws:
        await ws.send_json({"op": 2, "d": {"token": emu.token, "intents": 1, "properties": {}}})
        ready = await ws.receive_json(timeout=WAIT)
        guild = await ws.receive_json(timeout=WAIT)
        assert (ready["t"], ready["s"]) == ("READY", 1)
        assert (guild["t"], guild["s"]) == ("GUILD_CREATE", 2)
        assert ready["d"]["resume_gateway_url"] == emu.gateway_url
        # GUILDS alone: no presences and only the bot in the member list
        assert guild["d"]["presences"] == []
        assert [m["user"]["id"] for m in guild["d"]["members"]] == [emu.bot_user_id]
        assert json.dumps(guild["d"])  # plain JSON all the way down
