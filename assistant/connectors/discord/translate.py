"""Discord traffic (discord.py objects) into Presence events: pure functions, no I/O.

Naming, decided once here so that sessions and summaries group correctly:

* A guild channel is named ``"#" + its name`` (``#general``; a voice or stage channel keeps
  its spaces and capitals: ``#Office Hours``). Names are compared case-folded downstream.
* A thread or a forum post is recorded under its **parent** channel: a thread spun off during
  office hours belongs to that session, its lines count in the parent's attendance, and a
  private parent keeps its threads private. The first message of a forum post carries the
  post's title as its first line, so the subject is not lost.
* A direct message to Presence has ``channel=None`` (private, never part of a transcript).
* An identity is the Discord user: ``nick`` is the display name there (server nickname, else
  global name, else user name) and ``user_id`` (the identity key) is the snowflake as a string.

Mention markup is resolved to names (``<@id>`` → ``@name``, ``<@&id>`` → ``@role``, ``<#id>``
→ ``#channel``, ``<:name:id>`` → ``:name:``), attachments and embeds are appended as links, and
the discord.py object the event came from is kept in ``raw``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Literal

import discord

from assistant.events import (
    Event,
    EventScheduled,
    Identity,
    MemberJoined,
    MemberLeft,
    MessageDeleted,
    MessageEdited,
    MessageReceived,
    NickChanged,
    PresenceChanged,
    utcnow,
)

__all__ = [
    "MAX_MESSAGE",
    "PLATFORM",
    "channel_name",
    "event_scheduled",
    "home_channel",
    "identity",
    "member_joined",
    "member_left",
    "message_deleted",
    "message_edited",
    "message_received",
    "message_text",
    "nick_changed",
    "presence_changed",
    "resolve_markup",
    "split_message",
    "voice_changed",
]

PLATFORM = "discord"
MAX_MESSAGE = 2000
"""Discord refuses message content longer than this many characters."""

_MENTION = re.compile(r"<(@!?|@&|#)(\d{15,21})>")
_EMOJI = re.compile(r"<a?:(\w{1,32}):\d{15,21}>")
_SPOKEN = (discord.MessageType.default, discord.MessageType.reply)
_Status = Literal["scheduled", "active", "completed", "cancelled"]
_STATUS: dict[discord.EventStatus, _Status] = {
    discord.EventStatus.scheduled: "scheduled",
    discord.EventStatus.active: "active",
    discord.EventStatus.completed: "completed",
    discord.EventStatus.canceled: "cancelled",
}
_UNKNOWN_AUTHOR = "(unknown)"  # a deleted message discord.py no longer had in its cache

Lookup = Callable[[int], str | None]
User = discord.User | discord.Member
Place = discord.abc.GuildChannel | discord.Thread


def identity(network: str, user: discord.abc.User) -> Identity:
    """The identity of a Discord user on ``network``: display name, keyed by user id."""
    return Identity(
        platform=PLATFORM, network=network, nick=user.display_name, user_id=str(user.id)
    )


def home_channel(channel: Place) -> discord.abc.GuildChannel | None:
    """The channel a message's place is recorded under: itself, or a thread's parent."""
    if isinstance(channel, discord.Thread):
        return channel.parent
    return channel


def channel_name(channel: Place) -> str:
    """The event channel name of a guild channel or thread (a thread: its parent's)."""
    home = home_channel(channel)
    if home is None:  # a thread whose parent is not cached: keep it apart rather than guess
        return f"#{channel.name}"
    return f"#{home.name}"


def resolve_markup(content: str, users: Lookup, roles: Lookup, channels: Lookup) -> str:
    """Replace Discord's mention and custom-emoji markup with readable names.

    Each lookup maps a snowflake to a name (without its ``@``/``#``), or None when unknown.
    """

    def mention(match: re.Match[str]) -> str:
        kind, snowflake = match[1], int(match[2])
        if kind == "#":
            return f"#{channels(snowflake) or 'unknown-channel'}"
        if kind == "@&":
            return f"@{roles(snowflake) or 'unknown-role'}"
        return f"@{users(snowflake) or 'unknown-user'}"

    return _EMOJI.sub(r":\1:", _MENTION.sub(mention, content))


def message_text(message: discord.Message) -> str:
    """The message as readable text: names for markup, then attachment and embed links."""
    text = message.content
    if "<" in text:  # most lines have no markup: skip the lookups (a flood's hot path)
        text = _resolved(message, text)
    if not message.attachments and not message.embeds:
        return text
    links = [attachment.url for attachment in message.attachments]
    links += [embed.url for embed in message.embeds if embed.url and embed.url not in text]
    return " ".join(part for part in (text, *links) if part)


def _resolved(message: discord.Message, content: str) -> str:
    """``content`` with its markup resolved through the message's mentions and its guild."""
    guild = message.guild
    mentioned = {user.id: user.display_name for user in message.mentions}
    roles = {role.id: role.name for role in message.role_mentions}

    def user_name(snowflake: int) -> str | None:
        if snowflake in mentioned:
            return mentioned[snowflake]
        member = guild.get_member(snowflake) if guild is not None else None
        return member.display_name if member is not None else None

    def role_name(snowflake: int) -> str | None:
        if snowflake in roles:
            return roles[snowflake]
        role = guild.get_role(snowflake) if guild is not None else None
        return role.name if role is not None else None

    def channel_of(snowflake: int) -> str | None:
        found = guild.get_channel_or_thread(snowflake) if guild is not None else None
        return found.name if found is not None else None

    return resolve_markup(content, user_name, role_name, channel_of)


def _place(message: discord.Message) -> Place | None:
    """The guild channel or thread a message was posted in (None for DMs and unknowns)."""
    channel = message.channel
    if isinstance(channel, discord.abc.GuildChannel | discord.Thread):
        return channel
    return None


def _forum_title(message: discord.Message) -> str | None:
    """A forum post's title, when ``message`` is the post's first message."""
    channel = message.channel
    if (
        isinstance(channel, discord.Thread)
        and channel.id == message.id
        and isinstance(channel.parent, discord.ForumChannel)
    ):
        return channel.name
    return None


def message_received(
    network: str, message: discord.Message, *, backfill: bool = False
) -> MessageReceived | None:
    """A member's message (or a DM to Presence), or None for system messages."""
    if message.type not in _SPOKEN:
        return None
    text = message_text(message)
    title = _forum_title(message)
    if title is not None:
        text = f"{title}\n{text}" if text else title
    reference = message.reference
    reply_to = None
    if message.type is discord.MessageType.reply and reference is not None:
        reply_to = str(reference.message_id) if reference.message_id is not None else None
    place = _place(message)
    if place is None and not isinstance(message.channel, discord.DMChannel):
        return None  # a group DM, or a guild channel discord.py does not know
    return MessageReceived(
        platform=PLATFORM,
        network=network,
        timestamp=message.created_at,
        raw=message,
        channel=channel_name(place) if place is not None else None,
        actor=identity(network, message.author),
        text=text,
        message_id=str(message.id),
        reply_to=reply_to,
        backfill=backfill,
    )


def message_edited(network: str, update: discord.RawMessageUpdateEvent) -> MessageEdited | None:
    """An edit of a guild message's content; None for embed-only updates and DMs."""
    message = update.message
    place = _place(message)
    if place is None or "content" not in update.data:
        return None  # Discord also sends MESSAGE_UPDATE when it adds a link preview
    return MessageEdited(
        platform=PLATFORM,
        network=network,
        timestamp=message.edited_at or utcnow(),
        raw=update.data,
        channel=channel_name(place),
        actor=identity(network, message.author),
        message_id=str(message.id),
        text=message_text(message),
    )


def message_deleted(
    network: str, message_id: int, channel: Place, cached: discord.Message | None = None
) -> MessageDeleted:
    """A deleted message; the author is known only when discord.py still had it cached."""
    actor = identity(network, cached.author) if cached is not None else _unknown(network)
    return MessageDeleted(
        platform=PLATFORM,
        network=network,
        timestamp=utcnow(),
        raw=cached,
        channel=channel_name(channel),
        actor=actor,
        message_id=str(message_id),
    )


def _unknown(network: str) -> Identity:
    return Identity(platform=PLATFORM, network=network, nick=_UNKNOWN_AUTHOR)


def member_joined(
    network: str,
    member: discord.Member,
    channels: Iterable[discord.abc.GuildChannel],
    *,
    already_present: bool = False,
    at: datetime | None = None,
) -> list[MemberJoined]:
    """A member in each text channel of ``channels`` they can read (their server arrival)."""
    when = at or (member.joined_at if not already_present else None) or utcnow()
    who = identity(network, member)
    return [
        MemberJoined(
            platform=PLATFORM,
            network=network,
            timestamp=when,
            raw=member,
            channel=channel_name(channel),
            actor=who,
            already_present=already_present,
        )
        for channel in channels
        if channel.permissions_for(member).read_messages
    ]


def member_left(network: str, user: discord.abc.User, *, reason: str = "") -> MemberLeft:
    """Someone left (or was removed from) the server: every stay of theirs ends."""
    return MemberLeft(
        platform=PLATFORM,
        network=network,
        timestamp=utcnow(),
        raw=user,
        channel=None,
        actor=identity(network, user),
        kind="part",
        reason=reason or "left the server",
    )


def nick_changed(network: str, before: User, after: User) -> NickChanged | None:
    """A change of display name (server nickname or global name); the key stays the user id."""
    if before.display_name == after.display_name:
        return None
    return NickChanged(
        platform=PLATFORM,
        network=network,
        timestamp=utcnow(),
        raw=after,
        actor=identity(network, before),
        new_nick=after.display_name,
    )


def presence_changed(
    network: str, before: discord.Member, after: discord.Member
) -> PresenceChanged | None:
    """An online/idle/dnd/offline change (activity changes alone are not news)."""
    if before.status == after.status:
        return None
    custom = next((a for a in after.activities if isinstance(a, discord.CustomActivity)), None)
    return PresenceChanged(
        platform=PLATFORM,
        network=network,
        timestamp=utcnow(),
        raw=after,
        actor=identity(network, after),
        status=str(after.status),
        message=(custom.name or "") if custom is not None else "",
    )


def _via(channel: discord.abc.GuildChannel) -> Literal["voice", "stage"]:
    return "stage" if isinstance(channel, discord.StageChannel) else "voice"


def voice_changed(
    network: str,
    member: discord.Member,
    before: discord.abc.GuildChannel | None,
    after: discord.abc.GuildChannel | None,
    selected: Callable[[discord.abc.GuildChannel], bool],
    *,
    already_present: bool = False,
) -> list[Event]:
    """Leaving ``before`` and joining ``after`` (voice or stage), where each is ``selected``."""
    if before is not None and after is not None and before.id == after.id:
        return []  # mute, deafen, video: not a move
    who = identity(network, member)
    now = utcnow()
    events: list[Event] = []
    if before is not None and selected(before):
        events.append(
            MemberLeft(
                platform=PLATFORM,
                network=network,
                timestamp=now,
                raw=member,
                channel=channel_name(before),
                actor=who,
                kind="part",
                via=_via(before),
            )
        )
    if after is not None and selected(after):
        events.append(
            MemberJoined(
                platform=PLATFORM,
                network=network,
                timestamp=now,
                raw=member,
                channel=channel_name(after),
                actor=who,
                already_present=already_present,
                via=_via(after),
            )
        )
    return events


def event_scheduled(
    network: str, event: discord.ScheduledEvent, *, deleted: bool = False
) -> EventScheduled:
    """A scheduled event as announced, changed, started, ended, cancelled or deleted."""
    place = event.channel
    status: _Status = "cancelled" if deleted else _STATUS.get(event.status, "scheduled")
    return EventScheduled(
        platform=PLATFORM,
        network=network,
        timestamp=utcnow(),
        raw=event,
        event_id=str(event.id),
        name=event.name,
        channel=channel_name(place) if place is not None else None,
        starts_at=event.start_time,
        ends_at=event.end_time,
        status=status,
        description=event.description or "",
        location=event.location or "",
    )


def split_message(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` characters, in order.

    Cuts at the last blank line that fits, else the last line break, when either leaves a
    piece at least half full; else at the last space; else hard at ``limit``. The whitespace
    at a cut is dropped, and blank pieces are skipped (Discord refuses them).
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = window.rfind("\n\n")
        if cut < limit // 2:
            cut = window.rfind("\n")
        if cut < limit // 2:
            cut = max(window.rfind(" "), window.rfind("\t"))
        if cut <= 0:
            cut = limit
        piece, rest = rest[:cut].rstrip(), rest[cut:].lstrip()
        if piece:
            pieces.append(piece)
    if rest:
        pieces.append(rest)
    return pieces
