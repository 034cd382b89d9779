"""Message objects: building them from content markup, hiding content by intent, reading history.

Mentions are parsed from the content the way Discord does it (``<@id>``, ``<@!id>``, ``<@&role>``,
``<#channel>``, ``@everyone``/``@here``), honouring ``allowed_mentions`` for what the bot sends, and
a reply carries ``message_reference`` plus the resolved ``referenced_message``. The history
query reproduces Discord's ``GET /channels/{id}/messages`` paging: newest first, ``limit`` 1..100.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from typing import Any

from assistant.testing.discord.protocol import Json
from assistant.testing.discord.world import ChannelRecord, World

_USER = re.compile(r"<@!?(\d+)>")
_ROLE = re.compile(r"<@&(\d+)>")
_CHANNEL = re.compile(r"<#(\d+)>")
_HIDDEN = {"content": "", "embeds": [], "attachments": [], "components": []}

MESSAGE_TYPE_DEFAULT = 0
MESSAGE_TYPE_REPLY = 19


def attachment_payload(attachment_id: str, filename: str, size: int, url: str) -> Json:
    """An attachment object; ``url`` points back at the emulator, which serves the bytes."""
    return {
        "id": attachment_id,
        "filename": filename,
        "size": size,
        "url": url,
        "proxy_url": url,
        "content_type": _content_type(filename),
        "width": None,
        "height": None,
        "ephemeral": False,
    }


def _content_type(filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    known = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif"}
    known |= {"txt": "text/plain; charset=utf-8", "json": "application/json"}
    return known.get(suffix, "application/octet-stream")


def build_message(
    world: World,
    channel: ChannelRecord,
    author_id: str,
    content: str,
    *,
    message_id: str,
    timestamp: str,
    reply_to: Json | None = None,
    attachments: Sequence[Json] = (),
    embeds: Sequence[Json] = (),
    allowed_mentions: Json | None = None,
    nonce: Any = None,
) -> Json:
    """A complete message object as MESSAGE_CREATE and REST carry it."""
    guild = world.guilds.get(channel.guild_id) if channel.guild_id else None
    users_ok, roles_ok, everyone_ok, replied_ok = _allowed(allowed_mentions)
    markup = "<" in content  # most messages have none: skip the regular expressions
    mentioned: list[str] = []
    for user_id in _USER.findall(content) if markup else ():
        if user_id in world.users and user_id not in mentioned and users_ok(user_id):
            mentioned.append(user_id)
    if reply_to is not None and replied_ok:
        replied_author = reply_to["author"]["id"]
        if replied_author not in mentioned and replied_author != author_id:
            mentioned.append(replied_author)
    mentions: list[Json] = []
    for user_id in mentioned:
        user = world.users[user_id].payload()
        if guild is not None and user_id in guild.members:
            user["member"] = world.member_payload(guild, user_id, with_user=False)
        mentions.append(user)
    roles: list[str] = []
    channels: list[Json] = []
    if guild is not None and markup:
        for role_id in _ROLE.findall(content):
            if role_id in guild.roles and role_id not in roles and roles_ok(role_id):
                roles.append(role_id)
        for channel_id in dict.fromkeys(_CHANNEL.findall(content)):
            mentioned_channel = world.channels.get(channel_id)
            if mentioned_channel is not None and mentioned_channel.guild_id is not None:
                channels.append(
                    {
                        "id": channel_id,
                        "guild_id": mentioned_channel.guild_id,
                        "type": world.channel_payload(mentioned_channel)["type"],
                        "name": mentioned_channel.name,
                    }
                )
    message: Json = {
        "id": message_id,
        "channel_id": channel.id,
        "author": world.users[author_id].payload(),
        "content": content,
        "timestamp": timestamp,
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": everyone_ok and ("@everyone" in content or "@here" in content),
        "mentions": mentions,
        "mention_roles": roles,
        "mention_channels": channels,
        "attachments": list(attachments),
        "embeds": list(embeds),
        "components": [],
        "pinned": False,
        "type": MESSAGE_TYPE_DEFAULT,
        "flags": 0,
    }
    if guild is not None:
        message["guild_id"] = guild.id
        if author_id in guild.members:
            message["member"] = world.member_payload(guild, author_id, with_user=False)
    if nonce is not None:
        message["nonce"] = nonce
    if reply_to is not None:
        message["type"] = MESSAGE_TYPE_REPLY
        reference: Json = {
            "type": 0,
            "message_id": reply_to["id"],
            "channel_id": reply_to["channel_id"],
        }
        if "guild_id" in reply_to:
            reference["guild_id"] = reply_to["guild_id"]
        message["message_reference"] = reference
        message["referenced_message"] = {
            k: v for k, v in reply_to.items() if k != "referenced_message"
        }
    return message


def _allowed(allowed: Json | None) -> tuple[Any, Any, bool, bool]:
    """Predicates for which user and role mentions ping, per Discord's allowed_mentions rules."""
    if allowed is None:
        return (lambda _: True), (lambda _: True), True, True
    parse = set(allowed.get("parse") or ())
    users = {str(u) for u in allowed.get("users") or ()}
    roles = {str(r) for r in allowed.get("roles") or ()}
    return (
        (lambda u: "users" in parse or u in users),
        (lambda r: "roles" in parse or r in roles),
        "everyone" in parse,
        bool(allowed.get("replied_user", False)),
    )


def content_visible(message: Json, bot_id: str) -> bool:
    """Whether an app without MESSAGE_CONTENT still sees this message's content.

    Discord's rule: content, embeds, attachments and components stay for messages the app
    sent, DMs with the app, and messages that mention the app.
    """
    if "guild_id" not in message or message["author"]["id"] == bot_id:
        return True
    return any(m["id"] == bot_id for m in message["mentions"])


def hide_content(message: Json, bot_id: str) -> Json:
    """The message as an app without the MESSAGE_CONTENT intent receives it."""
    hidden = message if content_visible(message, bot_id) else message | _HIDDEN
    referenced = message.get("referenced_message")
    if referenced and not content_visible(referenced, bot_id):
        hidden = hidden | {"referenced_message": referenced | _HIDDEN}
    return hidden


def history(
    channel: ChannelRecord,
    *,
    limit: int,
    before: int | None = None,
    after: int | None = None,
    around: int | None = None,
) -> list[Json]:
    """Stored messages as Discord pages them: at most ``limit``, newest first.

    ``after`` gives the ``limit`` oldest messages after that id; ``before`` (or nothing) the
    newest ones before it; ``around`` the messages centred on that id.
    """
    ids = channel.ordered
    if around is not None:
        centre = bisect.bisect_left(ids, around)
        start = max(0, centre - limit // 2)
        chosen = ids[start : start + limit]
    elif after is not None:
        start = bisect.bisect_right(ids, after)
        end = bisect.bisect_left(ids, before) if before is not None else len(ids)
        chosen = ids[start : min(end, start + limit)]
    else:
        end = bisect.bisect_left(ids, before) if before is not None else len(ids)
        chosen = ids[max(0, end - limit) : end]
    return [channel.messages[str(i)] for i in reversed(chosen)]
