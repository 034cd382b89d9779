"""A Discord gateway + REST emulator on 127.0.0.1 that an unmodified discord.py client runs against.

Tests script a guild (:meth:`DiscordEmulator.add_guild`, ``add_channel``, ``add_member``, ...)
and then drive what other people do (``post_message``, ``member_join``, ``voice_join``, ...);
every change is dispatched to connected sessions filtered by their intents as Discord documents.
What the bot sent is recorded in :attr:`DiscordEmulator.sent`. The emulator binds an ephemeral
port; :meth:`DiscordEmulator.point_discord_py_here` redirects discord.py's two process-global
URLs to it for the duration of a ``with`` block.

Sharding is Discord's: an IDENTIFY with ``shard: [id, count]`` gets a READY (and events) for
the guilds with ``(guild_id >> 22) % count == id`` only, each shard its own session, heartbeats
and RESUME; ``GET /gateway/bot`` recommends :attr:`DiscordEmulator.recommended_shards`; a
session over :attr:`DiscordEmulator.guilds_per_shard` guilds is closed with 4011.
``add_guild(name, shard=(id, count))`` places a guild on a shard and
``drop_connections(shard_id=...)`` drops one shard's sockets.

Faults for chaos tests: ``drop_connections`` (no close frame), ``close_connections(code)``
(a 4000-series close), ``close_on_history(code)`` (that close in the middle of a backfill),
``make_zombies`` (heartbeats no longer acknowledged), ``request_reconnect`` (op 7) and
``invalidate_sessions(resumable=...)`` (op 9).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from types import TracebackType

import discord
import discord.gateway
import discord.http
import yarl
from aiohttp import web

from assistant.testing.discord import protocol as p
from assistant.testing.discord.actions import Actions, SentMessage
from assistant.testing.discord.gateway import Gateway
from assistant.testing.discord.protocol import Json, op_frame
from assistant.testing.discord.rest import Rest
from assistant.testing.discord.world import World

__all__ = ["DiscordEmulator", "SentMessage"]

_STOP_TIMEOUT = 2.0


class DiscordEmulator(Actions):
    """Gateway and REST on one ephemeral 127.0.0.1 port; ``async with`` starts and stops it.

    The scripting methods (``add_guild``, ``post_message``, ``member_join``, ...) come from
    :class:`~assistant.testing.discord.actions.Actions`.
    """

    def __init__(
        self,
        *,
        token: str = "emulator-token",
        portal_intents: discord.Intents | None = None,
        bot_name: str = "presence",
    ) -> None:
        self.token = token
        # privileged intents switched on "in the developer portal"; None means all of them
        self.portal_intents = p.PRIVILEGED if portal_intents is None else portal_intents.value
        self.world = World(bot_name)
        self.bot_user_id = self.world.bot.id
        self.gateway = Gateway(self.world, token, self.portal_intents)
        self.sent: list[SentMessage] = []
        self.rest_log: list[tuple[str, str]] = []  # (method, path below /api/v10)
        self.unknown_routes: list[tuple[str, str]] = []
        self.api_base = ""
        self.gateway_url = ""
        self.base_url = ""
        self._files: dict[str, bytes] = {}  # attachment id -> bytes
        self._recommended_shards: int | None = None
        self.max_concurrency = 1
        """``session_start_limit.max_concurrency``: shards that may IDENTIFY per 5 s window."""
        self._runner: web.AppRunner | None = None
        self.history_close: tuple[int, bool, int, bool] | None = None
        """Set by :meth:`close_on_history`: code, forget sessions, requests to let by, pause."""

    # ---- counters and settings (live on the gateway)

    @property
    def heartbeat_interval_ms(self) -> int:
        """Sent in HELLO; lower it (e.g. 1000) before the client connects to stress heartbeats."""
        return self.gateway.heartbeat_interval_ms

    @heartbeat_interval_ms.setter
    def heartbeat_interval_ms(self, value: int) -> None:
        if value < 100:
            raise ValueError(f"heartbeat_interval_ms={value} is too small: use 100 or more")
        self.gateway.heartbeat_interval_ms = value

    @property
    def heartbeat_grace_s(self) -> float:
        """Minimum slack past the interval before a heartbeat counts as missed (default 1 s)."""
        return self.gateway.heartbeat_grace

    @heartbeat_grace_s.setter
    def heartbeat_grace_s(self, value: float) -> None:
        self.gateway.heartbeat_grace = value

    @property
    def heartbeats_missed(self) -> int:
        """Times a connection went longer than the interval (plus grace) without a heartbeat."""
        return self.gateway.heartbeats_missed

    @property
    def heartbeats_received(self) -> int:
        return self.gateway.heartbeats_received

    @property
    def events_replayed(self) -> int:
        """Events sent again on RESUME because the client had not received them."""
        return self.gateway.events_replayed

    @property
    def identify_count(self) -> int:
        return self.gateway.identify_count

    @property
    def resume_count(self) -> int:
        return self.gateway.resume_count

    @property
    def identifies(self) -> list[Json]:
        """Every IDENTIFY payload received (token removed): intents, properties, shard."""
        return self.gateway.identifies

    @property
    def identified_at(self) -> list[float]:
        """When each of :attr:`identifies` arrived (event loop time), to check their pacing."""
        return self.gateway.identified_at

    @property
    def readies(self) -> list[tuple[tuple[int, int], list[str]]]:
        """Every READY sent: the session's ``(shard_id, shard_count)`` and the guild ids in it."""
        return self.gateway.readies

    @property
    def bot_presences(self) -> list[Json]:
        """Every presence the bot set (gateway op 3), e.g. by ``change_presence``."""
        return self.gateway.bot_presences

    @property
    def guilds_per_shard(self) -> int:
        """Guilds one session may hold; more closes it with 4011 Sharding required (2500)."""
        return self.gateway.guilds_per_shard

    @guilds_per_shard.setter
    def guilds_per_shard(self, value: int) -> None:
        if value < 1:
            raise ValueError(f"guilds_per_shard={value}: use 1 or more")
        self.gateway.guilds_per_shard = value

    @property
    def recommended_shards(self) -> int:
        """Shards ``GET /gateway/bot`` recommends: one per 1000 guilds, or what a test set."""
        if self._recommended_shards is not None:
            return self._recommended_shards
        return max(1, -(-len(self.world.guilds) // 1000))

    @recommended_shards.setter
    def recommended_shards(self, value: int) -> None:
        if value < 1:
            raise ValueError(f"recommended_shards={value}: use 1 or more")
        self._recommended_shards = value

    def shard_of(self, guild_id: str, shard_count: int) -> int:
        """The shard that receives ``guild_id`` when a bot runs ``shard_count`` shards."""
        return (int(guild_id) >> 22) % shard_count

    # ---- lifecycle

    async def start(self) -> DiscordEmulator:
        """Bind 127.0.0.1 on a free port; sets ``api_base``, ``gateway_url`` and ``base_url``."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already started")
        rest = Rest(self)
        app = web.Application(middlewares=[rest.middleware])
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self._attachment)
        app.add_routes(rest.routes())
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=_STOP_TIMEOUT)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        port = runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        self.api_base = f"{self.base_url}/api/v10"
        self.gateway_url = f"ws://127.0.0.1:{port}/gateway"
        self.gateway.url = self.gateway_url
        return self

    async def stop(self) -> None:
        """Drop every connection and release the port; bounded, safe to call twice."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        await self.gateway.close_all()
        await asyncio.wait_for(runner.cleanup(), _STOP_TIMEOUT * 2)

    async def __aenter__(self) -> DiscordEmulator:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @contextlib.contextmanager
    def point_discord_py_here(self) -> Iterator[None]:
        """Patch discord.py's REST base and default gateway to this emulator; restore on exit."""
        if not self.api_base:
            raise RuntimeError("start the emulator before pointing discord.py at it")
        route, ws_class = discord.http.Route, discord.gateway.DiscordWebSocket
        saved = route.BASE, ws_class.DEFAULT_GATEWAY
        route.BASE = self.api_base
        ws_class.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            route.BASE, ws_class.DEFAULT_GATEWAY = saved

    async def drain(self, timeout: float = 5.0) -> None:
        """Wait until everything dispatched so far has been written to the live sockets."""
        async with asyncio.timeout(timeout):
            await self.gateway.drain()

    # ---- connection faults

    async def drop_connections(
        self, *, forget_sessions: bool = False, shard_id: int | None = None
    ) -> None:
        """Abort every gateway socket (no close frame; the client sees 1006 and RESUMEs).

        Returns once the sockets are gone, so events posted afterwards are queued for the
        RESUME replay rather than written to a dying socket. ``forget_sessions`` makes the
        sessions unknown, so the RESUME gets op 9 INVALID_SESSION and the client IDENTIFYs anew.
        ``shard_id`` drops (and forgets) only the sessions of that shard; the others go on.
        """
        gateway = self.gateway
        dropped = gateway.drop_all(shard_id)
        await gateway.until_gone(dropped, _STOP_TIMEOUT)
        if forget_sessions:
            for session in [conn.session for conn in dropped if conn.session is not None]:
                gateway.sessions.pop(session.session_id, None)
            if shard_id is None:
                gateway.sessions.clear()

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT on every live session; the client reconnects and RESUMEs."""
        self.gateway.send_all(op_frame(p.RECONNECT))

    async def invalidate_sessions(self, *, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION; unless ``resumable``, the sessions are forgotten first."""
        if not resumable:
            for conn in list(self.gateway.connections):
                if conn.session is not None:
                    self.gateway.sessions.pop(conn.session.session_id, None)
        self.gateway.send_all(op_frame(p.INVALID_SESSION, resumable))

    def make_zombies(self, *, shard_id: int | None = None) -> int:
        """Turn the live gateway connections into zombies; returns how many there were.

        A zombie stops acknowledging heartbeats and writes nothing more (events go on being
        kept by the session, for a RESUME), while its socket stays open, as a connection that
        died without closing. discord.py notices after its ``heartbeat_timeout``, closes it and
        RESUMEs on a new one; new connections are healthy. ``shard_id`` limits it to one shard.
        """
        return self.gateway.silence(shard_id)

    async def close_connections(
        self, code: int, reason: str = "closed by the test", *, forget_sessions: bool = False
    ) -> None:
        """Close every identified gateway connection with ``code`` (e.g. 4000 Unknown error).

        Returns once the sockets are gone. ``forget_sessions`` makes the sessions unknown, as
        4009 Session timed out does on Discord, so the RESUME that follows gets op 9.
        """
        gateway = self.gateway
        closing = gateway.close_all_with(code, reason)
        if forget_sessions:
            for session in [conn.session for conn in closing if conn.session is not None]:
                gateway.sessions.pop(session.session_id, None)
        await gateway.until_gone(closing, _STOP_TIMEOUT * 3)

    def close_on_history(
        self,
        code: int,
        *,
        forget_sessions: bool = False,
        after_requests: int = 0,
        pause: bool = False,
    ) -> None:
        """Close the gateway with ``code`` in the middle of the bot's backfill (once).

        The history request that comes after ``after_requests`` others is answered only after
        :meth:`close_connections` has closed every gateway connection; later requests are
        served as usual. ``pause`` also refuses new gateway connections from then on, until
        :meth:`resume_gateway`, so a test can act while the bot is away.
        """
        self.history_close = (code, forget_sessions, after_requests, pause)

    async def before_history(self) -> None:
        """Called by REST before it serves a channel's history: fires :meth:`close_on_history`."""
        if self.history_close is None:
            return
        code, forget, left, pause = self.history_close
        if left > 0:
            self.history_close = (code, forget, left - 1, pause)
            return
        self.history_close = None
        if pause:
            self.pause_gateway()
        await self.close_connections(code, "closed during backfill", forget_sessions=forget)

    def pause_gateway(self) -> None:
        """Refuse new gateway connections (HTTP 503) until :meth:`resume_gateway`."""
        self.gateway.paused = True

    def resume_gateway(self) -> None:
        self.gateway.paused = False

    @property
    def connections_refused(self) -> int:
        """Gateway connection attempts answered with 503 while paused."""
        return self.gateway.refused

    async def _attachment(self, request: web.Request) -> web.Response:
        data = self._files.get(request.match_info["attachment_id"])
        if data is None:
            return web.Response(status=404, text="unknown attachment")
        return web.Response(body=data, content_type="application/octet-stream")
