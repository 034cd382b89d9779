"""Discord → Presence translation, on discord.py's own objects built from gateway payloads.

A ``discord.Client`` that never connects provides the ``ConnectionState`` that discord.py's
model constructors need; guilds, members, messages and voice states are built from the same
JSON shapes the gateway sends, so these tests see what the connector sees.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import discord
import pytest
from discord.message import Message

from assistant.connectors.discord import translate
from assistant.events import (
    EventScheduled,
    Identity,
    MemberJoined,
    MemberLeft,
    MessageDeleted,
    MessageEdited,
    MessageReceived,
    NickChanged,
    PresenceChanged,
)

NET = "community"
_ids = itertools.count(1)
WHEN = "2024-01-07T08:30:00+00:00"


def snowflake() -> int:
    return 175928847299117063 + next(_ids)


def user(name: str, uid: int, global_name: str | None = None) -> dict[str, Any]:
    return {
        "id": str(uid),
        "username": name,
        "discriminator": "0",
        "global_name": global_name,
        "avatar": None,
        "bot": False,
        "public_flags": 0,
        "flags": 0,
    }


class World:
    """One guild with a text channel, a forum with a post, a voice and a stage channel."""

    def __init__(self) -> None:
        self.client = discord.Client(intents=discord.Intents.all())
        self.state: Any = self.client._connection
        self.bot = snowflake()
        self.state.user = discord.ClientUser(state=self.state, data=user("presence", self.bot))
        self.guild_id = snowflake()
        self.general, self.forum, self.voice, self.stage = (snowflake() for _ in range(4))
        self.post, self.thread, self.mods = snowflake(), snowflake(), snowflake()
        self.alice, self.bob = snowflake(), snowflake()
        everyone = {"id": str(self.guild_id), "name": "@everyone", "permissions": "1071698660929"}
        mods = {"id": str(self.mods), "name": "mods", "permissions": "0", "position": 1}

        def channel(cid: int, name: str, kind: int) -> dict[str, Any]:
            return {
                "id": str(cid),
                "type": kind,
                "name": name,
                "position": 0,
                "bitrate": 64000,
                "user_limit": 0,
            }

        def thread(tid: int, name: str, parent: int, kind: int) -> dict[str, Any]:
            return {
                "id": str(tid),
                "type": kind,
                "parent_id": str(parent),
                "name": name,
                "guild_id": str(self.guild_id),
                "owner_id": str(self.alice),
                "message_count": 1,
                "member_count": 1,
                "rate_limit_per_user": 0,
                "thread_metadata": {
                    "archived": False,
                    "auto_archive_duration": 1440,
                    "archive_timestamp": WHEN,
                    "locked": False,
                },
            }

        self.guild = self.state._add_guild_from_data(
            {
                "id": str(self.guild_id),
                "name": "Bloggers",
                "roles": [everyone, mods],
                "channels": [
                    channel(self.general, "general", 0),
                    channel(self.forum, "help", 15),
                    channel(self.voice, "Office Hours", 2),
                    channel(self.stage, "AMA", 13),
                ],
                "threads": [
                    thread(self.post, "How do I start a podcast?", self.forum, 11),
                    thread(self.thread, "side chat", self.general, 11),
                ],
                "members": [
                    self.member(self.alice, "alice", nick="Ally", global_name="Alice A"),
                    self.member(self.bob, "bob"),
                ],
                "presences": [],
                "member_count": 2,
                "large": False,
                "unavailable": False,
                "joined_at": WHEN,
            }
        )

    def parse(self, event: str, data: dict[str, Any], dispatched: str) -> list[tuple[Any, ...]]:
        """Feed one gateway ``event`` to discord.py's parser; return its ``dispatched`` calls."""
        seen: list[tuple[Any, ...]] = []
        self.state.dispatch = lambda name, *args: seen.append(args) if name == dispatched else None
        self.state.parsers[event.upper()](data)
        return seen

    def member(self, uid: int, name: str, **extra: Any) -> dict[str, Any]:
        nick = extra.pop("nick", None)
        return {
            "user": user(name, uid, extra.get("global_name")),
            "roles": [],
            "joined_at": WHEN,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "nick": nick,
        }

    def message(self, channel_id: int, author: int, content: str, **extra: Any) -> Message:
        channel = self.guild.get_channel_or_thread(channel_id)
        data = {
            "id": str(extra.pop("id", snowflake())),
            "channel_id": str(channel_id),
            "guild_id": str(self.guild_id),
            "author": user("alice" if author == self.alice else "bob", author),
            "content": content,
            "timestamp": WHEN,
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
        } | extra
        return Message(state=self.state, channel=channel, data=data)  # type: ignore[arg-type]


@pytest.fixture
def world() -> World:
    return World()


def test_a_message_resolves_mentions_to_names_and_keeps_ids(world: World) -> None:
    content = (
        f"hi <@{world.alice}> and <@!{world.bob}>, see <#{world.general}> "
        f"<@&{world.mods}> <:party:{snowflake()}> <a:wave:{snowflake()}> <@{snowflake()}>"
    )
    message = world.message(world.general, world.bob, content)
    event = translate.message_received(NET, message)
    assert event == MessageReceived(
        platform="discord",
        network=NET,
        timestamp=discord.utils.snowflake_time(message.id),
        channel="#general",
        actor=Identity(platform="discord", network=NET, nick="bob", user_id=str(world.bob)),
        text="hi @Ally and @bob, see #general @mods :party: :wave: @unknown-user",
        message_id=str(message.id),
    )
    assert event.raw is message


def test_a_reply_points_at_the_message_it_answers(world: World) -> None:
    first = world.message(world.general, world.alice, "anyone podcasting?")
    reply = world.message(
        world.general,
        world.bob,
        "me!",
        type=19,
        message_reference={"message_id": str(first.id), "channel_id": str(world.general)},
    )
    event = translate.message_received(NET, reply)
    assert event is not None
    assert event.reply_to == str(first.id)
    assert event.actor.nick == "bob"


def test_attachments_and_embeds_become_links(world: World) -> None:
    attachment = {
        "id": str(snowflake()),
        "filename": "slides.pdf",
        "size": 10,
        "url": "https://cdn.example/slides.pdf",
        "proxy_url": "https://cdn.example/slides.pdf",
    }
    message = world.message(
        world.general,
        world.alice,
        "my talk https://blog.example/post",
        attachments=[attachment],
        embeds=[
            {"type": "link", "url": "https://blog.example/post"},  # the preview: not repeated
            {"type": "rich", "url": "https://video.example/v", "title": "Video"},
        ],
    )
    event = translate.message_received(NET, message)
    assert event is not None
    assert event.text == (
        "my talk https://blog.example/post https://cdn.example/slides.pdf https://video.example/v"
    )


def test_a_thread_message_is_recorded_under_its_parent_channel(world: World) -> None:
    event = translate.message_received(NET, world.message(world.thread, world.alice, "in here"))
    assert event is not None
    assert (event.channel, event.text) == ("#general", "in here")


def test_a_forum_post_opens_with_its_title_under_the_forum_channel(world: World) -> None:
    starter = world.message(world.post, world.alice, "Which mic?", id=world.post)
    answer = world.message(world.post, world.bob, "a USB one")
    first, second = (translate.message_received(NET, m) for m in (starter, answer))
    assert first is not None and second is not None
    assert (first.channel, first.text) == ("#help", "How do I start a podcast?\nWhich mic?")
    assert (second.channel, second.text) == ("#help", "a USB one")


def test_a_direct_message_is_private(world: World) -> None:
    dm = discord.DMChannel(
        me=world.state.user,
        state=world.state,
        data={"id": str(snowflake()), "type": 1, "recipients": [user("alice", world.alice)]},
    )
    data = {
        "id": str(snowflake()),
        "channel_id": str(dm.id),
        "author": user("alice", world.alice),
        "content": "!seen bob",
        "timestamp": WHEN,
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": False,
        "type": 0,
    }
    event = translate.message_received(NET, Message(state=world.state, channel=dm, data=data))
    assert event is not None and event.is_private
    assert event.actor.user_id == str(world.alice)


def test_system_messages_are_not_chat(world: World) -> None:
    pinned = world.message(world.general, world.alice, "", type=6)
    assert translate.message_received(NET, pinned) is None


def test_edits_and_deletes_name_the_message_and_channel(world: World) -> None:
    message = world.message(world.general, world.alice, "helo")
    data = {
        "id": str(message.id),
        "channel_id": str(world.general),
        "guild_id": str(world.guild_id),
        "content": f"hello <@{world.bob}>",
        "edited_timestamp": "2024-01-07T08:31:00+00:00",
    }
    edited_message = world.message(
        world.general,
        world.alice,
        data["content"],
        id=message.id,
        edited_timestamp=data["edited_timestamp"],
    )
    edit = translate.message_edited(NET, discord.RawMessageUpdateEvent(data, edited_message))  # type: ignore[arg-type]
    assert isinstance(edit, MessageEdited)
    assert (edit.channel, edit.message_id, edit.text) == ("#general", str(message.id), "hello @bob")
    assert edit.timestamp == datetime(2024, 1, 7, 8, 31, tzinfo=UTC)

    gone = translate.message_deleted(
        NET, message.id, world.guild.get_channel(world.general), message
    )
    assert isinstance(gone, MessageDeleted)
    assert (gone.channel, gone.message_id, gone.actor.nick) == ("#general", str(message.id), "Ally")


def test_members_join_each_readable_channel_and_leave_the_server(world: World) -> None:
    alice = world.guild.get_member(world.alice)
    assert alice is not None
    texts = [world.guild.get_channel(world.general)]
    joined = translate.member_joined(NET, alice, texts)  # type: ignore[arg-type]
    assert [(e.channel, e.actor.nick, e.actor.user_id, e.via) for e in joined] == [
        ("#general", "Ally", str(world.alice), "channel")
    ]
    assert joined[0].timestamp == datetime(2024, 1, 7, 8, 30, tzinfo=UTC)
    left = translate.member_left(NET, alice)
    assert isinstance(left, MemberLeft)
    assert (left.channel, left.kind, left.actor.user_id) == (None, "part", str(world.alice))


def test_a_nickname_change_keeps_the_user_id(world: World) -> None:
    update = world.member(world.alice, "alice", nick="Alice the Blogger", global_name="Alice A")
    ((before, after),) = world.parse(
        "guild_member_update", update | {"guild_id": str(world.guild_id)}, "member_update"
    )
    event = translate.nick_changed(NET, before, after)
    assert isinstance(event, NickChanged)
    assert (event.actor.nick, event.new_nick) == ("Ally", "Alice the Blogger")
    assert event.actor.key == str(world.alice)
    assert translate.nick_changed(NET, after, after) is None


def test_status_changes_but_not_activity_changes_are_presence(world: World) -> None:
    def presence(status: str, activities: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "user": {"id": str(world.alice)},
            "guild_id": str(world.guild_id),
            "status": status,
            "activities": activities,
            "client_status": {"desktop": status},
        }

    ((before, after),) = world.parse("presence_update", presence("idle", []), "presence_update")
    event = translate.presence_changed(NET, before, after)
    assert isinstance(event, PresenceChanged)
    assert (event.actor.user_id, event.status) == (str(world.alice), "idle")
    playing = [{"type": 0, "name": "a game"}]
    ((before, after),) = world.parse(
        "presence_update", presence("idle", playing), "presence_update"
    )
    assert translate.presence_changed(NET, before, after) is None


def test_voice_and_stage_moves_are_attendance(world: World) -> None:
    bob = world.guild.get_member(world.bob)
    voice, stage = world.guild.get_channel(world.voice), world.guild.get_channel(world.stage)
    assert bob is not None and voice is not None and stage is not None
    everywhere = lambda channel: True  # noqa: E731
    arrive = translate.voice_changed(NET, bob, None, voice, everywhere)
    move = translate.voice_changed(NET, bob, voice, stage, everywhere)
    muted = translate.voice_changed(NET, bob, voice, voice, everywhere)
    elsewhere = translate.voice_changed(NET, bob, None, voice, lambda channel: False)
    assert [(type(e).__name__, e.channel, e.via) for e in arrive + move] == [
        ("MemberJoined", "#Office Hours", "voice"),
        ("MemberLeft", "#Office Hours", "voice"),
        ("MemberJoined", "#AMA", "stage"),
    ]
    assert isinstance(arrive[0], MemberJoined)
    assert muted == [] and elsewhere == []


def test_scheduled_events_carry_place_times_and_status(world: World) -> None:
    data = {
        "id": str(snowflake()),
        "guild_id": str(world.guild_id),
        "channel_id": str(world.stage),
        "name": "Weekly AMA",
        "description": "Ask us anything",
        "scheduled_start_time": "2024-01-14T09:00:00+00:00",
        "scheduled_end_time": "2024-01-14T10:30:00+00:00",
        "privacy_level": 2,
        "status": 2,
        "entity_type": 1,
        "entity_id": None,
        "entity_metadata": None,
        "creator_id": str(world.alice),
    }
    event = discord.ScheduledEvent(state=world.state, data=data)  # type: ignore[arg-type]
    found = translate.event_scheduled(NET, event)
    assert isinstance(found, EventScheduled)
    assert (found.name, found.channel, found.status) == ("Weekly AMA", "#AMA", "active")
    assert found.starts_at == datetime(2024, 1, 14, 9, tzinfo=UTC)
    assert found.ends_at == datetime(2024, 1, 14, 10, 30, tzinfo=UTC)
    assert translate.event_scheduled(NET, event, deleted=True).status == "cancelled"


def test_a_long_summary_splits_into_valid_pieces_at_line_then_word_boundaries() -> None:
    lines = [f"line {n}: " + " ".join(["word"] * (n % 40 + 1)) for n in range(120)]
    text = "\n".join(lines) + "\n" + " ".join(["long"] * 600) + " " + "x" * 2500
    pieces = translate.split_message(text)
    assert all(0 < len(piece) <= 2000 for piece in pieces)
    assert " ".join(pieces).split() == [*text.split()[:-1], "x" * 2000, "x" * 500]
    prose = [piece for piece in pieces if piece.startswith("line")]
    assert len(prose) > 1 and all(piece.split("\n")[-1] in lines for piece in prose)
    words = [piece for piece in pieces if piece.startswith("long")]
    assert words and all(set(piece.split()) == {"long"} for piece in words[:-1])
    assert translate.split_message("  \n ") == []
    assert translate.split_message("short") == ["short"]
