"""The Assistant: owns one run of Presence and wires connectors to the core and plugins.

Everything with state (database, recorder, plugin host, connectors) belongs to an
``Assistant`` instance, so tests can build as many as they like. Events flow
connector → recorder (record first) → commands and plugins (fan out); a connector that
dies is restarted with exponential back-off and jitter instead of stopping the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from assistant.clock import Clock, SystemClock
from assistant.config import Settings
from assistant.connectors.base import ChannelControl, Connector
from assistant.events import Connected, Event, Identity, MessageAnalyzed, MessageReceived
from assistant.lag import LoopLagMonitor
from assistant.nlp.stage import Analyzer
from assistant.nlp.worker import WorkerOptions
from assistant.people.upkeep import PeopleUpkeep
from assistant.plugins import Plugin, PluginHost
from assistant.recorder import Recorder
from assistant.sessions.tracker import SessionTracker
from assistant.storage.database import Database
from assistant.storage.history import last_message_ids

if TYPE_CHECKING:
    from assistant.web.server import WebServer

__all__ = ["Assistant", "build_connectors"]

log = logging.getLogger(__name__)

_BACKOFF_START = 1.0
_BACKOFF_MAX = 300.0
_HEALTHY_AFTER = 60.0  # a run that lasted this long resets the back-off
# So does one that stayed connected this long: a server that restarted several times in a
# minute must not leave the bot minutes behind, yet one that drops us right after the welcome
# still meets a growing back-off.
_STEADY_AFTER = 5.0
# Keepalives and heartbeats time out after tens of seconds; a loop blocked for a quarter of
# a second is already a bug worth a log line (at most one a minute).
_LAG_WARNING = 0.25
_LAG_WARNING_EVERY = 60.0


def build_connectors(
    settings: Settings,
    *,
    last_recorded: Callable[[str], Awaitable[Mapping[str, str]]] | None = None,
) -> list[Connector]:
    """Create one connector per configured network.

    ``last_recorded(network)`` maps channel keys to the last recorded message id, where a
    connector that can fetch history (Discord) starts its backfill.
    """
    from assistant.connectors.discord import DiscordConnector
    from assistant.connectors.irc import IrcConnector

    connectors: list[Connector] = []
    for name, network in settings.networks.items():
        if network.platform == "irc":
            connectors.append(IrcConnector(name, network))
        else:  # "discord": the platforms are a closed list, checked by the config
            connectors.append(DiscordConnector(name, network, last_recorded=last_recorded))
    return connectors


_OWNER_LOCK = 1870098034
"""The first key of the owner's advisory lock ("ownr"), apart from Presence's other locks."""


async def _owner_runs_elsewhere(db: Database, owner: str) -> bool:
    """Whether another ``presence run`` on this PostgreSQL database has the same owner.

    Each run holds a session lock named for its owner's key while its connection lasts (a
    crash gives it up with the connection). SQLite holds one instance per file: False.
    """
    if db.backend.name != "postgresql":
        return False
    row = await db.fetchone(f"SELECT pg_try_advisory_lock({_OWNER_LOCK}, hashtext(?))", (owner,))
    return row is not None and not row[0]


class Assistant:
    """One running Presence: start it, let it run, stop it gracefully."""

    def __init__(
        self,
        settings: Settings,
        *,
        connectors: Sequence[Connector] | None = None,
        plugin_classes: Mapping[str, type[Plugin]] | None = None,
        reconnect_delay: float = _BACKOFF_START,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        """The time the run goes by: sessions and plugins ask it (a replay gives its own)."""
        self._sessions: SessionTracker | None = None
        self.reconnect_delay = reconnect_delay
        self.connectors = (
            list(connectors)
            if connectors is not None
            else build_connectors(settings, last_recorded=self._last_recorded)
        )
        self._plugin_classes = plugin_classes
        self._db: Database | None = None
        self._recorder: Recorder | None = None
        self._people: PeopleUpkeep | None = None
        self._plugins: PluginHost | None = None
        self._analyzer: Analyzer | None = None
        self._analyzer_start: asyncio.Task[None] | None = None
        self._web: WebServer | None = None
        self._supervisors: list[asyncio.Task[None]] = []
        self._command_tasks: set[asyncio.Task[bool]] = set()
        self._stopping = asyncio.Event()
        self._stopped = asyncio.Event()
        self.events_seen = 0
        self.lag = LoopLagMonitor(0.1, limit=3000, threshold=_LAG_WARNING, on_lag=self._lagged)
        self._lag_warned_at = -_LAG_WARNING_EVERY

    @property
    def db(self) -> Database:
        """The open database (only between start and stop)."""
        if self._db is None:
            raise RuntimeError("Assistant is not started")
        return self._db

    @property
    def plugins(self) -> PluginHost:
        """The plugin host (only between start and stop)."""
        if self._plugins is None:
            raise RuntimeError("Assistant is not started")
        return self._plugins

    async def start(self) -> None:
        """Open storage, load plugins, and start every connector under a supervisor."""
        storage = self.settings.storage
        self._db = await Database.open_configured(storage, self.settings.resolve(storage.path))
        owner = self.settings.owner.history_key
        if await _owner_runs_elsewhere(self._db, owner):
            log.warning(
                "another presence run on this database has the same owner (%r): the two "
                "share openings and exchanges; give each instance's [owner] a name (or key) "
                "of its own",
                owner,
            )
        private = [
            (network_name, channel.name)
            for network_name, network in self.settings.networks.items()
            for channel in network.channels
            if channel.private
        ]
        self._recorder = Recorder(self._db, ignore=self.settings.ignore, private_channels=private)
        self._people = PeopleUpkeep(self.settings, self._db)
        await self._people.start()  # opt-outs are known before the first event is recorded
        self._plugins = PluginHost(
            self.settings,
            self._db,
            self.send,
            plugin_classes=self._plugin_classes,
            clock=self.clock,
        )
        try:
            await self._plugins.start()
        except BaseException:
            await self._people.stop()
            await self._db.close()
            raise
        self._sessions = SessionTracker(
            self.settings,
            self._db,
            self._plugins.publish,
            clock=self.clock,
            join=self._join_channel,
            part=self._part_channel,
        )
        await self._sessions.start()
        self.lag.start()
        if self.settings.analysis.enabled:
            self._start_analyzer(self._db)
        if self.settings.web.enabled:
            from assistant.web.dashboard import start_dashboard

            try:
                self._web = await start_dashboard(
                    self._db, self.settings, plugins=self._plugins, running=self
                )
            except BaseException:
                await self.stop()
                raise
        for connector in self.connectors:
            task = asyncio.create_task(
                self._supervise(connector), name=f"connector:{connector.network}"
            )
            self._supervisors.append(task)
        log.info(
            "Presence started: %d network(s), plugins: %s",
            len(self.connectors),
            ", ".join(self._plugins.names) or "none",
        )

    async def run(self) -> None:
        """Start, then run until :meth:`request_stop` is called, then stop gracefully."""
        await self.start()
        # What starting loaded (modules, settings, plugins) lives as long as the process; out
        # of the cyclic collector's sight, a full collection walks only what came since, and
        # pauses the event loop for less.
        gc.collect()
        gc.freeze()
        try:
            await self._stopping.wait()
        finally:
            await self.stop()

    def request_stop(self) -> None:
        """Ask :meth:`run` to shut down (safe to call from a signal handler)."""
        self._stopping.set()

    async def stop(self) -> None:
        """Leave every network with the quit message, flush, and close (idempotent)."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        self._stopping.set()
        if self._web is not None:
            await self._web.stop()
        if self._sessions is not None:
            await self._sessions.stop()
        for connector in self.connectors:
            message = self._quit_message(connector.network)
            try:
                await asyncio.wait_for(connector.stop(message), timeout=5)
            except Exception:
                log.exception("network %s: error while leaving", connector.network)
        if self._supervisors:
            _, pending = await asyncio.wait(self._supervisors, timeout=5)
            for task in pending:
                task.cancel()
            await asyncio.gather(*self._supervisors, return_exceptions=True)
        if self._command_tasks:
            await asyncio.wait(self._command_tasks, timeout=5)
        await self._stop_analyzer()
        if self._plugins is not None:
            await self._plugins.stop()
        if self._people is not None:
            await self._people.stop()
        if self._db is not None:
            await self._db.close()
        await self.lag.stop()
        log.info("Presence stopped after %d events", self.events_seen)

    async def _last_recorded(self, network: str) -> dict[str, str]:
        """The last recorded message id per channel of ``network``: where backfill starts."""
        return await last_message_ids(self.db, network)

    async def send(self, network: str, target: str, text: str) -> None:
        """Send ``text`` to ``target`` on ``network`` through its connector."""
        for connector in self.connectors:
            if connector.network == network:
                await connector.send(target, text)
                return
        log.warning("cannot send to %s on %s: no such network", target, network)

    async def _emit(self, event: Event) -> None:
        """Take one event from a connector: record it first, then fan it out."""
        if self._recorder is None or self._plugins is None:
            return
        self.events_seen += 1
        await self._recorder.take(event)  # waits while the writer is a batch behind
        actor = getattr(event, "actor", None)
        if isinstance(actor, Identity) and self._recorder.skips(actor):
            # Ignored nicks reach nothing; opted-out people only their commands (!optin).
            if isinstance(event, MessageReceived) and not self._recorder.ignores(actor.nick):
                self._command(event)
            return
        if self._analyzer is not None:
            self._analyzer.submit(event)
        if self._sessions is not None:
            self._sessions.observe(event)
        if isinstance(event, MessageReceived):
            self._command(event)
        self._plugins.publish(event)

    def _command(self, event: MessageReceived) -> None:
        """Run the chat command in ``event`` (if it is one) in a task of its own."""
        if self._plugins is None or not event.text.startswith(self.settings.commands.prefix):
            return
        task = asyncio.create_task(self._plugins.handle_command(event), name="command")
        self._command_tasks.add(task)
        task.add_done_callback(self._command_done)

    @property
    def recorder(self) -> Recorder:
        """The recorder (only between start and stop)."""
        if self._recorder is None:
            raise RuntimeError("Assistant is not started")
        return self._recorder

    @property
    def sessions(self) -> SessionTracker:
        """The session tracker (only between start and stop)."""
        if self._sessions is None:
            raise RuntimeError("Assistant is not started")
        return self._sessions

    async def _join_channel(self, network: str, channel: str) -> None:
        """Join ``channel`` on ``network`` for a scheduled session, if its connector can."""
        for connector in self.connectors:
            if connector.network == network and isinstance(connector, ChannelControl):
                await connector.join(channel)
                return
        log.warning(
            "cannot join %s on %s: its connector does not join on request", channel, network
        )

    async def _part_channel(self, network: str, channel: str) -> None:
        """Leave ``channel`` on ``network`` after a scheduled session, if its connector can."""
        for connector in self.connectors:
            if connector.network == network and isinstance(connector, ChannelControl):
                await connector.part(channel, "see you next time")
                return

    @property
    def analyzer(self) -> Analyzer | None:
        """The analysis stage (None when ``[analysis] enabled = false`` or not started)."""
        return self._analyzer

    def _start_analyzer(self, db: Database) -> None:
        """Create the analyzer and load its worker in the background (it takes seconds).

        Messages submitted meanwhile wait in the analyzer; a pipeline that cannot load is
        logged and the assistant goes on recording without analysis.
        """
        analysis = self.settings.analysis
        options = WorkerOptions(pipeline=analysis.pipeline or None, entities=analysis.entities)
        analyzer = Analyzer(
            db,
            self._publish_analysis,
            options,
            batch_size=analysis.batch_size,
            batch_wait=analysis.batch_wait,
            spare_worker=analysis.spare_worker,
        )
        self._analyzer = analyzer
        self._analyzer_start = asyncio.create_task(self._run_analyzer_start(analyzer))

    async def _run_analyzer_start(self, analyzer: Analyzer) -> None:
        try:
            await analyzer.start()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error("analysis is off: the spaCy worker could not start: %s", exc)
            if self._analyzer is analyzer:
                self._analyzer = None
            await analyzer.stop(timeout=0)

    async def _stop_analyzer(self) -> None:
        """Analyse what is pending (bounded), then end the worker; never hangs."""
        starting, self._analyzer_start = self._analyzer_start, None
        if starting is not None and not starting.done():
            starting.cancel()
        if starting is not None:
            await asyncio.gather(starting, return_exceptions=True)
        analyzer, self._analyzer = self._analyzer, None
        if analyzer is not None:
            try:
                await analyzer.stop(timeout=10)
            except Exception:
                log.exception("analysis: error while stopping the worker")

    def _publish_analysis(self, event: MessageAnalyzed) -> None:
        if self._plugins is not None:
            self._plugins.publish(event)

    def _command_done(self, task: asyncio.Task[bool]) -> None:
        self._command_tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("command failed", exc_info=task.exception())

    def _lagged(self, lag: float) -> None:
        now = time.monotonic()
        if now - self._lag_warned_at >= _LAG_WARNING_EVERY:
            self._lag_warned_at = now
            log.warning(
                "the event loop was blocked for %.0f ms; keepalives and heartbeats wait while "
                "it is (a slow plugin or a flood?)",
                lag * 1000,
            )

    def _quit_message(self, network: str) -> str:
        settings = self.settings.networks.get(network)
        return settings.quit_message if settings is not None else "Presence signing off"

    async def _supervise(self, connector: Connector) -> None:
        """Run ``connector`` until stopped, restarting it with back-off when it fails."""
        delay = self.reconnect_delay
        welcomed: list[float] = []  # when this run first emitted Connected

        async def emit(event: Event) -> None:
            if isinstance(event, Connected) and not welcomed:
                welcomed.append(time.monotonic())
            await self._emit(event)

        while not self._stopping.is_set():
            started = time.monotonic()
            welcomed.clear()
            try:
                await connector.run(emit)
                if self._stopping.is_set():
                    return
                log.warning("network %s: connection ended unexpectedly", connector.network)
            except asyncio.CancelledError:
                raise
            except (ConnectionError, OSError, TimeoutError) as exc:
                log.warning(
                    "network %s: connection lost: %s", connector.network, exc or type(exc).__name__
                )
            except Exception:
                log.exception("network %s: connector crashed", connector.network)
            ended = time.monotonic()
            steady = bool(welcomed) and ended - welcomed[0] >= _STEADY_AFTER
            if steady or ended - started > _HEALTHY_AFTER:
                delay = self.reconnect_delay
            wait = delay * random.uniform(0.5, 1.5)
            log.info("network %s: reconnecting in %.1f s", connector.network, wait)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=wait)
            delay = min(delay * 2, _BACKOFF_MAX)
