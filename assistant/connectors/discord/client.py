"""The discord.py client Presence runs: events straight to the connector, small socket reads.

discord.py's parser calls ``Client.dispatch`` for every gateway event; :class:`RoutedClient`
(and :class:`RoutedShardedClient`, its sharded twin) hands each one to the connector at once
(synchronously, in order) instead of starting a task per listener call. discord.py also parses
every gateway frame already read without yielding to the event loop, and one read takes up to
256 KiB (hundreds of messages, tens of milliseconds of parsing); a small socket receive buffer
keeps each read, and so each stretch without yielding, short. Probing for refused intents uses
plain clients.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from typing import Any

import aiohttp
import discord

from assistant.connectors.discord.intents import PRIVILEGED, Privileged, with_privileged

__all__ = ["RoutedClient", "RoutedShardedClient", "probe_refused"]

log = logging.getLogger(__name__)

RECEIVE_BUFFER = 8 * 1024
"""Bytes of socket receive buffer (the kernel doubles it): about a dozen messages per read."""
_PROBE_TIMEOUT = 30.0

Sink = Callable[[str, tuple[Any, ...]], None]


class RoutedClient(discord.Client):
    """A discord.py client whose events go straight to ``sink(name, args)``, in order."""

    def __init__(self, sink: Sink, **options: Any) -> None:
        super().__init__(**_prepared(options))
        self._sink = sink

    def dispatch(self, event: str, /, *args: Any, **kwargs: Any) -> None:
        super().dispatch(event, *args, **kwargs)  # keeps wait_for() and on_error working
        _route(self._sink, event, args)


class RoutedShardedClient(discord.AutoShardedClient):
    """:class:`RoutedClient` over several shards (``shard_count``; None asks Discord).

    discord.py waits 5 s before every IDENTIFY but the first, so four shards take 15 s to
    start; Discord's rule is per bucket (``shard_id % max_concurrency``, one IDENTIFY per
    5 s each), so this client waits only when its shard's bucket identified less than
    :attr:`identify_window` seconds ago, and a tenth more (:attr:`identify_margin`):
    Discord times IDENTIFYs as they arrive, and the one before may have left late.
    """

    identify_window = 5.0
    identify_margin = 0.1
    """The share of :attr:`identify_window` added to the wait, for a late send or early wake."""

    def __init__(self, sink: Sink, **options: Any) -> None:
        super().__init__(**_prepared(options))
        self._sink = sink
        self._max_concurrency = 1
        self._identify_at: dict[int, float] = {}  # bucket -> when its last IDENTIFY may go

    async def setup_hook(self) -> None:
        limits = await self.fetch_session_start_limits()
        self._max_concurrency = max(1, limits.max_concurrency)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        bucket = (shard_id or 0) % self._max_concurrency
        now = asyncio.get_running_loop().time()
        last = self._identify_at.get(bucket)
        spacing = self.identify_window * (1 + self.identify_margin)
        at = now if last is None else max(now, last + spacing)
        self._identify_at[bucket] = at  # claimed before sleeping: the next one queues behind
        if at > now:
            await asyncio.sleep(at - now)

    def dispatch(self, event: str, /, *args: Any, **kwargs: Any) -> None:
        super().dispatch(event, *args, **kwargs)
        _route(self._sink, event, args)


def _prepared(options: dict[str, Any]) -> dict[str, Any]:
    options.setdefault("connector", aiohttp.TCPConnector(limit=0, socket_factory=_small_reads))
    # Presence listens to voice channels' member lists but never joins one: discord.py's
    # start-up warnings about missing voice libraries (PyNaCl, davey) would only alarm.
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False
    return options


def _route(sink: Sink, event: str, args: tuple[Any, ...]) -> None:
    try:
        sink(event, args)
    except Exception:  # an error here would reach discord.py's parser and drop the link
        log.exception("discord: cannot translate %s", event)


def _small_reads(address: Any) -> socket.socket:
    """A socket whose small receive buffer bounds how much one read hands to discord.py."""
    family, kind, proto = address[0], address[1], address[2]
    sock = socket.socket(family=family, type=kind, proto=proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
    return sock


async def probe_refused(token: str, intents: discord.Intents, **options: Any) -> list[Privileged]:
    """Find which privileged intents of ``intents`` are off, connecting with each one alone.

    Discord's refusal (close code 4014) does not say which; when every probe connects
    (the portal changed meanwhile), all of them are reported.
    """
    refused = []
    for privileged in PRIVILEGED:
        if not getattr(intents, privileged.flag):
            continue
        probe = discord.Client(intents=with_privileged(intents, [privileged.flag]), **options)
        start: asyncio.Task[None] | None = None
        ready: asyncio.Task[None] | None = None
        try:
            await probe.login(token)  # accepted a moment ago: only the intents are in question
            start = asyncio.create_task(probe.connect(reconnect=False))
            ready = asyncio.create_task(probe.wait_until_ready())
            await asyncio.wait(
                {start, ready}, timeout=_PROBE_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
            )
            if not ready.done():
                refused.append(privileged)
        finally:
            if ready is not None:
                ready.cancel()
            await probe.close()
            await asyncio.gather(*(t for t in (start, ready) if t), return_exceptions=True)
    return refused or [p for p in PRIVILEGED if getattr(intents, p.flag)]
