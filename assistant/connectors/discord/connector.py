"""The Discord connector: owns the discord.py client and feeds translated events to the core.

discord.py runs on Presence's own event loop. Its parser calls ``Client.dispatch`` for every
gateway event; our client (:mod:`.client`, which also keeps socket reads small) hands it here
to translate at once (pure, microseconds) and append the events to one ordered queue. One pump
coroutine hands the queue to ``emit`` in order, yielding to the loop about every millisecond
so that a flood never delays heartbeats. Backfill fetches history in its own task and puts
what it finds on the same queue.

Reconnects are discord.py's: a dropped connection is RESUMEd (Discord replays what was
missed); a lost session means a new READY, which this connector reports as ``Disconnected``
(at the drop) then ``Connected``, the roster again, and a backfill. A refused token or intent
is a configuration problem: it is explained once, and the network stays off until restart
(no hammering) unless ``degrade_intents`` lets it carry on without what was refused.

With ``shard_count`` the client is discord.py's ``AutoShardedClient``: each shard has its own
session, and only the shard carrying the attended server matters here: its drop, resume or
new READY (``shard_*`` events) is handled as the one connection's would be; the others'
are not this network's news.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

import aiohttp
import discord

from assistant.config import ConfigError, NetworkSettings, secret
from assistant.connectors.base import Emit
from assistant.connectors.discord import translate
from assistant.connectors.discord.backfill import LastRecorded, Marks, RecentIds, missed_messages
from assistant.connectors.discord.client import RoutedClient, RoutedShardedClient, probe_refused
from assistant.connectors.discord.intents import (
    PRIVILEGED,
    Privileged,
    bad_token_message,
    refused_message,
    requested_intents,
    with_privileged,
)
from assistant.connectors.discord.selection import find_guild, select_channels
from assistant.connectors.discord.sending import deliver, resolve_target
from assistant.connectors.discord.sharding import (
    SHARDING_REQUIRED,
    probe_options,
    sharding_message,
)
from assistant.events import Connected, Disconnected, Event, irc_casefold, utcnow

__all__ = ["DiscordConnector"]

log = logging.getLogger(__name__)

_SLICE = 0.001  # seconds of emitting before the pump yields to the loop
_TEXT_KINDS = (
    discord.ChannelType.text,
    discord.ChannelType.news,
    discord.ChannelType.forum,
    discord.ChannelType.media,
)


class DiscordConnector:
    """One bot connection to one Discord server, implementing the ``Connector`` protocol.

    Args:
        network: the network's name in the configuration (``[networks.NAME]``).
        settings: its validated settings (``platform = "discord"``).
        last_recorded: the app's lookup of the last recorded message id per channel, the
            start of backfill; without it, backfill covers only drops while running.
        guild_ready_timeout: seconds discord.py waits for more servers before READY is done
            (default: the class attribute, which tests against a local emulator lower).
        heartbeat_timeout: seconds without any gateway traffic before discord.py reconnects.
    """

    platform = translate.PLATFORM
    guild_ready_timeout = 2.0

    def __init__(
        self,
        network: str,
        settings: NetworkSettings,
        *,
        last_recorded: LastRecorded | None = None,
        guild_ready_timeout: float | None = None,
        heartbeat_timeout: float = 60.0,
    ) -> None:
        self.network = network
        self.settings = settings
        self._last_recorded = last_recorded
        self._options: dict[str, Any] = {
            "guild_ready_timeout": guild_ready_timeout or self.guild_ready_timeout,
            "heartbeat_timeout": heartbeat_timeout,
        }
        self.intents = requested_intents()
        """The intents asked for; fewer after a refusal with ``degrade_intents``."""
        self.refused: list[Privileged] = []
        """Privileged intents Discord refused (the portal switches that are off)."""
        self.failure: str | None = None
        """Why this network is off (bad token, refused intents, unknown server), if it is."""
        self.client: discord.Client | None = None
        self.guild: discord.Guild | None = None
        self._selected: set[int] = set()
        self._queue: deque[Event | Iterator[Event]] = deque()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()  # nothing queued yet
        self._marks = Marks()
        self._recent = RecentIds()
        self._gap: Marks | None = None
        self._dropped_at: datetime | None = None
        self._ready_once = False
        self._connected = False
        self._stopping = asyncio.Event()
        self._finished: asyncio.Event | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # --- public surface -----------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """True between READY and a drop (or stop)."""
        return self._connected

    async def run(self, emit: Emit) -> None:
        """Connect, deliver events until stopped; ConnectionError when Discord is unreachable."""
        if self._finished is not None and not self._finished.is_set():
            raise RuntimeError(f"{self.network}: run() is already running")
        self._finished = asyncio.Event()
        self._stopping.clear()
        pump = asyncio.create_task(self._pump(emit), name=f"discord-pump-{self.network}")
        try:
            await self._serve()
            if self.failure is not None:
                await self._stopping.wait()  # a configuration problem: no point retrying
        finally:
            await self._close_client()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            if self._ready_once:
                self._report_disconnected("stopped" if self._stopping.is_set() else "lost")
            self._ready_once = False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._drain(pump), timeout=5)
            pump.cancel()
            await asyncio.gather(pump, return_exceptions=True)
            self._finished.set()

    async def stop(self, message: str = "") -> None:
        """Close the gateway connection and wait until ``run`` returns (no quit text there)."""
        self._stopping.set()
        await self._close_client()
        finished = self._finished
        if finished is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(finished.wait(), timeout=10)

    async def send(self, target: str, text: str) -> None:
        """Send ``text`` to a configured channel (``#name`` or id) or as a DM to a user id.

        Refusals (a channel not in ``send_channels``, nothing connected) are logged, never
        raised: the caller is often a command reply that must not fail twice.
        """
        client, guild = self.client, self.guild
        if client is None or client.is_closed() or client.user is None:  # REST needs a login
            log.warning("%s: not logged in; cannot send to %s", self.network, target)
            return
        channel, user_id, refusal = resolve_target(guild, target, self.settings.send_channels)
        if refusal:
            log.warning("%s: not sending to %s: %s", self.network, target, refusal)
            return
        try:
            if channel is not None:
                if not isinstance(channel, discord.abc.Messageable):
                    log.warning("%s: %s cannot take messages", self.network, target)
                    return
                await deliver(channel, text)
            elif user_id is not None:
                await deliver(await client.create_dm(discord.Object(user_id)), text)
        except discord.HTTPException as exc:
            log.warning("%s: sending to %s failed: %s", self.network, target, exc)

    # --- connection lifecycle -----------------------------------------------------------------

    async def _serve(self) -> None:
        env = self.settings.token_env or ""
        self.failure = None
        try:
            token = secret(env).get_secret_value()
        except ConfigError as exc:
            return await self._fail(f"network {self.network}: {exc}")
        marks = await self._last_recorded(self.network) if self._last_recorded else {}
        self._gap = Marks(marks)
        self._gap.by_id = dict(self._marks.by_id)
        # The recorded marks stay known past this backfill: a session lost in the middle of it
        # must backfill again from them the channels it had not reached yet.
        self._marks.by_name = dict(self._gap.by_name)
        while not self._stopping.is_set():
            client = self._new_client()
            self.client = client
            try:
                await client.start(token, reconnect=True)
                return
            except discord.LoginFailure as exc:
                return await self._fail(bad_token_message(self.network, env, str(exc)))
            except discord.PrivilegedIntentsRequired:
                await self._close_client()
                self.refused = await probe_refused(
                    token, self.intents, **probe_options(self.client, self._options)
                )
                degrade = self.settings.degrade_intents
                text = refused_message(self.network, self.refused, degrade=degrade)
                if not degrade:
                    return await self._fail(text)
                log.error("%s", text)
                refused = {p.flag for p in self.refused}
                allowed = [p.flag for p in PRIVILEGED if p.flag not in refused]
                self.intents = with_privileged(self.intents, allowed)
            except discord.ConnectionClosed as exc:
                if exc.code == 4004:
                    return await self._fail(
                        bad_token_message(self.network, env, "gateway close code 4004")
                    )
                if exc.code == SHARDING_REQUIRED:
                    return await self._fail(sharding_message(self.network, self.settings))
                raise ConnectionError(f"{self.network}: gateway closed ({exc.code})") from exc
            except (OSError, aiohttp.ClientError, discord.GatewayNotFound) as exc:
                raise ConnectionError(f"{self.network}: cannot reach Discord: {exc}") from exc
            except discord.HTTPException as exc:
                raise ConnectionError(f"{self.network}: Discord answered {exc}") from exc

    async def _fail(self, text: str) -> None:
        """Explain a configuration problem once; ``run`` then stays off until stopped."""
        self.failure = text
        log.error("%s", text)
        await self._close_client()

    def _new_client(self) -> RoutedClient | RoutedShardedClient:
        shards = self.settings.shard_count
        if shards is None:
            return RoutedClient(self._on_event, intents=self.intents, **self._options)
        count = None if shards == "auto" else shards  # None: as many as Discord recommends
        return RoutedShardedClient(
            self._on_event, intents=self.intents, shard_count=count, **self._options
        )

    async def _close_client(self) -> None:
        client = self.client
        if client is not None and not client.is_closed():
            with contextlib.suppress(Exception):
                await client.close()

    # --- events from discord.py (synchronous, in the parser's order) ---------------------------

    def _on_event(self, name: str, args: tuple[Any, ...]) -> None:
        sharded = isinstance(self.client, discord.AutoShardedClient)
        handler = (_SHARDED_HANDLERS if sharded else _HANDLERS).get(name)
        if handler is not None:
            handler(self, *args)

    def _put(self, events: Iterable[Event | None]) -> None:
        added = False
        for event in events:
            if event is not None:
                self._queue.append(event)
                added = True
        if added:
            self._idle.clear()
            self._wake.set()

    def _ready(self) -> None:
        client = self.client
        assert client is not None and client.user is not None
        guild = self._find_guild(client)
        if guild is None:
            return
        self.guild = guild
        self._select(guild)
        now = utcnow()
        if self._ready_once:  # a new session, not a resume: what happened meanwhile is unknown
            self._report_disconnected("session lost", self._dropped_at or now)
        self._ready_once = self._connected = True
        self._dropped_at = None
        self._put(
            [
                Connected(
                    platform=self.platform,
                    network=self.network,
                    timestamp=now,
                    raw=client.user,
                    nick=client.user.display_name,
                )
            ]
        )
        self._put_roster(guild, client.user.id)
        self._put(translate.event_scheduled(self.network, e) for e in guild.scheduled_events)
        self._start_backfill()

    def _first_ready(self) -> None:
        """Every shard is ready (discord.py says so once): the same start as unsharded."""
        if not self._ready_once:
            self._ready()

    def _on_our_shard(self, shard_id: int) -> bool:
        """Whether ``shard_id`` carries the attended server (other shards' news is not ours)."""
        guild = self.guild
        return guild is not None and guild.shard_id == shard_id

    def _shard_ready(self, shard_id: int) -> None:
        """Our shard identified anew after a lost session (a resume is ``shard_resumed``)."""
        if self._ready_once and self._on_our_shard(shard_id):
            self._ready()

    def _shard_disconnect(self, shard_id: int) -> None:
        if self._on_our_shard(shard_id):
            self._disconnect()

    def _shard_resumed(self, shard_id: int) -> None:
        if self._on_our_shard(shard_id):
            self._resumed()

    def _resumed(self) -> None:
        self._connected = True
        self._dropped_at = None
        self._start_backfill()  # Discord replayed what was missed; this only double-checks

    def _disconnect(self) -> None:
        if self._connected:
            self._connected = False
            self._dropped_at = utcnow()
            if self._gap is None:
                self._gap = self._marks.snapshot()

    def _report_disconnected(self, reason: str, at: datetime | None = None) -> None:
        self._connected = False
        self._put(
            [
                Disconnected(
                    platform=self.platform,
                    network=self.network,
                    timestamp=at or utcnow(),
                    reason=reason,
                )
            ]
        )

    def _find_guild(self, client: discord.Client) -> discord.Guild | None:
        guild, problem = find_guild(client.guilds, self.settings.guild)
        if guild is None:
            task = asyncio.create_task(self._fail(f"network {self.network}: {problem}"))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return guild

    def _select(self, guild: discord.Guild) -> None:
        specs = [channel.name for channel in self.settings.channels]
        self._selected, missing = select_channels(guild, specs)
        for spec in missing:
            log.warning("%s: no channel %s in %s; not attended", self.network, spec, guild)

    def _attends(self, place: Any) -> bool:
        home = translate.home_channel(place) if isinstance(place, _PLACES) else None
        return home is not None and home.id in self._selected

    def _text_channels(self, guild: discord.Guild) -> list[discord.abc.GuildChannel]:
        return [c for c in guild.channels if c.id in self._selected and c.type in _TEXT_KINDS]

    def _put_roster(self, guild: discord.Guild, me: int) -> None:
        """Queue who is in each text and voice channel now, expanded lazily by the pump.

        A big server has tens of thousands of members: built here, inside discord.py's
        parser, their events would hold the loop; as one queued generator they are emitted
        in order, in slices, before anything that happens after READY.
        """
        texts = self._text_channels(guild)
        members = [member for member in guild.members if member.id != me]
        voices = [
            (member, channel)
            for channel in guild.channels
            if isinstance(channel, discord.VoiceChannel | discord.StageChannel)
            for member in channel.members
        ]
        network, selected = self.network, self._voice_selected

        def roster() -> Iterator[Event]:
            for member in members:
                yield from translate.member_joined(network, member, texts, already_present=True)
            for member, channel in voices:
                yield from translate.voice_changed(
                    network, member, None, channel, selected, already_present=True
                )

        self._queue.append(roster())
        self._idle.clear()
        self._wake.set()

    def _voice_selected(self, channel: discord.abc.GuildChannel) -> bool:
        return channel.id in self._selected

    def _ours(self, guild: discord.Guild | None) -> bool:
        return guild is not None and self.guild is not None and guild.id == self.guild.id

    def _message(self, message: discord.Message) -> None:
        client = self.client
        if client is None or client.user is None or message.author.id == client.user.id:
            return
        place = message.channel
        if isinstance(place, _PLACES):
            home = translate.home_channel(place)
            if home is None or home.id not in self._selected or not self._ours(message.guild):
                return
            self._marks.note(home.id, message.id)
        elif not isinstance(place, discord.DMChannel):
            return
        if self._recent.add(message.id):
            self._put([translate.message_received(self.network, message)])

    def _edit(self, update: discord.RawMessageUpdateEvent) -> None:
        message = update.message
        if self._ours(message.guild) and self._attends(message.channel):
            self._put([translate.message_edited(self.network, update)])

    def _delete(self, raw: discord.RawMessageDeleteEvent) -> None:
        self._deleted(raw.guild_id, raw.channel_id, [raw.message_id], raw.cached_message)

    def _bulk_delete(self, raw: discord.RawBulkMessageDeleteEvent) -> None:
        self._deleted(raw.guild_id, raw.channel_id, sorted(raw.message_ids), None)

    def _deleted(
        self,
        guild_id: int | None,
        channel_id: int,
        ids: list[int],
        cached: discord.Message | None,
    ) -> None:
        guild = self.guild
        if guild is None or guild_id != guild.id:
            return
        place = guild.get_channel_or_thread(channel_id)
        if place is not None and self._attends(place):
            self._put(translate.message_deleted(self.network, i, place, cached) for i in ids)

    def _member_join(self, member: discord.Member) -> None:
        if self._ours(member.guild):
            texts = self._text_channels(member.guild)
            self._put(translate.member_joined(self.network, member, texts))

    def _member_remove(self, raw: discord.RawMemberRemoveEvent) -> None:
        if self.guild is not None and raw.guild_id == self.guild.id:
            self._put([translate.member_left(self.network, raw.user)])

    def _member_update(self, before: discord.Member, after: discord.Member) -> None:
        if self._ours(after.guild):
            self._put([translate.nick_changed(self.network, before, after)])

    def _presence(self, before: discord.Member, after: discord.Member) -> None:
        if self._ours(after.guild):
            self._put([translate.presence_changed(self.network, before, after)])

    def _voice(
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        if self._ours(member.guild):
            self._put(
                translate.voice_changed(
                    self.network, member, before.channel, after.channel, self._voice_selected
                )
            )

    def _scheduled(self, *args: discord.ScheduledEvent) -> None:
        event = args[-1]
        if self._ours(event.guild):
            self._put([translate.event_scheduled(self.network, event)])

    def _scheduled_deleted(self, event: discord.ScheduledEvent) -> None:
        if self._ours(event.guild):
            self._put([translate.event_scheduled(self.network, event, deleted=True)])

    def _channels_changed(self, *args: Any) -> None:
        if self.guild is not None:
            self._select(self.guild)

    # --- backfill and the pump ----------------------------------------------------------------

    def _start_backfill(self) -> None:
        gap, self._gap = self._gap, None
        guild = self.guild
        if gap is None or guild is None or self.settings.backfill_limit == 0:
            return
        task = asyncio.create_task(
            self._backfill(guild, gap), name=f"discord-backfill-{self.network}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _backfill(self, guild: discord.Guild, gap: Marks) -> None:
        """Fetch what each attended channel and its active threads missed since ``gap``."""
        limit = self.settings.backfill_limit
        places: list[discord.abc.GuildChannel | discord.Thread] = [*self._text_channels(guild)]
        places += [t for t in guild.threads if self._attends(t)]
        for place in places:
            home = translate.home_channel(place)
            name = translate.channel_name(place)
            if home is None or not isinstance(place, discord.abc.Messageable):
                continue  # a forum has no history of its own: its posts are threads
            mark = gap.get(home.id, irc_casefold(name))
            if mark is None:
                continue  # never recorded here: Presence records from when it first attends
            where = f"{self.network} {name}" + (
                f" ({place.name})" if isinstance(place, discord.Thread) else ""
            )
            try:
                missed = await missed_messages(place, mark, limit, where=where)
            except discord.HTTPException as exc:
                log.warning("%s: cannot fetch history: %s", where, exc)
                continue
            me = self.client.user.id if self.client and self.client.user else None
            found = 0
            for message in missed:
                if message.author.id == me or not self._recent.add(message.id):
                    continue
                self._marks.note(home.id, message.id)
                event = translate.message_received(self.network, message, backfill=True)
                self._put([event])
                found += event is not None
            if found:
                log.info("%s: backfilled %d missed message(s)", where, found)

    async def _pump(self, emit: Emit) -> None:
        """Hand queued events to ``emit`` in order, yielding to the loop every millisecond."""
        queue = self._queue
        while True:
            await self._wake.wait()
            self._wake.clear()
            started = time.monotonic()
            while queue:
                item = queue.popleft()
                for event in (item,) if isinstance(item, Event) else item:
                    await emit(event)
                    if time.monotonic() - started > _SLICE:
                        await asyncio.sleep(0)
                        started = time.monotonic()
            self._idle.set()

    async def _drain(self, pump: asyncio.Task[None]) -> None:
        """Wait until the pump emitted everything queued (or died)."""
        idle = asyncio.create_task(self._idle.wait())
        await asyncio.wait({idle, pump}, return_when=asyncio.FIRST_COMPLETED)
        idle.cancel()


_PLACES = (discord.abc.GuildChannel, discord.Thread)
_HANDLERS: dict[str, Callable[..., None]] = {
    "ready": DiscordConnector._ready,
    "resumed": DiscordConnector._resumed,
    "disconnect": DiscordConnector._disconnect,
    "message": DiscordConnector._message,
    "raw_message_edit": DiscordConnector._edit,
    "raw_message_delete": DiscordConnector._delete,
    "raw_bulk_message_delete": DiscordConnector._bulk_delete,
    "member_join": DiscordConnector._member_join,
    "raw_member_remove": DiscordConnector._member_remove,
    "member_update": DiscordConnector._member_update,
    "presence_update": DiscordConnector._presence,
    "voice_state_update": DiscordConnector._voice,
    "scheduled_event_create": DiscordConnector._scheduled,
    "scheduled_event_update": DiscordConnector._scheduled,
    "scheduled_event_delete": DiscordConnector._scheduled_deleted,
    "guild_channel_create": DiscordConnector._channels_changed,
    "guild_channel_update": DiscordConnector._channels_changed,
    "guild_channel_delete": DiscordConnector._channels_changed,
}

_SHARDED_HANDLERS: dict[str, Callable[..., None] | None] = {
    **_HANDLERS,
    # discord.py says "ready" once all shards are, then only per shard; "disconnect" and
    # "resumed" come from every shard, of which only the attended server's concerns us
    "ready": DiscordConnector._first_ready,
    "shard_ready": DiscordConnector._shard_ready,
    "disconnect": None,
    "shard_disconnect": DiscordConnector._shard_disconnect,
    "resumed": None,
    "shard_resumed": DiscordConnector._shard_resumed,
}
