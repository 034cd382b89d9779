"""The IRC connector: owns the socket and library objects, and feeds translated events to the core.

Library callbacks run synchronously inside ``data_received``; they only put the event on an
``asyncio.Queue`` (notes §3.4.8), and one coroutine consumes that queue in order: registration
(CAP, nick fallback), channel rosters, translation and ``emit``. Server PINGs are answered by the
library's own handler at read time, so a slow ``emit`` never starves the keepalive.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import irc.connection

from assistant.config import ConfigError, NetworkSettings, secret
from assistant.connectors.base import Emit
from assistant.connectors.irc.caps import CapNegotiator, CapReactor
from assistant.connectors.irc.pacing import Outbox, TokenBucket
from assistant.connectors.irc.roster import Rosters
from assistant.connectors.irc.translate import (
    DEFAULT_CHANTYPES,
    DEFAULT_PREFIXES,
    PLATFORM,
    Context,
    is_user_source,
    sanitize,
    split_message,
    split_source,
    translate,
)
from assistant.events import (
    Connected,
    Disconnected,
    Event,
    irc_casefold,
    utcnow,
)

__all__ = ["IrcConnector"]

log = logging.getLogger(__name__)

VERSION_REPLY = "Presence chat-room presence assistant"

# Stop reading from the socket while this many library events wait for ``emit``, and resume
# below the low mark, so a stalled consumer cannot grow memory without bound.
_HIGH_WATER = 5000
_LOW_WATER = 500
# Bytes the server adds when relaying our line: ":nick!user@host" with the longest host.
_MAX_HOST = 63
_NICK_ERRORS = frozenset({"nicknameinuse", "erroneusnickname", "nickcollision", "unavailresource"})


@dataclass(frozen=True, slots=True)
class _Stop:
    """Queued by ``stop`` so the QUIT happens in order with the events before it."""

    message: str


@dataclass(frozen=True, slots=True)
class _Lost:
    """Queued by the keepalive when the server went silent."""

    reason: str


class IrcConnector:
    """One connection to one IRC network, implementing :class:`assistant.connectors.base.Connector`.

    Args:
        network: the network's name in the configuration (``[networks.NAME]``).
        settings: its validated settings.
        burst: lines sent back-to-back before pacing starts.
        rate: lines per second after the burst.
        queue_limit: outgoing lines kept while disconnected; beyond it the oldest is dropped.
        line_budget: UTF-8 bytes of text per PRIVMSG at most (lowered further for long targets).
        ping_interval: seconds between keepalive PINGs.
        ping_timeout: seconds without any line after a PING before the link is declared dead.
        connect_timeout: seconds allowed for TCP connect plus registration.
        quit_timeout: seconds ``stop`` waits for the server to close after QUIT.
        version: the CTCP VERSION answer.
    """

    platform = PLATFORM

    def __init__(
        self,
        network: str,
        settings: NetworkSettings,
        *,
        burst: int = 5,
        rate: float = 2.0,
        queue_limit: int = 200,
        line_budget: int = 400,
        ping_interval: float = 60.0,
        ping_timeout: float = 30.0,
        connect_timeout: float = 30.0,
        quit_timeout: float = 2.0,
        version: str = VERSION_REPLY,
    ) -> None:
        self.network = network
        self.settings = settings
        self.nick = settings.nick
        self._bucket = TokenBucket(burst, rate)
        self._outbox = Outbox(queue_limit)
        self._line_budget = line_budget
        self._ping_interval = ping_interval
        self._ping_timeout = ping_timeout
        self._connect_timeout = connect_timeout
        self._quit_timeout = quit_timeout
        self._version = version
        self._ssl_context: ssl.SSLContext | None = None
        self._rosters = Rosters()
        self._chantypes = DEFAULT_CHANTYPES
        self._prefixes = DEFAULT_PREFIXES
        # Per-run state, reset by run().
        self._conn: Any = None
        self._inbox: asyncio.Queue[object] | None = None
        self._run_task: asyncio.Task[Any] | None = None
        self._connecting: asyncio.Future[Any] | None = None
        self._finished: asyncio.Event | None = None
        self._registered = False
        self._stopping = False
        self._paused = False
        self._last_rx = 0.0
        self._raw_line: str | None = None
        self._error_reason = ""

    # --- public surface -----------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """True while registered with the server."""
        return self._registered and self._conn is not None and bool(self._conn.is_connected())

    @property
    def channels(self) -> list[str]:
        """The channels Presence is in right now."""
        return self._rosters.channels

    def members(self, channel: str) -> list[str]:
        """The nicks in ``channel`` (without Presence), as last seen; empty if we are not there."""
        return self._rosters.members(channel)

    @property
    def queued(self) -> int:
        """Outgoing lines waiting to be sent."""
        return len(self._outbox)

    async def send(self, target: str, text: str) -> None:
        """Queue ``text`` for ``target``: sanitised, split on a byte budget, paced; never blocks.

        While disconnected the lines wait (up to ``queue_limit``) and go out after reconnecting.

        Raises:
            ValueError: ``target`` is not a single channel or nick.
        """
        if not target or target.startswith(":") or any(c in target for c in " ,\r\n\x00\x07"):
            raise ValueError(f"not a valid IRC target: {target!r}")
        for part in split_message(sanitize(text), self._budget(target)):
            if part:
                self._outbox.put(f"PRIVMSG {target} :{part}")

    async def stop(self, message: str = "") -> None:
        """Send QUIT with ``message`` (or the configured one) and wait until ``run`` returns."""
        inbox, finished = self._inbox, self._finished
        if inbox is None or finished is None:
            return
        self._stopping = True
        inbox.put_nowait(_Stop(message or self.settings.quit_message))
        if self._connecting is not None:
            self._connecting.cancel()  # an unreachable host must not delay stopping
        if asyncio.current_task() is self._run_task:
            return  # called from inside emit: run() ends once emit returns
        try:
            async with asyncio.timeout(self._quit_timeout + 1.0):
                await finished.wait()
        except TimeoutError:
            log.warning("%s: run() did not finish after stop()", self.network)

    async def run(self, emit: Emit) -> None:
        """Connect, register, join, and deliver events until stopped or disconnected.

        Raises:
            ConnectionError: the connection could not be made or was lost. ``Disconnected`` is
                emitted first when ``Connected`` had been emitted in this run.
        """
        if self._inbox is not None:
            raise RuntimeError(f"{self.network}: run() is already running")
        loop = asyncio.get_running_loop()
        inbox: asyncio.Queue[object] = asyncio.Queue()
        reactor = CapReactor(loop=loop)
        conn = reactor.server()
        self._reset(conn, inbox)
        reactor.add_global_handler("all_events", self._make_handler(conn, inbox), -100)
        tasks: list[asyncio.Task[None]] = []
        try:
            if await self._connect(conn):
                await self._serve(conn, inbox, emit, tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if conn.is_connected():
                conn.disconnect()
            self._registered = False
            self._rosters.clear()
            self._inbox = None
            self._conn = None
            self._run_task = None
            if self._finished is not None:
                self._finished.set()

    # --- connection lifecycle -----------------------------------------------------------------

    def _reset(self, conn: Any, inbox: asyncio.Queue[object]) -> None:
        """Start a run from a clean slate, so run() can be called again after a failure."""
        self._conn = conn
        self._inbox = inbox
        self._run_task = asyncio.current_task()
        self._finished = asyncio.Event()
        self._registered = False
        self._stopping = False
        self._paused = False
        self._last_rx = time.monotonic()
        self._raw_line = None
        self._error_reason = ""
        self._rosters.clear()
        self._chantypes = DEFAULT_CHANTYPES
        self._prefixes = DEFAULT_PREFIXES
        self.nick = self.settings.nick

    def _make_handler(self, conn: Any, inbox: asyncio.Queue[object]) -> Callable[[Any, Any], None]:
        """Build the library callback: record liveness and queue the event, nothing else."""

        def on_event(source_conn: Any, ev: Any) -> None:
            if source_conn is not conn:
                return
            if ev.type == "all_raw_messages":
                self._last_rx = time.monotonic()
            inbox.put_nowait(ev)
            if inbox.qsize() > _HIGH_WATER and not self._paused and conn.transport is not None:
                self._paused = True
                conn.transport.pause_reading()

        return on_event

    def _connect_factory(self) -> Any:
        """Plain TCP, or TLS verified against the system CAs unless ``verify_tls`` is off."""
        if not self.settings.tls:
            return irc.connection.AioFactory()
        if self._ssl_context is None:
            context = ssl.create_default_context()
            if not self.settings.verify_tls:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            self._ssl_context = context
        return irc.connection.AioFactory(ssl=self._ssl_context, server_hostname=self.settings.host)

    async def _connect(self, conn: Any) -> bool:
        """Open the connection and send NICK/USER; False when ``stop`` interrupted it."""
        settings = self.settings
        attempt = asyncio.ensure_future(
            conn.connect(
                settings.host,
                settings.port,
                settings.nick,
                username=settings.username,
                ircname=settings.realname,
                connect_factory=self._connect_factory(),
            )
        )
        self._connecting = attempt
        try:
            async with asyncio.timeout(self._connect_timeout):
                await attempt
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if self._stopping and (current is None or current.cancelling() == 0):
                return False  # stop() cancelled the attempt, not someone cancelling run()
            raise
        except (OSError, TimeoutError) as exc:
            raise ConnectionError(
                f"{self.network}: cannot connect to {settings.host}:{settings.port}: "
                f"{exc or type(exc).__name__}"
            ) from exc
        finally:
            self._connecting = None
        log.info("%s: connected to %s:%s", self.network, settings.host, settings.port)
        return True

    async def _serve(
        self, conn: Any, inbox: asyncio.Queue[object], emit: Emit, tasks: list[asyncio.Task[None]]
    ) -> None:
        """Consume library events in order until stopped (return) or disconnected (raise)."""
        loop = asyncio.get_running_loop()
        caps = CapNegotiator()
        fallback_nicks = iter([*self.settings.alt_nicks, self.settings.nick + "_"])
        deadline: float | None = loop.time() + self._connect_timeout
        while True:
            try:
                async with asyncio.timeout_at(deadline):
                    item = await inbox.get()
            except TimeoutError:
                if self._stopping:  # the server did not close after our QUIT; we do
                    conn.disconnect()
                    await self._emit_disconnected(emit, "stopped")
                    return
                raise ConnectionError(f"{self.network}: registration timed out") from None
            if self._paused and inbox.qsize() < _LOW_WATER and conn.transport is not None:
                self._paused = False
                conn.transport.resume_reading()

            if isinstance(item, _Stop):
                if not self._registered:
                    conn.disconnect()
                    return
                conn.quit(sanitize(item.message))
                deadline = loop.time() + self._quit_timeout
                continue
            if isinstance(item, _Lost):
                conn.disconnect()
                await self._emit_disconnected(emit, item.reason)
                raise ConnectionError(f"{self.network}: {item.reason}")

            ev: Any = item
            kind = ev.type
            if kind == "disconnect":
                if self._stopping:
                    await self._emit_disconnected(emit, "stopped")
                    return
                reason = self._error_reason or "connection lost"
                if self._registered:
                    await self._emit_disconnected(emit, reason)
                raise ConnectionError(f"{self.network}: {reason}")
            if kind == "welcome":
                deadline = None
                await self._on_welcome(conn, ev, emit, inbox, tasks)
            elif not self._registered or kind == "cap":
                self._registration_step(conn, ev, caps, fallback_nicks)
            else:
                for event in self._handle(conn, ev):
                    await emit(event)

    def _registration_step(
        self, conn: Any, ev: Any, caps: CapNegotiator, fallback_nicks: Iterator[str]
    ) -> None:
        """Answer CAP replies and nick errors until the server welcomes us."""
        if ev.type == "all_raw_messages":
            self._raw_line = ev.arguments[0]
        elif ev.type == "cap":
            for line in caps.on_cap(ev.arguments):
                conn.send_raw(line)
        elif ev.type in _NICK_ERRORS:
            nxt = next(fallback_nicks, None)
            if nxt is None:
                self._error_reason = "no usable nick: " + ", ".join(
                    [self.settings.nick, *self.settings.alt_nicks, self.settings.nick + "_"]
                )
                conn.disconnect()  # the disconnect event then ends run() with ConnectionError
                return
            log.info("%s: nick %s unavailable, trying %s", self.network, self.nick, nxt)
            self.nick = nxt
            conn.nick(nxt)
        elif ev.type == "error":
            self._error_reason = str(ev.target or "")

    async def _on_welcome(
        self,
        conn: Any,
        ev: Any,
        emit: Emit,
        inbox: asyncio.Queue[object],
        tasks: list[asyncio.Task[None]],
    ) -> None:
        """Registered: announce it, join the configured channels, start sending and pinging."""
        self._registered = True
        self.nick = str(ev.target or self.nick)
        await emit(
            Connected(platform=PLATFORM, network=self.network, timestamp=utcnow(), nick=self.nick)
        )
        for channel in self.settings.channels:
            key = ""
            if channel.key_env:
                try:
                    key = secret(channel.key_env).get_secret_value()
                except ConfigError as exc:
                    log.error("%s: not joining %s: %s", self.network, channel.name, exc)
                    continue
            conn.join(channel.name, key)
        tasks.append(asyncio.create_task(self._send_loop(conn), name=f"irc-send-{self.network}"))
        tasks.append(
            asyncio.create_task(self._keepalive(conn, inbox), name=f"irc-keepalive-{self.network}")
        )

    async def _emit_disconnected(self, emit: Emit, reason: str) -> None:
        """Emit ``Disconnected`` once, and only if this run had emitted ``Connected``."""
        was_registered, self._registered = self._registered, False
        log.info("%s: disconnected: %s", self.network, reason)
        if was_registered:
            await emit(
                Disconnected(
                    platform=PLATFORM, network=self.network, timestamp=utcnow(), reason=reason
                )
            )

    async def _send_loop(self, conn: Any) -> None:
        """Write queued lines at the bucket's pace while the connection is up."""
        while True:
            await self._outbox.wait()
            await self._bucket.take()
            if not conn.is_connected():
                return  # the line stays queued for the next connection
            conn.send_raw(self._outbox.pop())

    async def _keepalive(self, conn: Any, inbox: asyncio.Queue[object]) -> None:
        """PING regularly; no line at all within the timeout means the link is dead.

        The library's ``set_keepalive`` cannot run on the asyncio reactor (notes §3.4.2).
        """
        while conn.is_connected():
            await asyncio.sleep(self._ping_interval)
            sent = time.monotonic()
            conn.ping("presence-keepalive")
            await asyncio.sleep(self._ping_timeout)
            if self._last_rx < sent and not self._paused:
                inbox.put_nowait(_Lost(f"no reply to PING within {self._ping_timeout:g} s"))
                return

    def _budget(self, target: str) -> int:
        """Text bytes that fit once the server prefixes ``:nick!user@host PRIVMSG target :``."""
        prefix = f":{self.nick}!~{self.settings.username}@{'h' * _MAX_HOST} PRIVMSG {target} :\r\n"
        overhead = len(prefix.encode("utf-8"))
        return max(64, min(self._line_budget, 512 - overhead))

    # --- events after registration ------------------------------------------------------------

    def _context(self) -> Context:
        """What translation needs to know about us for the event being handled."""
        return Context(
            network=self.network,
            own_nick=self.nick,
            now=utcnow(),
            raw_line=self._raw_line,
            chantypes=self._chantypes,
            prefixes=self._prefixes,
        )

    def _handle(self, conn: Any, ev: Any) -> list[Event]:
        """Update our own state from one library event and return the events to emit."""
        kind = ev.type
        if kind == "all_raw_messages":
            self._raw_line = ev.arguments[0]
            return []
        if kind == "error":
            self._error_reason = str(ev.target or "")
            return []
        if kind == "featurelist":
            self._load_features(conn)
            return []
        if kind == "ctcp":
            self._answer_ctcp(ev)
            return []
        ctx = self._context()
        if kind == "namreply":
            return self._rosters.add_present(translate(ev, ctx))
        was_in = self._rosters.update(ev, self.nick)
        if kind == "nick" and irc_casefold(split_source(ev.source)[0]) == irc_casefold(self.nick):
            self.nick = str(ev.target)
        return translate(ev, ctx, channels=was_in)

    def _load_features(self, conn: Any) -> None:
        """Adopt the server's channel prefixes and member-status symbols from ISUPPORT."""
        features = conn.features
        prefix = getattr(features, "prefix", None)
        if prefix:
            self._prefixes = "".join(prefix)
        chantypes = getattr(features, "chantypes", None)
        if isinstance(chantypes, str) and chantypes:
            self._chantypes = chantypes

    def _answer_ctcp(self, ev: Any) -> None:
        """Answer CTCP VERSION and PING; ignore other CTCP (ACTION arrives as its own event)."""
        if not is_user_source(ev.source) or not ev.arguments:
            return
        nick, _ = split_source(ev.source)
        if irc_casefold(nick) == irc_casefold(self.nick):
            return
        query = str(ev.arguments[0]).upper()
        if query == "VERSION":
            reply = f"VERSION {self._version}"
        elif query == "PING":
            data = sanitize(str(ev.arguments[1])) if len(ev.arguments) > 1 else ""
            reply = f"PING {split_message(data, 200)[0]}".rstrip()
        else:
            return
        # Replies are courtesy: under a CTCP flood they are dropped rather than queued.
        if len(self._outbox) < self._bucket.burst:
            self._outbox.put(f"NOTICE {nick} :\x01{sanitize(reply)}\x01")
