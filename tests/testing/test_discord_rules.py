"""Discord's rules as the emulator enforces them: tokens, intents, message limits, DMs, history.

Every test runs an unmodified discord.py client and checks what a bot author would notice:
the exception discord.py raises, or what the bot can and cannot see.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import discord
import pytest

from assistant.testing.discord import DiscordEmulator
from assistant.testing.discord.client import run_client

ALL = discord.Intents.all()


@dataclass
class Room:
    emu: DiscordEmulator
    guild: str
    general: str
    alice: str
    bob: str


async def _room(emu: DiscordEmulator) -> Room:
    guild = emu.add_guild("Podcast Club")
    general = emu.add_channel(guild, "general")
    alice = emu.add_user("alice")
    bob = emu.add_user("bob")
    emu.add_member(guild, alice)
    emu.add_member(guild, bob)
    return Room(emu, guild, general, alice, bob)


@pytest.fixture
async def room() -> AsyncIterator[Room]:
    async with DiscordEmulator() as emu:
        yield await _room(emu)


async def test_login_with_a_bad_token_raises_login_failure(room: Room) -> None:
    client = discord.Client(intents=discord.Intents.default())
    try:
        with room.emu.point_discord_py_here(), pytest.raises(discord.LoginFailure):
            await client.login("not-the-token")
    finally:
        await client.close()
    assert room.emu.rest_log == [("GET", "/users/@me")]


async def test_point_discord_py_here_restores_the_real_urls(room: Room) -> None:
    before = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    with room.emu.point_discord_py_here():
        assert room.emu.api_base == discord.http.Route.BASE
    assert before == (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)


async def test_a_privileged_intent_not_enabled_in_the_portal_is_refused() -> None:
    async with DiscordEmulator(portal_intents=discord.Intents.default()) as emu:
        await _room(emu)
        with pytest.raises(discord.PrivilegedIntentsRequired):
            async with run_client(emu, intents=ALL):
                pass
        assert emu.identify_count == 0


async def test_without_message_content_only_mentions_and_dms_show_text(room: Room) -> None:
    emu = room.emu
    intents = discord.Intents.default()  # no message_content
    async with run_client(emu, intents=intents, events=["message"]) as (_client, seen):
        await emu.post_message(room.general, room.alice, "secret plans")
        await emu.post_message(room.general, room.alice, f"<@{emu.bot_user_id}> you there?")
        await emu.post_message(emu.dm_channel(room.alice), room.alice, "psst, a DM")
        plain, mention, direct = [m for (m,) in await seen.wait("message", 3)]
        assert (plain.content, plain.author.name) == ("", "alice")
        assert mention.content == f"<@{emu.bot_user_id}> you there?"
        assert isinstance(direct.channel, discord.DMChannel)
        assert direct.content == "psst, a DM"


async def test_without_members_and_presences_the_bot_sees_only_itself(room: Room) -> None:
    emu = room.emu
    carol = emu.add_user("carol")
    events = ["member_join", "presence_update", "message"]
    intents = discord.Intents.default()
    intents.message_content = True
    async with run_client(emu, intents=intents, events=events) as (client, seen):
        assert [m.id for m in client.guilds[0].members] == [int(emu.bot_user_id)]
        await emu.member_join(room.guild, carol)
        await emu.set_presence(room.guild, room.alice, "idle")
        await emu.post_message(room.general, room.bob, "marker")
        await seen.wait("message")  # events arrive in order: anything dispatched is in by now
        assert seen.of("member_join") == [] and seen.of("presence_update") == []


async def test_with_members_but_no_presences_the_client_chunks_the_member_list(room: Room) -> None:
    intents = discord.Intents.default()
    intents.members = True
    async with run_client(room.emu, intents=intents) as (client, _seen):
        [guild] = client.guilds
        assert guild.chunked
        assert sorted(m.name for m in guild.members) == ["alice", "bob", "presence"]


async def test_a_dm_from_the_bot_is_recorded_as_a_dm(room: Room) -> None:
    emu = room.emu
    async with run_client(emu, intents=ALL) as (client, _seen):
        user = await client.fetch_user(int(room.alice))
        sent = await user.send("your episode is up")
        [record] = emu.sent
        assert (record.is_dm, record.recipient_id, record.content) == (
            True,
            room.alice,
            "your episode is up",
        )
        assert record.message_id == str(sent.id)
        assert isinstance(sent.channel, discord.DMChannel)


async def test_bot_replies_and_channel_messages_are_recorded(room: Room) -> None:
    emu = room.emu
    async with run_client(emu, intents=ALL, events=["message"]) as (_client, seen):
        await emu.post_message(room.general, room.alice, "hi bot")
        [(message,)] = await seen.wait("message")
        reply = await message.reply("hi alice")
        [record] = emu.sent
        assert (record.is_dm, record.channel_id, record.guild_id) == (
            False,
            room.general,
            room.guild,
        )
        assert record.reply_to == str(message.id)
        assert reply.reference is not None and reply.reference.message_id == message.id
        assert [m.id for m in reply.mentions] == [int(room.alice)]


async def test_a_message_over_2000_characters_is_rejected_with_50035(room: Room) -> None:
    async with run_client(room.emu, intents=ALL) as (client, _seen):
        channel = client.get_channel(int(room.general))
        assert isinstance(channel, discord.TextChannel)
        with pytest.raises(discord.HTTPException) as failure:
            await channel.send("x" * 2001)
        assert (failure.value.status, failure.value.code) == (400, 50035)
        assert "2000" in failure.value.text
        await channel.send("x" * 2000)
        assert [len(m.content) for m in room.emu.sent] == [2000]


async def test_channel_history_pages_like_discord(room: Room) -> None:
    emu = room.emu
    start = datetime.now(UTC) - timedelta(hours=1)
    ids = [
        await emu.post_message(
            room.general, room.bob, f"line {n}", timestamp=start + timedelta(minutes=n)
        )
        for n in range(5)
    ]
    async with run_client(emu, intents=ALL) as (client, _seen):
        channel = client.get_channel(int(room.general))
        assert isinstance(channel, discord.TextChannel)
        after = [m.content async for m in channel.history(after=discord.Object(int(ids[1])))]
        assert after == ["line 2", "line 3", "line 4"]  # after= gives oldest first
        newest = [m.content async for m in channel.history(limit=2)]
        assert newest == ["line 4", "line 3"]
        before = [m.content async for m in channel.history(before=discord.Object(int(ids[2])))]
        assert before == ["line 1", "line 0"]
        assert [m.created_at for m in await _all(channel)] == sorted(
            (m.created_at for m in await _all(channel)), reverse=True
        )


async def _all(channel: discord.TextChannel) -> list[discord.Message]:
    return [m async for m in channel.history(limit=None)]


async def test_unknown_rest_routes_are_recorded(room: Room) -> None:
    async with run_client(room.emu, intents=ALL) as (client, _seen):
        with pytest.raises(discord.NotFound):
            await client.fetch_invite("abc")
        assert room.emu.unknown_routes == [("GET", "/invites/abc")]


async def test_a_flood_arrives_complete_and_in_order(room: Room) -> None:
    emu = room.emu
    async with run_client(emu, intents=ALL, events=["message"]) as (_client, seen):
        ids = await emu.flood(room.general, room.bob, 300, text="flood")
        messages = await seen.wait("message", 300)
        assert [m.content for (m,) in messages] == [f"flood {n}" for n in range(300)]
        assert [str(m.id) for (m,) in messages] == ids


async def test_files_edits_and_deletes_by_the_bot_are_visible(room: Room) -> None:
    emu = room.emu
    events = ["message", "message_edit", "message_delete"]
    async with run_client(emu, intents=ALL, events=events) as (client, seen):
        channel = client.get_channel(int(room.general))
        assert isinstance(channel, discord.TextChannel)
        notes = discord.File(io.BytesIO(b"show notes"), filename="notes.txt")
        sent = await channel.send("notes attached", file=notes)
        assert [record.attachments for record in emu.sent] == [("notes.txt",)]
        assert await sent.attachments[0].read() == b"show notes"
        edited = await sent.edit(content="notes attached (v2)")
        assert edited.edited_at is not None
        [(_before, after)] = await seen.wait("message_edit")
        assert after.content == "notes attached (v2)"
        await sent.delete()
        [(deleted,)] = await seen.wait("message_delete")
        assert deleted.id == sent.id
        assert emu.messages(room.general) == []


async def test_voice_and_scheduled_events_need_their_intents(room: Room) -> None:
    emu = room.emu
    lounge = emu.add_channel(room.guild, "Lounge", kind="voice")
    intents = discord.Intents.all()
    intents.voice_states = False
    intents.guild_scheduled_events = False
    events = ["voice_state_update", "scheduled_event_create", "message"]
    async with run_client(emu, intents=intents, events=events) as (_client, seen):
        await emu.voice_join(room.guild, room.alice, lounge)
        start = datetime.now(UTC) + timedelta(hours=2)
        await emu.schedule_event(room.guild, "Listening party", start=start, channel_id=lounge)
        await emu.post_message(room.general, room.bob, "marker")
        await seen.wait("message")  # events arrive in order: anything dispatched is in by now
        assert seen.of("voice_state_update") == [] and seen.of("scheduled_event_create") == []
