"""An unmodified discord.py client against the Discord emulator: what the bot sees of a guild.

Each test scripts a small guild, starts a real ``discord.Client`` over 127.0.0.1 and asserts
what discord.py hands to the bot's event handlers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import discord
import pytest

from assistant.testing.discord import DiscordEmulator, UnknownObjectError
from assistant.testing.discord.client import run_client

ALL = discord.Intents.all()


@dataclass
class Scene:
    """A guild with channels of every kind, a role and three members (ids as strings)."""

    emu: DiscordEmulator
    guild: str
    general: str
    voice: str
    stage: str
    forum: str
    category: str
    mods: str
    alice: str
    bob: str
    carol: str


@pytest.fixture
async def scene() -> AsyncIterator[Scene]:
    async with DiscordEmulator() as emu:
        guild = emu.add_guild("Podcast Club")
        category = emu.add_channel(guild, "Talk", kind="category")
        general = emu.add_channel(guild, "general", parent_id=category)
        voice = emu.add_channel(guild, "Lounge", kind="voice", parent_id=category)
        stage = emu.add_channel(guild, "Live show", kind="stage")
        forum = emu.add_channel(guild, "ideas", kind="forum")
        mods = emu.add_role(guild, "mods")
        alice = emu.add_user("alice", global_name="Alice A.")
        bob = emu.add_user("bob")
        carol = emu.add_user("carol")
        emu.add_member(guild, alice, nick="Ali", roles=[mods])
        emu.add_member(guild, bob, status="idle")
        emu.add_member(guild, carol, status="offline")
        yield Scene(emu, guild, general, voice, stage, forum, category, mods, alice, bob, carol)


async def test_ready_shows_the_guild_its_channels_and_members(scene: Scene) -> None:
    thread_parent = await scene.emu.post_message(scene.general, scene.alice, "thread me")
    thread = await scene.emu.create_thread(
        scene.general, "side talk", author_id=scene.alice, starter_message_id=thread_parent
    )
    async with run_client(scene.emu, intents=ALL) as (client, _):
        [guild] = client.guilds
        assert guild.name == "Podcast Club"
        assert guild.me.id == int(scene.emu.bot_user_id)
        kinds = {c.name: c.type for c in guild.channels}
        assert kinds == {
            "Talk": discord.ChannelType.category,
            "general": discord.ChannelType.text,
            "Lounge": discord.ChannelType.voice,
            "Live show": discord.ChannelType.stage_voice,
            "ideas": discord.ChannelType.forum,
        }
        assert guild.get_channel(int(scene.general)).category.name == "Talk"  # type: ignore[union-attr]
        assert [t.name for t in guild.threads] == ["side talk"]
        assert guild.threads[0].id == int(thread) == int(thread_parent)
        alice = guild.get_member(int(scene.alice))
        assert alice is not None
        assert (alice.display_name, alice.global_name) == ("Ali", "Alice A.")
        assert [r.name for r in alice.roles] == ["@everyone", "mods"]
        assert alice.status is discord.Status.online
        bob = guild.get_member(int(scene.bob))
        assert bob is not None and bob.status is discord.Status.idle
        assert guild.member_count == 4
        assert len(guild.members) == 4


async def test_a_message_resolves_mentions_and_its_reply_reference(scene: Scene) -> None:
    emu = scene.emu
    async with run_client(emu, intents=ALL, events=["message"]) as (_client, seen):
        first = await emu.post_message(scene.general, scene.bob, "who is hosting tonight?")
        text = f"<@{scene.bob}> <@&{scene.mods}> see <#{scene.voice}>, and <@!{scene.carol}>"
        await emu.post_message(scene.general, scene.alice, text, reply_to=first)
        [(asked,), (answer,)] = await seen.wait("message", 2)
        assert asked.content == "who is hosting tonight?"
        assert answer.content == text
        assert answer.author.display_name == "Ali"
        assert {m.name for m in answer.mentions} == {"bob", "carol"}
        assert [r.name for r in answer.role_mentions] == ["mods"]
        assert [c.name for c in answer.channel_mentions] == ["Lounge"]
        assert answer.type is discord.MessageType.reply
        assert answer.reference is not None and answer.reference.message_id == asked.id
        resolved = answer.reference.resolved
        assert isinstance(resolved, discord.Message)
        assert resolved.content == "who is hosting tonight?"
        assert resolved.author.name == "bob"


async def test_attachments_and_embeds_arrive(scene: Scene) -> None:
    emu = scene.emu
    async with run_client(emu, intents=ALL, events=["message"]) as (_client, seen):
        embed = {"title": "Episode 12", "description": "out now", "type": "rich"}
        await emu.post_message(
            scene.general, scene.bob, "new one", attachments=["notes.txt"], embeds=[embed]
        )
        [(message,)] = await seen.wait("message")
        [attachment] = message.attachments
        assert attachment.filename == "notes.txt"
        assert await attachment.read() == b""
        assert [e.title for e in message.embeds] == ["Episode 12"]


async def test_edits_and_deletes_reach_the_bot_including_raw_events(scene: Scene) -> None:
    emu = scene.emu
    events = ["message", "message_edit", "raw_message_edit", "message_delete", "raw_message_delete"]
    async with run_client(emu, intents=ALL, events=events) as (_client, seen):
        message_id = await emu.post_message(scene.general, scene.bob, "teh show starts at 8")
        await seen.wait("message")
        await emu.edit_message(scene.general, message_id, "the show starts at 8")
        [(before, after)] = await seen.wait("message_edit")
        assert (before.content, after.content) == ("teh show starts at 8", "the show starts at 8")
        assert after.edited_at is not None
        [(raw_edit,)] = await seen.wait("raw_message_edit")
        assert raw_edit.message_id == int(message_id)
        await emu.delete_message(scene.general, message_id)
        [(deleted,)] = await seen.wait("message_delete")
        assert deleted.content == "the show starts at 8"
        [(raw_delete,)] = await seen.wait("raw_message_delete")
        assert (raw_delete.message_id, raw_delete.channel_id) == (
            int(message_id),
            int(scene.general),
        )
        assert emu.messages(scene.general) == []


async def test_members_join_leave_and_change_nick(scene: Scene) -> None:
    emu = scene.emu
    dave = emu.add_user("dave")
    events = ["member_join", "member_remove", "member_update"]
    async with run_client(emu, intents=ALL, events=events) as (client, seen):
        await emu.member_join(scene.guild, dave)
        [(joined,)] = await seen.wait("member_join")
        assert joined.name == "dave"
        assert client.guilds[0].get_member(int(dave)) is not None
        await emu.member_update(scene.guild, dave, nick="Dave the Rave")
        [(before, after)] = await seen.wait("member_update")
        assert (before.display_name, after.display_name) == ("dave", "Dave the Rave")
        await emu.member_leave(scene.guild, dave)
        [(left,)] = await seen.wait("member_remove")
        assert left.display_name == "Dave the Rave"
        assert client.guilds[0].get_member(int(dave)) is None


async def test_presence_changes_reach_the_bot(scene: Scene) -> None:
    emu = scene.emu
    async with run_client(emu, intents=ALL, events=["presence_update"]) as (_client, seen):
        await emu.set_presence(scene.guild, scene.carol, "dnd", activity="Recording")
        [(before, after)] = await seen.wait("presence_update")
        assert before.status is discord.Status.offline
        assert after.status is discord.Status.dnd
        assert after.activity is not None and after.activity.name == "Recording"


async def test_voice_joins_and_leaves_in_voice_and_stage_channels(scene: Scene) -> None:
    emu = scene.emu
    async with run_client(emu, intents=ALL, events=["voice_state_update"]) as (client, seen):
        steps = [
            (
                lambda: emu.voice_join(scene.guild, scene.alice, scene.voice),
                ("alice", None, "Lounge"),
            ),
            (
                lambda: emu.voice_join(scene.guild, scene.bob, scene.stage),
                ("bob", None, "Live show"),
            ),
            (lambda: emu.voice_leave(scene.guild, scene.alice), ("alice", "Lounge", None)),
        ]
        for number, (step, expected) in enumerate(steps, 1):
            await step()
            # discord.py reuses the "after" VoiceState object, so read it before the next update
            member, before, after = (await seen.wait("voice_state_update", number))[-1]
            names = (member.name, before.channel, after.channel)
            assert tuple(getattr(x, "name", x) for x in names) == expected
        stage = client.get_channel(int(scene.stage))
        assert isinstance(stage, discord.StageChannel)
        assert [m.name for m in stage.members] == ["bob"]
        assert [m.name for m in stage.listeners] == ["bob"]  # suppressed: in the audience


async def test_threads_and_forum_posts_carry_messages(scene: Scene) -> None:
    emu = scene.emu
    events = ["thread_create", "message"]
    async with run_client(emu, intents=ALL, events=events) as (_client, seen):
        thread_id = await emu.create_thread(scene.general, "guest ideas", author_id=scene.bob)
        await emu.post_message(thread_id, scene.bob, "what about a chef?")
        post_id = await emu.create_thread(scene.forum, "Episode 13 topics", author_id=scene.alice)
        starter = await emu.post_message(post_id, scene.alice, "list them here")
        [(thread,), (post,)] = await seen.wait("thread_create", 2)
        assert (thread.name, thread.parent_id) == ("guest ideas", int(scene.general))
        assert isinstance(post.parent, discord.ForumChannel)
        assert post.name == "Episode 13 topics"
        [(in_thread,), (in_post,)] = await seen.wait("message", 2)
        assert isinstance(in_thread.channel, discord.Thread)
        assert in_thread.channel.name == "guest ideas"
        assert in_post.channel.id == int(post_id) == int(starter)  # the starter shares the id
        assert in_post.content == "list them here"


async def test_scheduled_events_are_created_and_updated(scene: Scene) -> None:
    emu = scene.emu
    events = ["scheduled_event_create", "scheduled_event_update"]
    start = datetime.now(UTC) + timedelta(days=1)
    async with run_client(emu, intents=ALL, events=events) as (_client, seen):
        event_id = await emu.schedule_event(
            scene.guild, "Live recording", start=start, channel_id=scene.stage, description="ep 13"
        )
        [(created,)] = await seen.wait("scheduled_event_create")
        assert (created.id, created.name, created.description) == (
            int(event_id),
            "Live recording",
            "ep 13",
        )
        assert created.status is discord.EventStatus.scheduled
        assert created.entity_type is discord.EntityType.stage_instance
        assert abs((created.start_time - start).total_seconds()) < 1
        await emu.update_scheduled_event(scene.guild, event_id, status="active")
        [(before, after)] = await seen.wait("scheduled_event_update")
        assert (before.status, after.status) == (
            discord.EventStatus.scheduled,
            discord.EventStatus.active,
        )


async def test_script_mistakes_get_errors_that_say_how_to_fix_them() -> None:
    async with DiscordEmulator() as emu:
        guild = emu.add_guild("Podcast Club")
        general = emu.add_channel(guild, "general")
        stranger = emu.add_user("stranger")
        with pytest.raises(UnknownObjectError, match=r"not a member .* add_member\(\)"):
            await emu.post_message(general, stranger, "hi")
        with pytest.raises(UnknownObjectError, match=r"unknown channel id '1'.*add_channel\(\)"):
            await emu.post_message("1", stranger, "hi")
        with pytest.raises(ValueError, match="unknown channel kind 'txt': use one of"):
            emu.add_channel(guild, "oops", kind="txt")
        with pytest.raises(ValueError, match="unknown status 'away': use one of"):
            emu.add_member(guild, stranger, status="away")
        unstarted = DiscordEmulator()
        with pytest.raises(RuntimeError, match="start the emulator"):
            unstarted.point_discord_py_here().__enter__()
