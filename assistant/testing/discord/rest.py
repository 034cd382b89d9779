"""The emulated REST API (``/api/v10``): the routes discord.py calls, with Discord's error JSON.

Bodies are written with ``Content-Type: application/json`` exactly, because discord.py compares
that header for equality. A bad token gets 401 on every route; an unknown route gets 404 and is
recorded in ``unknown_routes`` so a test can see what a client asked for that is not emulated.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from assistant.testing.discord import protocol as p
from assistant.testing.discord.messages import hide_content, history
from assistant.testing.discord.protocol import Json, dumps, error_body
from assistant.testing.discord.world import ChannelRecord, GuildRecord

if TYPE_CHECKING:
    from assistant.testing.discord.emulator import DiscordEmulator

API_PREFIX = "/api/v10"


def respond(body: Any, status: int = 200) -> web.Response:
    """A JSON response discord.py accepts (exact content type, compact body)."""
    return web.Response(body=dumps(body).encode(), status=status, content_type="application/json")


class RestError(Exception):
    """A Discord REST error: raised by a route, turned into Discord's error JSON."""

    def __init__(self, status: int, code: int, message: str, errors: Json | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = error_body(code, message, errors)


def _form_error(field: str, code: str, message: str) -> RestError:
    errors = {field: {"_errors": [{"code": code, "message": message}]}}
    return RestError(400, p.INVALID_FORM_BODY, "Invalid Form Body", errors)


class Rest:
    """Route handlers over the emulator's world; mutations go through the emulator."""

    def __init__(self, emulator: DiscordEmulator) -> None:
        self.emu = emulator
        self.world = emulator.world

    def routes(self) -> list[web.RouteDef]:
        a = API_PREFIX
        return [
            web.get(f"{a}/users/@me", self.me),
            web.post(f"{a}/users/@me/channels", self.open_dm),
            web.get(f"{a}/users/{{user_id}}", self.get_user),
            web.get(f"{a}/oauth2/applications/@me", self.application),
            web.get(f"{a}/applications/@me", self.application),
            web.get(f"{a}/gateway", self.gateway),
            web.get(f"{a}/gateway/bot", self.gateway),
            web.get(f"{a}/channels/{{channel_id}}", self.get_channel),
            web.get(f"{a}/channels/{{channel_id}}/messages", self.get_messages),
            web.post(f"{a}/channels/{{channel_id}}/messages", self.create_message),
            web.get(f"{a}/channels/{{channel_id}}/messages/{{message_id}}", self.get_message),
            web.patch(f"{a}/channels/{{channel_id}}/messages/{{message_id}}", self.edit_message),
            web.delete(f"{a}/channels/{{channel_id}}/messages/{{message_id}}", self.delete_message),
            web.post(f"{a}/channels/{{channel_id}}/typing", self.typing),
            web.get(f"{a}/guilds/{{guild_id}}", self.get_guild),
            web.get(f"{a}/guilds/{{guild_id}}/channels", self.guild_channels),
            web.get(f"{a}/guilds/{{guild_id}}/roles", self.guild_roles),
            web.get(f"{a}/guilds/{{guild_id}}/members", self.guild_members),
            web.get(f"{a}/guilds/{{guild_id}}/members/{{user_id}}", self.guild_member),
            web.get(f"{a}/guilds/{{guild_id}}/scheduled-events", self.scheduled_events),
            web.get(f"{a}/guilds/{{guild_id}}/scheduled-events/{{event_id}}", self.scheduled_event),
            web.get(f"{a}/guilds/{{guild_id}}/threads/active", self.active_threads),
            web.route("*", f"{a}/{{tail:.*}}", self.unknown),
        ]

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Log the call, check the token, and turn :class:`RestError` into Discord's JSON."""
        if not request.path.startswith(API_PREFIX):
            response: web.StreamResponse = await handler(request)
            return response
        self.emu.rest_log.append((request.method, request.path[len(API_PREFIX) :]))
        if request.headers.get("Authorization") != f"Bot {self.emu.token}":
            return respond(error_body(0, "401: Unauthorized"), 401)
        try:
            response = await handler(request)
        except RestError as error:
            return respond(error.body, error.status)
        return response

    # ---- lookups

    def _channel(self, request: web.Request) -> ChannelRecord:
        channel = self.world.channels.get(request.match_info["channel_id"])
        if channel is None:
            raise RestError(404, p.UNKNOWN_CHANNEL, "Unknown Channel")
        return channel

    def _guild(self, request: web.Request) -> GuildRecord:
        guild = self.world.guilds.get(request.match_info["guild_id"])
        if guild is None:
            raise RestError(404, p.UNKNOWN_GUILD, "Unknown Guild")
        return guild

    def _message(self, channel: ChannelRecord, message_id: str) -> Json:
        message = channel.messages.get(message_id)
        if message is None:
            raise RestError(404, p.UNKNOWN_MESSAGE, "Unknown Message")
        return message

    def _visible(self, message: Json) -> Json:
        """REST hides content like the gateway does when the portal lacks MESSAGE_CONTENT."""
        if self.emu.portal_intents & p.MESSAGE_CONTENT:
            return message
        return hide_content(message, self.world.bot.id)

    @staticmethod
    def _snowflake_arg(request: web.Request, name: str) -> int | None:
        raw = request.query.get(name)
        if raw is None:
            return None
        if not raw.isdigit():
            raise _form_error(name, "NUMBER_TYPE_COERCE", f"Value {raw!r} is not snowflake.")
        return int(raw)

    # ---- users, application, gateway

    async def me(self, request: web.Request) -> web.Response:
        user = self.world.bot.payload()
        return respond(user | {"verified": True, "mfa_enabled": False, "email": None})

    async def get_user(self, request: web.Request) -> web.Response:
        user = self.world.users.get(request.match_info["user_id"])
        if user is None:
            raise RestError(404, p.UNKNOWN_USER, "Unknown User")
        return respond(user.payload())

    async def open_dm(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        recipient = str(body.get("recipient_id"))
        if recipient not in self.world.users:
            raise RestError(400, p.UNKNOWN_USER, "Unknown User")
        return respond(self.world.channel_payload(self.world.dm_channel(recipient)))

    async def application(self, request: web.Request) -> web.Response:
        bot = self.world.bot
        return respond(
            {
                "id": bot.id,
                "name": bot.name,
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "verify_key": "00" * 32,
                "owner": bot.payload(),
                "team": None,
                "flags": 0,
                "summary": "",
                "rpc_origins": [],
                "tags": [],
                "redirect_uris": [],
            }
        )

    async def gateway(self, request: web.Request) -> web.Response:
        limit = {
            "total": 1000,
            "remaining": 999,
            "reset_after": 0,
            "max_concurrency": self.emu.max_concurrency,
        }
        shards = self.emu.recommended_shards
        return respond(
            {"url": self.emu.gateway_url, "shards": shards, "session_start_limit": limit}
        )

    # ---- channels and messages

    async def get_channel(self, request: web.Request) -> web.Response:
        return respond(self.world.channel_payload(self._channel(request)))

    async def get_messages(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        await self.emu.before_history()
        raw_limit = request.query.get("limit", "50")
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 100:
            raise _form_error("limit", "NUMBER_TYPE_MAX", "limit must be between 1 and 100.")
        found = history(
            channel,
            limit=int(raw_limit),
            before=self._snowflake_arg(request, "before"),
            after=self._snowflake_arg(request, "after"),
            around=self._snowflake_arg(request, "around"),
        )
        return respond([self._visible(m) for m in found])

    async def get_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        return respond(self._visible(self._message(channel, request.match_info["message_id"])))

    async def create_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if channel.kind in ("category", "forum"):
            raise RestError(400, 50008, "Cannot send messages in a non-text channel")
        body, files = await _message_body(request)
        content = body.get("content") or ""
        if not isinstance(content, str):
            raise _form_error("content", "BASE_TYPE_STRING", "Must be a string.")
        if len(content) > p.MAX_MESSAGE_LENGTH:
            raise _form_error(
                "content",
                "BASE_TYPE_MAX_LENGTH",
                f"Must be {p.MAX_MESSAGE_LENGTH} or fewer in length.",
            )
        embeds = body.get("embeds") or []
        if not content and not embeds and not files and not body.get("sticker_ids"):
            raise RestError(400, p.EMPTY_MESSAGE, "Cannot send an empty message")
        reply_to = None
        reference = body.get("message_reference")
        if reference:
            ref_channel = self.world.channels.get(str(reference.get("channel_id") or channel.id))
            if ref_channel is not None:
                reply_to = ref_channel.messages.get(str(reference.get("message_id")))
            if reply_to is None and reference.get("fail_if_not_exists", True):
                raise _form_error("message_reference", "REPLIES_UNKNOWN_MESSAGE", "Unknown message")
        message = self.emu.bot_sends(
            channel,
            content,
            reply_to=reply_to,
            files=files,
            embeds=embeds,
            allowed_mentions=body.get("allowed_mentions"),
            nonce=body.get("nonce"),
        )
        return respond(message)

    async def edit_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        message = self._message(channel, request.match_info["message_id"])
        if message["author"]["id"] != self.world.bot.id:
            raise RestError(
                403, p.CANNOT_EDIT_OTHERS_MESSAGE, "Cannot edit a message authored by another user"
            )
        body = await _json_body(request)
        content = body.get("content")
        if isinstance(content, str) and len(content) > p.MAX_MESSAGE_LENGTH:
            raise _form_error(
                "content",
                "BASE_TYPE_MAX_LENGTH",
                f"Must be {p.MAX_MESSAGE_LENGTH} or fewer in length.",
            )
        if content is None:
            content = message["content"]
        updated = self.emu.edit_stored(channel, message["id"], content, embeds=body.get("embeds"))
        return respond(updated)

    async def delete_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        self._message(channel, request.match_info["message_id"])
        self.emu.delete_stored(channel, request.match_info["message_id"])
        return web.Response(status=204)

    async def typing(self, request: web.Request) -> web.Response:
        self._channel(request)
        return web.Response(status=204)

    # ---- guilds

    async def get_guild(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        payload = self.world.guild_payload(guild)
        payload["approximate_member_count"] = len(guild.members)
        return respond(payload)

    async def guild_channels(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        channels = [c for c in guild.channels.values() if c.kind != "thread"]
        return respond([self.world.channel_payload(c) for c in channels])

    async def guild_roles(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        return respond([self.world.role_payload(guild, r) for r in guild.roles])

    async def guild_members(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        if not self.emu.portal_intents & p.GUILD_MEMBERS:
            raise RestError(403, p.MISSING_ACCESS, "Missing Access")
        raw_limit = request.query.get("limit", "1")
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 1000:
            raise _form_error("limit", "NUMBER_TYPE_MAX", "limit must be between 1 and 1000.")
        limit = int(raw_limit)
        after = self._snowflake_arg(request, "after") or 0
        ids = sorted(int(u) for u in guild.members if int(u) > after)[:limit]
        return respond([self.world.member_payload(guild, str(u)) for u in ids])

    async def guild_member(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        user_id = request.match_info["user_id"]
        if user_id not in guild.members:
            raise RestError(404, p.UNKNOWN_MEMBER, "Unknown Member")
        return respond(self.world.member_payload(guild, user_id))

    async def scheduled_events(self, request: web.Request) -> web.Response:
        return respond(list(self._guild(request).events.values()))

    async def scheduled_event(self, request: web.Request) -> web.Response:
        event = self._guild(request).events.get(request.match_info["event_id"])
        if event is None:
            raise RestError(404, p.UNKNOWN_EVENT, "Unknown Guild Scheduled Event")
        return respond(event)

    async def active_threads(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        threads = [c for c in guild.channels.values() if c.kind == "thread"]
        payloads = [self.world.channel_payload(c) for c in threads]
        return respond({"threads": payloads, "members": []})

    async def unknown(self, request: web.Request) -> web.Response:
        route = (request.method, request.path[len(API_PREFIX) :])
        self.emu.unknown_routes.append(route)
        message = f"404: Not Found ({route[0]} {route[1]} is not emulated)"
        return respond(error_body(0, message), 404)


async def _json_body(request: web.Request) -> Json:
    try:
        body = await request.json() if request.can_read_body else {}
    except ValueError:
        raise RestError(400, 50109, "The request body contains invalid JSON.") from None
    if not isinstance(body, dict):
        raise RestError(400, 50109, "The request body contains invalid JSON.")
    return body


async def _message_body(request: web.Request) -> tuple[Json, list[tuple[str, bytes]]]:
    """The JSON part and the uploaded files of a message create (JSON or multipart)."""
    if not request.content_type.startswith("multipart/"):
        return await _json_body(request), []
    reader = await request.multipart()
    body: Json = {}
    files: list[tuple[str, bytes]] = []
    while True:
        part = await reader.next()
        if part is None:
            break
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == "payload_json":
            try:
                body = json.loads(await part.text())
            except ValueError:
                raise RestError(400, 50109, "The request body contains invalid JSON.") from None
        elif part.filename:
            files.append((part.filename, bytes(await part.read())))
    return body, files
