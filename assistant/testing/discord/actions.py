"""The scripted actions on the emulated Discord: building a guild and acting for its people.

Each action changes the :class:`~assistant.testing.discord.world.World` and dispatches the
matching gateway event to connected sessions (filtered by intents in the gateway), so it works
the same before a client connects (set-up) and while it is connected (a scene). Dispatch is
synchronous and cheap; the coroutines exist so a test reads as a script of awaited steps.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from assistant.testing.discord import protocol as p
from assistant.testing.discord.gateway import Gateway
from assistant.testing.discord.messages import attachment_payload, build_message
from assistant.testing.discord.protocol import Json, dumps, iso, snowflake
from assistant.testing.discord.world import (
    EVENT_STATUSES,
    STATUSES,
    ChannelRecord,
    GuildRecord,
    MemberRecord,
    UnknownObjectError,
    World,
)

__all__ = ["Actions", "SentMessage"]


@dataclass(frozen=True)
class SentMessage:
    """One message the bot sent through REST (``POST /channels/{id}/messages``)."""

    channel_id: str
    content: str
    is_dm: bool
    recipient_id: str | None  # the other user, for DMs
    message_id: str
    guild_id: str | None = None
    reply_to: str | None = None  # message id the bot replied to
    attachments: tuple[str, ...] = ()  # uploaded file names
    embeds: tuple[Json, ...] = ()


class Actions:
    """The scripting half of :class:`~assistant.testing.discord.DiscordEmulator`."""

    world: World
    gateway: Gateway
    bot_user_id: str
    sent: list[SentMessage]
    base_url: str
    _files: dict[str, bytes]

    # ---- scripting the world (synchronous; dispatched if a client is connected)

    def add_guild(self, name: str, *, shard: tuple[int, int] | None = None) -> str:
        """A guild with the bot in it (as owner); returns its id.

        ``shard=(shard_id, shard_count)`` picks an id that shard of a bot sharded that way
        receives (Discord routes by id), to spread guilds over shards on purpose.
        """
        guild = self.world.add_guild(name, shard)
        for session in self.gateway.sessions.values():
            if session.intents & p.GUILDS and session.covers(guild.id):
                payload = self.world.guild_create_payload(
                    guild, session.intents, session.large_threshold
                )
                session.dispatch("GUILD_CREATE", dumps(payload))
        return guild.id

    def add_channel(
        self, guild_id: str, name: str, *, kind: str = "text", parent_id: str | None = None
    ) -> str:
        """A channel of ``kind`` "text", "voice", "stage", "forum" or "category"; returns its id."""
        channel = self.world.add_channel(guild_id, name, kind, parent_id)
        self.gateway.dispatch(
            "CHANNEL_CREATE", self.world.channel_payload(channel), p.GUILDS, guild_id=guild_id
        )
        return channel.id

    def add_role(self, guild_id: str, name: str) -> str:
        guild = self.world.guild(guild_id)
        role_id = snowflake()
        guild.roles[role_id] = name
        data = {"guild_id": guild_id, "role": self.world.role_payload(guild, role_id)}
        self.gateway.dispatch("GUILD_ROLE_CREATE", data, p.GUILDS, guild_id=guild_id)
        return role_id

    def add_user(self, name: str, *, global_name: str | None = None, bot: bool = False) -> str:
        return self.world.add_user(name, global_name=global_name, bot=bot).id

    def add_member(
        self,
        guild_id: str,
        user_id: str,
        *,
        nick: str | None = None,
        roles: Sequence[str] = (),
        status: str = "online",
    ) -> None:
        """Make ``user_id`` a member (meant for set-up before the client connects)."""
        guild = self.world.guild(guild_id)
        self._new_member(guild, user_id, nick, roles, status)
        if self.gateway.sessions:
            self._member_added(guild, user_id)

    def dm_channel(self, user_id: str) -> str:
        """The id of the bot's DM channel with ``user_id`` (to ``post_message`` a DM to the bot)."""
        return self.world.dm_channel(user_id).id

    def _new_member(
        self, guild: GuildRecord, user_id: str, nick: str | None, roles: Sequence[str], status: str
    ) -> None:
        self.world.user(user_id)
        if user_id in guild.members:
            raise ValueError(f"user {user_id!r} is already a member of guild {guild.id!r}")
        unknown = [r for r in roles if r not in guild.roles]
        if unknown:
            raise UnknownObjectError(f"roles {unknown} are not in guild {guild.id!r}: add_role()")
        _check_status(status)
        guild.members[user_id] = MemberRecord(user_id, nick, list(roles), status, iso())

    def _member_added(self, guild: GuildRecord, user_id: str) -> None:
        data = self.world.member_payload(guild, user_id) | {"guild_id": guild.id}
        self.gateway.dispatch("GUILD_MEMBER_ADD", data, p.GUILD_MEMBERS, guild_id=guild.id)

    # ---- messages

    async def post_message(
        self,
        channel_id: str,
        author_id: str,
        content: str,
        *,
        reply_to: str | None = None,
        attachments: Sequence[str] = (),
        embeds: Sequence[Json] = (),
        timestamp: datetime | None = None,
    ) -> str:
        """``author_id`` says ``content`` in a channel, thread or DM; returns the message id.

        Mentions are parsed from the markup; ``reply_to`` is a message id in the same channel;
        ``attachments`` are file names (served empty); ``timestamp`` backdates the message.
        """
        message = self._post(
            channel_id, author_id, content, reply_to, attachments, embeds, timestamp
        )
        return str(message["id"])

    def _post(
        self,
        channel_id: str,
        author_id: str,
        content: str,
        reply_to: str | None = None,
        attachments: Sequence[str] = (),
        embeds: Sequence[Json] = (),
        timestamp: datetime | None = None,
    ) -> Json:
        channel = self.world.channel(channel_id)
        self.world.user(author_id)
        if channel.kind in ("category", "forum"):
            raise ValueError(
                f"channel {channel_id!r} is a {channel.kind}: post in a text channel or in a "
                "thread (create_thread() makes a forum post)"
            )
        if channel.guild_id is not None:
            self.world.member(channel.guild_id, author_id)
        elif author_id not in (channel.recipient_id, self.bot_user_id):
            raise ValueError(f"user {author_id!r} is not in DM channel {channel_id!r}")
        replied = None
        if reply_to is not None:
            replied = channel.messages.get(reply_to)
            if replied is None:
                raise UnknownObjectError(f"no message {reply_to!r} in channel {channel_id!r}")
        files = [(name, b"") for name in attachments]
        message_id = snowflake(timestamp)
        first_in_thread = channel.kind == "thread" and channel.message_count == 0
        if first_in_thread and self.world.channels[channel.parent_id or ""].kind == "forum":
            message_id = channel.id  # a forum post's starter message shares the thread's id
        return self._create(
            channel,
            author_id,
            content,
            message_id=message_id,
            timestamp=iso(timestamp),
            reply_to=replied,
            files=files,
            embeds=embeds,
        )

    def _create(
        self,
        channel: ChannelRecord,
        author_id: str,
        content: str,
        *,
        message_id: str,
        timestamp: str,
        reply_to: Json | None,
        files: Sequence[tuple[str, bytes]],
        embeds: Sequence[Json],
        allowed_mentions: Json | None = None,
        nonce: Any = None,
    ) -> Json:
        """Build, store and dispatch one message (MESSAGE_CREATE); returns its payload."""
        attachments = []
        for filename, data in files:
            attachment_id = snowflake()
            self._files[attachment_id] = data
            url = f"{self.base_url}/attachments/{channel.id}/{attachment_id}/{filename}"
            attachments.append(attachment_payload(attachment_id, filename, len(data), url))
        message = build_message(
            self.world,
            channel,
            author_id,
            content,
            message_id=message_id,
            timestamp=timestamp,
            reply_to=reply_to,
            attachments=attachments,
            embeds=embeds,
            allowed_mentions=allowed_mentions,
            nonce=nonce,
        )
        channel.store(message)
        self._dispatch_message("MESSAGE_CREATE", channel, message)
        return message

    def _dispatch_message(self, event: str, channel: ChannelRecord, data: Json) -> None:
        intent = p.DIRECT_MESSAGES if channel.guild_id is None else p.GUILD_MESSAGES
        self.gateway.dispatch(event, data, intent, guild_id=channel.guild_id, message=True)

    def bot_sends(
        self,
        channel: ChannelRecord,
        content: str,
        *,
        reply_to: Json | None,
        files: Sequence[tuple[str, bytes]],
        embeds: Sequence[Json],
        allowed_mentions: Json | None,
        nonce: Any,
    ) -> Json:
        """A message the bot sent through REST: stored, echoed on the gateway, recorded in sent."""
        message = self._create(
            channel,
            self.bot_user_id,
            content,
            message_id=snowflake(),
            timestamp=iso(),
            reply_to=reply_to,
            files=files,
            embeds=embeds,
            allowed_mentions=allowed_mentions,
            nonce=nonce,
        )
        self.sent.append(
            SentMessage(
                channel_id=channel.id,
                content=content,
                is_dm=channel.kind == "dm",
                recipient_id=channel.recipient_id,
                message_id=message["id"],
                guild_id=channel.guild_id,
                reply_to=reply_to["id"] if reply_to else None,
                attachments=tuple(name for name, _ in files),
                embeds=tuple(embeds),
            )
        )
        return message

    async def flood(
        self, channel_id: str, author_id: str, count: int, *, text: str = "flood message"
    ) -> list[str]:
        """Post ``count`` messages ``"{text} {n}"`` (n from 0) as fast as possible; returns ids.

        Dispatch is synchronous, so this only yields to the loop every 100 messages to let the
        socket writers (and a client in the same loop) run; call :meth:`drain` to wait for the
        last frames to be written.
        """
        ids = []
        for number in range(count):
            ids.append(self._post(channel_id, author_id, f"{text} {number}")["id"])
            if number % 100 == 99:
                await asyncio.sleep(0)
        return ids

    async def edit_message(self, channel_id: str, message_id: str, content: str) -> None:
        """The author edits a message (MESSAGE_UPDATE with the full new message)."""
        channel = self.world.channel(channel_id)
        if message_id not in channel.messages:
            raise UnknownObjectError(f"no message {message_id!r} in channel {channel_id!r}")
        self.edit_stored(channel, message_id, content)

    def edit_stored(
        self,
        channel: ChannelRecord,
        message_id: str,
        content: str,
        *,
        embeds: list[Json] | None = None,
    ) -> Json:
        old = channel.messages[message_id]
        new = build_message(
            self.world,
            channel,
            old["author"]["id"],
            content,
            message_id=message_id,
            timestamp=old["timestamp"],
            reply_to=old.get("referenced_message"),
            attachments=old["attachments"],
            embeds=old["embeds"] if embeds is None else embeds,
        )
        new["edited_timestamp"] = iso()
        channel.messages[message_id] = new
        self._dispatch_message("MESSAGE_UPDATE", channel, new)
        return new

    async def delete_message(self, channel_id: str, message_id: str) -> None:
        channel = self.world.channel(channel_id)
        if message_id not in channel.messages:
            raise UnknownObjectError(f"no message {message_id!r} in channel {channel_id!r}")
        self.delete_stored(channel, message_id)

    def delete_stored(self, channel: ChannelRecord, message_id: str) -> None:
        channel.remove(message_id)
        data: Json = {"id": message_id, "channel_id": channel.id}
        if channel.guild_id is not None:
            data["guild_id"] = channel.guild_id
        intent = p.DIRECT_MESSAGES if channel.guild_id is None else p.GUILD_MESSAGES
        self.gateway.dispatch("MESSAGE_DELETE", data, intent, guild_id=channel.guild_id)

    def messages(self, channel_id: str) -> list[Json]:
        """Every stored message of a channel, oldest first (full content)."""
        channel = self.world.channel(channel_id)
        return [channel.messages[str(i)] for i in channel.ordered]

    # ---- members, presence, voice

    async def member_join(
        self, guild_id: str, user_id: str, *, nick: str | None = None, status: str = "online"
    ) -> None:
        """``user_id`` joins: GUILD_MEMBER_ADD, then PRESENCE_UPDATE unless offline."""
        guild = self.world.guild(guild_id)
        self._new_member(guild, user_id, nick, (), status)
        self._member_added(guild, user_id)
        if status != "offline":
            self._presence(guild, user_id)

    async def member_leave(self, guild_id: str, user_id: str) -> None:
        """``user_id`` leaves (leaving voice first if there); GUILD_MEMBER_REMOVE."""
        guild = self.world.guild(guild_id)
        self.world.member(guild_id, user_id)
        if user_id in guild.voice:
            await self.voice_leave(guild_id, user_id)
        del guild.members[user_id]
        data = {"guild_id": guild_id, "user": self.world.users[user_id].payload()}
        self.gateway.dispatch("GUILD_MEMBER_REMOVE", data, p.GUILD_MEMBERS, guild_id=guild_id)

    async def member_update(
        self, guild_id: str, user_id: str, *, nick: str | None, roles: Sequence[str] | None = None
    ) -> None:
        """Change a member's nick (None clears it) and optionally roles; GUILD_MEMBER_UPDATE."""
        guild = self.world.guild(guild_id)
        member = self.world.member(guild_id, user_id)
        if roles is not None:
            unknown = [r for r in roles if r not in guild.roles]
            if unknown:
                raise UnknownObjectError(f"roles {unknown} are not in guild {guild_id!r}")
            member.roles = list(roles)
        member.nick = nick
        data = self.world.member_payload(guild, user_id) | {"guild_id": guild_id}
        # Discord sends the bot's own member updates even without GUILD_MEMBERS
        intent = 0 if user_id == self.bot_user_id else p.GUILD_MEMBERS
        self.gateway.dispatch("GUILD_MEMBER_UPDATE", data, intent, guild_id=guild_id)

    async def set_presence(
        self, guild_id: str, user_id: str, status: str, *, activity: str | None = None
    ) -> None:
        """Status "online", "idle", "dnd" or "offline" (and a game name); PRESENCE_UPDATE."""
        _check_status(status)
        guild = self.world.guild(guild_id)
        member = self.world.member(guild_id, user_id)
        member.status, member.activity = status, activity
        self._presence(guild, user_id)

    def _presence(self, guild: GuildRecord, user_id: str) -> None:
        data = self.world.presence_payload(guild, user_id)
        self.gateway.dispatch("PRESENCE_UPDATE", data, p.GUILD_PRESENCES, guild_id=guild.id)

    async def voice_join(self, guild_id: str, user_id: str, channel_id: str) -> None:
        """Join (or move to) a voice or stage channel; VOICE_STATE_UPDATE."""
        guild = self.world.guild(guild_id)
        self.world.member(guild_id, user_id)
        channel = guild.channels.get(channel_id)
        if channel is None or channel.kind not in ("voice", "stage"):
            raise ValueError(f"channel {channel_id!r} is not a voice/stage channel of {guild_id!r}")
        guild.voice[user_id] = channel_id
        guild.voice_sessions.setdefault(user_id, snowflake())
        self._voice(guild, user_id)

    async def voice_leave(self, guild_id: str, user_id: str) -> None:
        guild = self.world.guild(guild_id)
        if user_id not in guild.voice:
            raise ValueError(f"user {user_id!r} is not in a voice channel of {guild_id!r}")
        del guild.voice[user_id]
        self._voice(guild, user_id)
        guild.voice_sessions.pop(user_id, None)

    def _voice(self, guild: GuildRecord, user_id: str) -> None:
        data = self.world.voice_state_payload(guild, user_id)
        self.gateway.dispatch("VOICE_STATE_UPDATE", data, p.GUILD_VOICE_STATES, guild_id=guild.id)

    # ---- threads and scheduled events

    async def create_thread(
        self, channel_id: str, name: str, *, author_id: str, starter_message_id: str | None = None
    ) -> str:
        """A public thread in a text channel, or a post in a forum channel; THREAD_CREATE.

        With ``starter_message_id`` the thread gets that message's id, as on Discord. For a
        forum post, the first ``post_message`` into the thread becomes its starter message.
        """
        parent = self.world.channel(channel_id)
        if parent.guild_id is not None:
            self.world.member(parent.guild_id, author_id)
        if starter_message_id is not None and starter_message_id not in parent.messages:
            raise UnknownObjectError(f"no message {starter_message_id!r} in channel {channel_id!r}")
        if starter_message_id is not None and starter_message_id in self.world.channels:
            raise ValueError(f"message {starter_message_id!r} already has a thread")
        thread = self.world.add_thread(parent, name, author_id, starter_message_id)
        data = self.world.channel_payload(thread) | {"newly_created": True}
        self.gateway.dispatch("THREAD_CREATE", data, p.GUILDS, guild_id=thread.guild_id)
        return thread.id

    async def schedule_event(
        self,
        guild_id: str,
        name: str,
        *,
        start: datetime,
        end: datetime | None = None,
        channel_id: str | None = None,
        description: str = "",
        location: str | None = None,
    ) -> str:
        """A scheduled event (in a voice/stage channel, or external at ``location``)."""
        guild = self.world.guild(guild_id)
        if channel_id is not None and channel_id not in guild.channels:
            raise UnknownObjectError(f"channel {channel_id!r} is not in guild {guild_id!r}")
        event = self.world.scheduled_event_payload(
            guild,
            name,
            start=start,
            end=end,
            channel_id=channel_id,
            description=description,
            location=location,
        )
        guild.events[event["id"]] = event
        self.gateway.dispatch(
            "GUILD_SCHEDULED_EVENT_CREATE", event, p.GUILD_SCHEDULED_EVENTS, guild_id=guild_id
        )
        return str(event["id"])

    async def update_scheduled_event(self, guild_id: str, event_id: str, *, status: str) -> None:
        """Move an event to "active", "completed" or "canceled"; GUILD_SCHEDULED_EVENT_UPDATE."""
        guild = self.world.guild(guild_id)
        if status not in EVENT_STATUSES:
            raise ValueError(f"unknown event status {status!r}: use {sorted(EVENT_STATUSES)}")
        event = guild.events.get(event_id)
        if event is None:
            raise UnknownObjectError(f"no scheduled event {event_id!r} in guild {guild_id!r}")
        event["status"] = EVENT_STATUSES[status]
        self.gateway.dispatch(
            "GUILD_SCHEDULED_EVENT_UPDATE", event, p.GUILD_SCHEDULED_EVENTS, guild_id=guild_id
        )


def _check_status(status: str) -> None:
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}: use one of {', '.join(STATUSES)}")
