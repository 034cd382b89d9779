"""The IRC connector: owns the socket and library objects, and feeds translated events to the core.

Reads are stored by the :mod:`intake`, and one coroutine pulls their lines, parsed one at a
time, in order: registration (:mod:`registration`: CAP, SASL, nick fallback), then the
connection's knowledge and translation (:mod:`state`) and ``emit``, yielding to the loop about
every millisecond so that a flood never blocks it. Library callbacks run while a line is
parsed and only hand the event to the intake (notes §3.4.8). Server PINGs are answered by the
library's own handler as their line is parsed, and our keepalive PONGs are timed from when
their bytes arrived, so a backlog does not inflate the measured lag.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import irc.connection

from assistant.config import ConfigError, NetworkSettings, secret
from assistant.connectors.base import Emit
from assistant.connectors.irc.caps import CapReactor
from assistant.connectors.irc.intake import Intake
from assistant.connectors.irc.pacing import Outbox, TokenBucket
from assistant.connectors.irc.registration import SASL_EVENTS, Registration
from assistant.connectors.irc.state import IrcState
from assistant.connectors.irc.translate import PLATFORM, sanitize, split_message
from assistant.events import Connected, Disconnected, irc_casefold, utcnow

__all__ = ["IrcConnector"]

log = logging.getLogger(__name__)

VERSION_REPLY = "Presence chat-room presence assistant"

# Bytes the server adds when relaying our line: ":nick!user@host" with the longest host.
_MAX_HOST = 63
# Our keepalive PINGs carry this prefix and a monotonic timestamp; the PONG echoes both.
_LAG_TOKEN = "presence-lag-"


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
        ping_interval: seconds between keepalive PINGs (each one also measures ``lag``).
        ping_timeout: seconds without any line after a PING before the link is declared dead.
        lag_warning: log a warning when the measured lag exceeds this many seconds.
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
        lag_warning: float = 10.0,
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
        self._lag_warning = lag_warning
        self._connect_timeout = connect_timeout
        self._quit_timeout = quit_timeout
        self._ssl_context: ssl.SSLContext | None = None
        self._state = IrcState(network, settings.nick, version=version)
        self.lag: float | None = None
        """Seconds the last keepalive PING took to be answered; None until one was."""
        # Channels to be in (case-folded → name), joined on every welcome: the configured
        # ones, except those joined only for their scheduled sessions until join() asks.
        self._wanted = {
            irc_casefold(c.name): c.name for c in settings.channels if not c.join_on_schedule
        }
        # Per-run state, reset by run().
        self._conn: Any = None
        self._registration: Registration | None = None
        self._intake: Intake | None = None
        self._run_task: asyncio.Task[Any] | None = None
        self._connecting: asyncio.Future[Any] | None = None
        self._finished: asyncio.Event | None = None
        self._registered = False
        self._stopping = False
        self._error_reason = ""

    # --- public surface -----------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """True while registered with the server."""
        conn, intake = self._conn, self._intake
        if not self._registered or conn is None or intake is None or intake.closed:
            return False
        return bool(conn.is_connected())

    @property
    def channels(self) -> list[str]:
        """The channels Presence is in right now."""
        return self._state.rosters.channels

    def members(self, channel: str) -> list[str]:
        """The nicks in ``channel`` (without Presence), as last seen; empty if we are not there."""
        return self._state.rosters.members(channel)

    def account(self, nick: str) -> str | None:
        """The services account ``nick`` is logged in as, as far as Presence knows (else None)."""
        return self._state.account(nick)

    def status(self, channel: str, nick: str) -> str:
        """``nick``'s status symbols in ``channel`` (``"@"`` for an op, ``""`` for none)."""
        return self._state.status(channel, nick)

    @property
    def logged_in_as(self) -> str | None:
        """The account SASL (or NickServ, when it says so with 900) logged Presence in as."""
        return self._registration.account if self._registration is not None else None

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

    async def join(self, channel: str) -> None:
        """Join ``channel`` now if connected, and again after every reconnect until :meth:`part`.

        Raises:
            ValueError: ``channel`` is not a single channel name.
        """
        _check_channel(channel)
        self._wanted[irc_casefold(channel)] = channel
        if self.connected:
            self._join_now(self._conn, channel)

    async def part(self, channel: str, message: str = "") -> None:
        """Leave ``channel`` (with ``message``) and stop rejoining it after reconnects.

        Raises:
            ValueError: ``channel`` is not a single channel name.
        """
        _check_channel(channel)
        self._wanted.pop(irc_casefold(channel), None)
        if self.connected:
            # The library's part() sends the message without ":", so only its first word.
            self._conn.send_raw(f"PART {channel} :{sanitize(message)}")

    async def stop(self, message: str = "") -> None:
        """Send QUIT with ``message`` (or the configured one) and wait until ``run`` returns."""
        intake, finished = self._intake, self._finished
        if intake is None or finished is None:
            return
        self._stopping = True
        intake.put(_Stop(message or self.settings.quit_message))
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
        if self._intake is not None:
            raise RuntimeError(f"{self.network}: run() is already running")
        reactor = CapReactor(loop=asyncio.get_running_loop())
        conn = reactor.server()
        intake = conn.intake = Intake(conn)
        self._reset(conn, intake)
        reactor.add_global_handler("all_events", self._make_handler(conn, intake), -100)
        tasks: list[asyncio.Task[None]] = []
        try:
            if await self._connect(conn):
                await self._serve(conn, intake, emit, tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if conn.is_connected():
                conn.disconnect()
            self._registered = False
            self._state.reset(self.settings.nick)
            self._intake = None
            self._conn = None
            self._run_task = None
            if self._finished is not None:
                self._finished.set()

    # --- connection lifecycle -----------------------------------------------------------------

    def _reset(self, conn: Any, intake: Intake) -> None:
        """Start a run from a clean slate, so run() can be called again after a failure."""
        self._conn = conn
        self._intake = intake
        self._run_task = asyncio.current_task()
        self._finished = asyncio.Event()
        self._registered = False
        self._stopping = False
        self._error_reason = ""
        self._state.reset(self.settings.nick)
        self._registration = Registration(self.network, self.settings, _ServerLink(conn))
        self.lag = None
        self.nick = self.settings.nick

    def _make_handler(self, conn: Any, intake: Intake) -> Callable[[Any, Any], None]:
        """Build the library callback: time our PONGs and hand the event over, nothing else."""

        def on_event(source_conn: Any, ev: Any) -> None:
            if source_conn is not conn:
                return
            if ev.type == "pong":
                self._measure_lag(ev, intake.received_at)
            intake.deliver(ev)

        return on_event

    def _measure_lag(self, ev: Any, received_at: float) -> None:
        """Time our keepalive PING from the timestamp its PONG echoes back to its arrival."""
        token = str(ev.arguments[0]) if ev.arguments else ""
        if not token.startswith(_LAG_TOKEN):
            return
        try:
            sent = float(token.removeprefix(_LAG_TOKEN))
        except ValueError:
            return
        self.lag = max(0.0, received_at - sent)
        if self.lag > self._lag_warning:
            log.warning(
                "%s: lag is %.1f s (over %g s): the server or the network is slow",
                self.network,
                self.lag,
                self._lag_warning,
            )

    def _connect_factory(self) -> Any:
        """Plain TCP, or TLS verified against the system CAs (plus ``ca_file``) unless told not to.

        Raises:
            ConnectionError: ``ca_file`` cannot be read.
        """
        if not self.settings.tls:
            return irc.connection.AioFactory()
        if self._ssl_context is None:
            context = ssl.create_default_context()
            if self.settings.ca_file is not None:
                try:
                    context.load_verify_locations(cafile=self.settings.ca_file)
                except (OSError, ssl.SSLError) as exc:
                    raise ConnectionError(
                        f"{self.network}: cannot load ca_file {self.settings.ca_file}: {exc}"
                    ) from exc
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
        except ssl.SSLCertVerificationError as exc:
            raise ConnectionError(
                f"{self.network}: the TLS certificate of {settings.host}:{settings.port} is not "
                f"trusted ({exc.verify_message or exc}): set ca_file to the CA that signed it, "
                "or verify_tls = false for a test server"
            ) from exc
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
        self, conn: Any, intake: Intake, emit: Emit, tasks: list[asyncio.Task[None]]
    ) -> None:
        """Consume library events in order until stopped (return) or disconnected (raise)."""
        loop = asyncio.get_running_loop()
        registration = self._registration
        assert registration is not None  # set by _reset() for this run
        state = self._state
        deadline: float | None = loop.time() + self._connect_timeout
        while True:
            try:
                item = await intake.get(deadline)
            except TimeoutError:
                if self._stopping:  # the server did not close after our QUIT; we do
                    conn.disconnect()
                    await self._emit_disconnected(emit, "stopped")
                    return
                raise ConnectionError(f"{self.network}: registration timed out") from None

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
                reason = self._error_reason or registration.error_reason or "connection lost"
                if self._registered:
                    await self._emit_disconnected(emit, reason)
                raise ConnectionError(f"{self.network}: {reason}")
            if kind == "error":
                self._error_reason = str(ev.target or "")
            elif kind == "welcome":
                deadline = None
                await self._on_welcome(conn, ev, emit, intake, tasks)
            elif kind == "cap" or kind in SASL_EVENTS or not self._registered:
                registration.handle(ev)
                if not self._registered:
                    self.nick = registration.nick
            else:
                state.raw_line = intake.line
                events = state.handle(ev, utcnow())
                self.nick = state.nick
                if state.replies:
                    self._send_replies(conn)
                for event in events:
                    await emit(event)

    def _send_replies(self, conn: Any) -> None:
        """Send what the state asked for: WHO at once, CTCP answers paced and droppable."""
        for reply in self._state.replies:
            if not reply.courtesy:
                if conn.is_connected():
                    conn.send_raw(reply.line)
            # Courtesy replies are dropped under a CTCP flood rather than queued.
            elif len(self._outbox) < self._bucket.burst:
                self._outbox.put(reply.line)
        self._state.replies.clear()

    async def _on_welcome(
        self,
        conn: Any,
        ev: Any,
        emit: Emit,
        intake: Intake,
        tasks: list[asyncio.Task[None]],
    ) -> None:
        """Registered: announce it, identify if needed, join, start sending and pinging."""
        assert self._registration is not None
        self._registered = True
        self.nick = str(ev.target or self.nick)
        self._state.reset(self.nick, self._registration.acked)
        await emit(
            Connected(platform=PLATFORM, network=self.network, timestamp=utcnow(), nick=self.nick)
        )
        self._registration.welcomed()
        for name in list(self._wanted.values()):
            self._join_now(conn, name)
        tasks.append(
            asyncio.create_task(self._send_loop(conn, intake), name=f"irc-send-{self.network}")
        )
        tasks.append(
            asyncio.create_task(self._keepalive(conn, intake), name=f"irc-keepalive-{self.network}")
        )

    def _join_now(self, conn: Any, name: str) -> None:
        """Send JOIN, with the channel's key when its settings name one."""
        key = ""
        for channel in self.settings.channels:
            if channel.key_env and irc_casefold(channel.name) == irc_casefold(name):
                try:
                    key = secret(channel.key_env).get_secret_value()
                except ConfigError as exc:
                    log.error("%s: not joining %s: %s", self.network, name, exc)
                    return
        conn.join(name, key)

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

    async def _send_loop(self, conn: Any, intake: Intake) -> None:
        """Write queued lines at the bucket's pace while the connection is up."""
        while True:
            await self._outbox.wait()
            await self._bucket.take()
            if not conn.is_connected() or intake.closed:
                return  # the line stays queued for the next connection
            conn.send_raw(self._outbox.pop())

    async def _keepalive(self, conn: Any, intake: Intake) -> None:
        """PING regularly; no bytes at all within the timeout means the link is dead.

        While reading is paused we are behind, not the server silent. The library's
        ``set_keepalive`` cannot run on the asyncio reactor (notes §3.4.2).
        """
        while conn.is_connected():
            await asyncio.sleep(self._ping_interval)
            sent = time.monotonic()
            conn.ping(f"{_LAG_TOKEN}{sent:.6f}")
            await asyncio.sleep(self._ping_timeout)
            if intake.last_rx < sent and not intake.paused:
                intake.put(_Lost(f"no reply to PING within {self._ping_timeout:g} s"))
                return

    def _budget(self, target: str) -> int:
        """Text bytes that fit once the server prefixes ``:nick!user@host PRIVMSG target :``."""
        prefix = f":{self.nick}!~{self.settings.username}@{'h' * _MAX_HOST} PRIVMSG {target} :\r\n"
        overhead = len(prefix.encode("utf-8"))
        return max(64, min(self._line_budget, 512 - overhead))


def _check_channel(channel: str) -> None:
    if not channel or channel[0] not in "#&+!" or any(c in channel for c in " ,\r\n\x00\x07"):
        raise ValueError(f"not a valid IRC channel name: {channel!r}")


class _ServerLink:
    """Registration's view of the library connection; secret lines bypass every logger."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def send(self, line: str) -> None:
        if self._conn.is_connected():
            self._conn.send_raw(line)

    def send_secret(self, line: str) -> None:
        # The library's send_raw logs every line at DEBUG (notes §3); a password must not be.
        transport = self._conn.transport
        if self._conn.is_connected() and transport is not None:
            transport.write(sanitize(line).encode("utf-8") + b"\r\n")

    def nick(self, nick: str) -> None:
        self._conn.nick(nick)

    def disconnect(self) -> None:
        self._conn.disconnect()
