"""The emulated Discord's state (users, guilds, channels, roles, members) and its JSON shapes.

Records are plain mutable dataclasses owned by one :class:`World`; the ``*_payload`` methods
build the objects discord.py parses (``state.parse_*`` and the model constructors read some keys
with ``[]``, so every such key is always present). Nothing here does I/O.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime

from assistant.testing.discord.protocol import (
    GUILD_PRESENCES,
    GUILD_VOICE_STATES,
    Json,
    iso,
    snowflake,
)

CHANNEL_TYPES = {
    "text": 0,
    "dm": 1,
    "voice": 2,
    "category": 4,
    "thread": 11,  # a public thread, also a forum post
    "stage": 13,
    "forum": 15,
}
EVENT_STATUSES = {"scheduled": 1, "active": 2, "completed": 3, "canceled": 4}
STATUSES = ("online", "idle", "dnd", "offline")
EVERYONE_PERMISSIONS = "1071698660929"  # Discord's default @everyone permission set


@dataclass
class UserRecord:
    id: str
    name: str
    global_name: str | None
    bot: bool = False

    def payload(self) -> Json:
        return {
            "id": self.id,
            "username": self.name,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
            "flags": 0,
        }


@dataclass
class MemberRecord:
    user_id: str
    nick: str | None
    roles: list[str]
    status: str
    joined_at: str
    activity: str | None = None


@dataclass
class ChannelRecord:
    """A guild channel, a thread (kind "thread") or a DM channel (kind "dm")."""

    id: str
    kind: str
    name: str
    guild_id: str | None = None
    parent_id: str | None = None
    position: int = 0
    owner_id: str | None = None  # threads: who started it
    recipient_id: str | None = None  # DMs: the other user
    created_at: str = ""
    messages: dict[str, Json] = field(default_factory=dict)  # message id -> stored payload
    ordered: list[int] = field(default_factory=list)  # message ids, ascending
    message_count: int = 0

    @property
    def last_message_id(self) -> str | None:
        return str(self.ordered[-1]) if self.ordered else None

    def store(self, message: Json) -> None:
        self.messages[message["id"]] = message
        bisect.insort(self.ordered, int(message["id"]))
        self.message_count += 1

    def remove(self, message_id: str) -> Json | None:
        found = self.messages.pop(message_id, None)
        if found is not None:
            index = bisect.bisect_left(self.ordered, int(message_id))
            del self.ordered[index]
        return found


@dataclass
class GuildRecord:
    id: str
    name: str
    owner_id: str
    roles: dict[str, str] = field(default_factory=dict)  # id -> name; @everyone's id = guild id
    channels: dict[str, ChannelRecord] = field(default_factory=dict)  # includes threads
    members: dict[str, MemberRecord] = field(default_factory=dict)
    voice: dict[str, str] = field(default_factory=dict)  # user id -> channel id
    voice_sessions: dict[str, str] = field(default_factory=dict)  # user id -> voice session id
    events: dict[str, Json] = field(default_factory=dict)  # scheduled event id -> payload
    joined_at: str = ""


class UnknownObjectError(KeyError):
    """A scripted call named an id the emulator does not know; the message says which."""

    def __str__(self) -> str:
        return str(self.args[0])


class World:
    """Every user, guild, channel and DM the emulator knows, plus the payloads built from them."""

    def __init__(self, bot_name: str) -> None:
        self.users: dict[str, UserRecord] = {}
        self.guilds: dict[str, GuildRecord] = {}
        self.channels: dict[str, ChannelRecord] = {}  # every channel, thread and DM by id
        self.dms: dict[str, str] = {}  # recipient user id -> DM channel id
        self.bot = self.add_user(bot_name, bot=True)

    # ---- lookups with clear errors

    def user(self, user_id: str) -> UserRecord:
        try:
            return self.users[user_id]
        except KeyError:
            raise UnknownObjectError(
                f"unknown user id {user_id!r}: create it with add_user()"
            ) from None

    def guild(self, guild_id: str) -> GuildRecord:
        try:
            return self.guilds[guild_id]
        except KeyError:
            raise UnknownObjectError(
                f"unknown guild id {guild_id!r}: create it with add_guild()"
            ) from None

    def channel(self, channel_id: str) -> ChannelRecord:
        try:
            return self.channels[channel_id]
        except KeyError:
            raise UnknownObjectError(
                f"unknown channel id {channel_id!r}: create it with add_channel(), "
                "create_thread() or dm_channel()"
            ) from None

    def member(self, guild_id: str, user_id: str) -> MemberRecord:
        guild = self.guild(guild_id)
        try:
            return guild.members[user_id]
        except KeyError:
            raise UnknownObjectError(
                f"user {user_id!r} is not a member of guild {guild_id!r}: use add_member() "
                "or member_join()"
            ) from None

    # ---- building

    def add_user(
        self, name: str, *, global_name: str | None = None, bot: bool = False
    ) -> UserRecord:
        user = UserRecord(snowflake(), name, global_name, bot)
        self.users[user.id] = user
        return user

    def add_guild(self, name: str, shard: tuple[int, int] | None = None) -> GuildRecord:
        guild = GuildRecord(_guild_id(shard), name, owner_id=self.bot.id, joined_at=iso())
        guild.roles[guild.id] = "@everyone"
        self.guilds[guild.id] = guild
        guild.members[self.bot.id] = MemberRecord(self.bot.id, None, [], "online", iso())
        return guild

    def add_channel(
        self, guild_id: str, name: str, kind: str, parent_id: str | None
    ) -> ChannelRecord:
        guild = self.guild(guild_id)
        if kind not in CHANNEL_TYPES or kind in ("dm", "thread"):
            known = ", ".join(repr(k) for k in CHANNEL_TYPES if k not in ("dm", "thread"))
            raise ValueError(
                f"unknown channel kind {kind!r}: use one of {known} (threads: create_thread())"
            )
        if parent_id is not None:
            parent = guild.channels.get(parent_id)
            if parent is None or parent.kind != "category":
                raise ValueError(
                    f"parent {parent_id!r} is not a category of guild {guild_id!r}: channels "
                    "nest only in categories"
                )
        position = sum(1 for c in guild.channels.values() if c.kind == kind)
        channel = ChannelRecord(
            snowflake(), kind, name, guild_id, parent_id, position, created_at=iso()
        )
        guild.channels[channel.id] = channel
        self.channels[channel.id] = channel
        return channel

    def add_thread(
        self, parent: ChannelRecord, name: str, owner_id: str, thread_id: str | None
    ) -> ChannelRecord:
        if parent.kind not in ("text", "forum") or parent.guild_id is None:
            raise ValueError(
                f"channel {parent.id!r} is a {parent.kind} channel: threads live in text or "
                "forum channels"
            )
        guild = self.guild(parent.guild_id)
        thread = ChannelRecord(
            thread_id or snowflake(),
            "thread",
            name,
            guild.id,
            parent.id,
            0,
            owner_id,
            created_at=iso(),
        )
        guild.channels[thread.id] = thread
        self.channels[thread.id] = thread
        return thread

    def dm_channel(self, user_id: str) -> ChannelRecord:
        """The bot's DM channel with ``user_id``, opened on first use (as Discord reuses it)."""
        self.user(user_id)
        existing = self.dms.get(user_id)
        if existing is not None:
            return self.channels[existing]
        channel = ChannelRecord(snowflake(), "dm", "", recipient_id=user_id, created_at=iso())
        self.channels[channel.id] = channel
        self.dms[user_id] = channel.id
        return channel

    # ---- payloads

    def role_payload(self, guild: GuildRecord, role_id: str) -> Json:
        everyone = role_id == guild.id
        return {
            "id": role_id,
            "name": guild.roles[role_id],
            "permissions": EVERYONE_PERMISSIONS if everyone else "0",
            "position": 0 if everyone else list(guild.roles).index(role_id),
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "managed": False,
            "mentionable": True,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }

    def member_payload(self, guild: GuildRecord, user_id: str, *, with_user: bool = True) -> Json:
        member = guild.members[user_id]
        payload: Json = {
            "roles": list(member.roles),
            "nick": member.nick,
            "avatar": None,
            "joined_at": member.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
        if with_user:
            payload["user"] = self.users[user_id].payload()
        return payload

    def presence_payload(self, guild: GuildRecord, user_id: str) -> Json:
        member = guild.members[user_id]
        activities: list[Json] = []
        if member.activity and member.status != "offline":
            activities.append({"name": member.activity, "type": 0, "created_at": 0})
        return {
            "user": {"id": user_id},
            "guild_id": guild.id,
            "status": member.status,
            "activities": activities,
            "client_status": {} if member.status == "offline" else {"desktop": member.status},
        }

    def channel_payload(self, channel: ChannelRecord) -> Json:
        payload: Json = {"id": channel.id, "type": CHANNEL_TYPES[channel.kind]}
        if channel.kind == "dm":
            assert channel.recipient_id is not None
            payload.update(
                last_message_id=channel.last_message_id,
                recipients=[self.users[channel.recipient_id].payload()],
                flags=0,
            )
            return payload
        payload.update(
            guild_id=channel.guild_id,
            name=channel.name,
            parent_id=channel.parent_id,
            flags=0,
            rate_limit_per_user=0,
        )
        if channel.kind == "thread":
            payload.update(
                owner_id=channel.owner_id,
                last_message_id=channel.last_message_id,
                message_count=channel.message_count,
                total_message_sent=channel.message_count,
                member_count=1,
                applied_tags=[],
                thread_metadata={
                    "archived": False,
                    "auto_archive_duration": 1440,
                    "archive_timestamp": channel.created_at,
                    "locked": False,
                    "create_timestamp": channel.created_at,
                },
            )
            return payload
        payload.update(position=channel.position, permission_overwrites=[], nsfw=False)
        if channel.kind in ("text", "forum", "stage"):
            payload["topic"] = None
        if channel.kind in ("text", "voice", "stage"):
            payload["last_message_id"] = channel.last_message_id
        if channel.kind in ("voice", "stage"):
            payload.update(bitrate=64000, user_limit=0, rtc_region=None, video_quality_mode=1)
        if channel.kind == "forum":
            payload.update(
                available_tags=[],
                default_reaction_emoji=None,
                default_sort_order=None,
                default_forum_layout=0,
                default_thread_rate_limit_per_user=0,
                last_message_id=channel.last_message_id,
            )
        return payload

    def voice_state_payload(self, guild: GuildRecord, user_id: str) -> Json:
        channel_id = guild.voice.get(user_id)
        stage = channel_id is not None and guild.channels[channel_id].kind == "stage"
        return {
            "guild_id": guild.id,
            "channel_id": channel_id,
            "user_id": user_id,
            "member": self.member_payload(guild, user_id) if user_id in guild.members else None,
            "session_id": guild.voice_sessions.get(user_id, ""),
            "deaf": False,
            "mute": False,
            "self_deaf": False,
            "self_mute": False,
            "self_video": False,
            "self_stream": False,
            "suppress": stage,  # a stage audience member is suppressed until made a speaker
            "request_to_speak_timestamp": None,
        }

    def scheduled_event_payload(
        self,
        guild: GuildRecord,
        name: str,
        *,
        start: datetime,
        end: datetime | None,
        channel_id: str | None,
        description: str,
        location: str | None,
    ) -> Json:
        if channel_id is None:
            entity_type, metadata = 3, {"location": location or "elsewhere"}
        else:
            kind = guild.channels[channel_id].kind
            if kind not in ("voice", "stage"):
                raise ValueError(
                    f"channel {channel_id!r} is a {kind} channel: events need voice or stage"
                )
            entity_type, metadata = (1 if kind == "stage" else 2), None
        return {
            "id": snowflake(),
            "guild_id": guild.id,
            "channel_id": channel_id,
            "creator_id": self.bot.id,
            "creator": self.bot.payload(),
            "name": name,
            "description": description,
            "scheduled_start_time": iso(start),
            "scheduled_end_time": iso(end) if end is not None else None,
            "privacy_level": 2,
            "status": EVENT_STATUSES["scheduled"],
            "entity_type": entity_type,
            "entity_id": None,
            "entity_metadata": metadata,
            "user_count": 0,
            "image": None,
        }

    def guild_payload(self, guild: GuildRecord) -> Json:
        """The guild object as REST returns it (no members, channels or presences)."""
        return {
            "id": guild.id,
            "name": guild.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": guild.owner_id,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": [self.role_payload(guild, r) for r in guild.roles],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": "en-US",
            "nsfw_level": 0,
        }

    def guild_create_payload(self, guild: GuildRecord, intents: int, large_threshold: int) -> Json:
        """GUILD_CREATE as a session with ``intents`` receives it (Discord's Guild Create docs).

        Without GUILD_PRESENCES the member list holds only the bot and users in voice, and
        there are no presences; voice states need GUILD_VOICE_STATES.
        """
        if intents & GUILD_PRESENCES:
            member_ids = list(guild.members)
        else:
            member_ids = [u for u in guild.members if u == self.bot.id or u in guild.voice]
        presences = [
            self.presence_payload(guild, u)
            for u in member_ids
            if intents & GUILD_PRESENCES and guild.members[u].status != "offline"
        ]
        voice = [self.voice_state_payload(guild, u) for u in guild.voice]
        channels = [c for c in guild.channels.values() if c.kind != "thread"]
        threads = [c for c in guild.channels.values() if c.kind == "thread"]
        payload = self.guild_payload(guild)
        payload.update(
            joined_at=guild.joined_at,
            large=len(guild.members) >= large_threshold,
            unavailable=False,
            member_count=len(guild.members),
            members=[self.member_payload(guild, u) for u in member_ids],
            presences=presences,
            voice_states=voice if intents & GUILD_VOICE_STATES else [],
            channels=[self.channel_payload(c) for c in channels],
            threads=[self.channel_payload(t) for t in threads],
            stage_instances=[],
            guild_scheduled_events=list(guild.events.values()),
            soundboard_sounds=[],
        )
        return payload


def _guild_id(shard: tuple[int, int] | None) -> str:
    """A fresh guild id; with ``(shard_id, shard_count)``, one that shard receives.

    Discord routes a guild to shard ``(guild_id >> 22) % shard_count``: the id is backdated
    by the few milliseconds that takes (its low bits stay unique).
    """
    value = int(snowflake())
    if shard is None:
        return str(value)
    shard_id, count = shard
    if not 0 <= shard_id < count:
        raise ValueError(f"shard={shard}: the shard id must be 0 to {count - 1}")
    ms = value >> 22
    ms -= (ms - shard_id) % count
    return str((ms << 22) | (value & ((1 << 22) - 1)))
