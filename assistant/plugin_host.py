"""The host of one running assistant's plugins: building them, feeding them events, calling hooks.

The :class:`PluginHost` validates each plugin's ``[plugins.NAME]`` section, applies the
plugin's own migrations, builds the plugin with a :class:`PluginContext`, collects its chat
commands, and delivers events to each plugin in its own task so that a slow or failing
plugin hurts only itself. Which events a plugin gets, which are never dropped, and how it
learns what it missed is :mod:`assistant.delivery`; finding and checking the plugins is
:mod:`assistant.plugin_loading`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, Protocol, TypeVar

import pluggy
from pydantic import BaseModel

from assistant.clock import Clock, SystemClock
from assistant.commands import CommandError, CommandTable, Send, collect_commands
from assistant.config import ConfigError, Settings
from assistant.delivery import LIFECYCLE, Delivery, Mailbox, handled_types
from assistant.events import Event, MessageReceived
from assistant.hooks import HookResult, call_hook, new_plugin_manager, plugin_logger
from assistant.kvstore import KeyValueStore
from assistant.plugin_loading import (
    Plugin,
    PluginError,
    check_plugin_class,
    plugin_migrations,
    resolve_plugins,
)
from assistant.storage.database import Database, MigrationError

__all__ = ["CallHook", "PluginContext", "PluginHost"]

QUEUE_SIZE = 10_000
CATCH_UP_LIMIT = 5.0

_M = TypeVar("_M", bound=BaseModel)

_YIELD_EVERY = 16  # events a plugin handles between two turns of the event loop


class CallHook(Protocol):
    """Calls a hook on every plugin, as :meth:`PluginHost.call` does."""

    def __call__(
        self, hook_name: str, /, *, time_limit: float | None = None, **args: object
    ) -> Awaitable[list[HookResult]]: ...


@dataclass(frozen=True, slots=True)
class PluginContext:
    """Everything a plugin is given when it is built; it keeps its state on itself.

    ``call_hook`` lets a plugin that composes something (a summary) ask the other plugins
    for their part through the same isolating helper the core uses. ``delivery`` says
    which events the plugin is given and counts those it missed when it fell behind
    (``ctx.delivery.missed``); ``deliveries`` is every plugin's, by name, read-only.
    ``clock`` is the run's time (the real time live, the log's in a replay): a plugin asks
    it what time it is and waits on it, never on the wall clock.
    """

    name: str
    config: BaseModel
    store: KeyValueStore
    db: Database
    log: logging.Logger
    send: Send = field(repr=False)
    settings: Settings = field(repr=False)
    call_hook: CallHook = field(repr=False)
    delivery: Delivery = field(default_factory=Delivery, repr=False)
    deliveries: Mapping[str, Delivery] = field(
        default_factory=lambda: MappingProxyType({}), repr=False
    )
    clock: Clock = field(default_factory=SystemClock, repr=False)

    def config_as(self, model: type[_M]) -> _M:
        """Return ``config`` typed as the plugin's own ``Config`` class."""
        if not isinstance(self.config, model):
            raise TypeError(f"plugin {self.name}: config is {type(self.config).__name__}")
        return self.config


class PluginHost:
    """The loaded plugins of one running assistant, and the way the app talks to them."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        send: Send,
        *,
        plugin_classes: Mapping[str, type[Plugin]] | None = None,
        queue_size: int = QUEUE_SIZE,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.send = send
        self.clock: Clock = clock or SystemClock()
        self.errors: Counter[str] = Counter()
        self.names: list[str] = []
        self.commands = CommandTable()
        self.pm = new_plugin_manager()
        self._plugin_classes = plugin_classes
        self._queue_size = queue_size
        self._plugins: dict[str, Plugin] = {}
        self._deliveries: dict[str, Delivery] = {}
        self._mailboxes: dict[str, Mailbox] = {}
        self._workers: list[asyncio.Task[None]] = []
        self._state: Literal["new", "running", "stopping", "stopped"] = "new"

    def instance(self, name: str) -> Plugin:
        """Return the loaded plugin called ``name``."""
        return self._plugins[name]

    @property
    def deliveries(self) -> Mapping[str, Delivery]:
        """What each plugin handles and what it missed, by plugin name (read-only)."""
        return MappingProxyType(self._deliveries)

    def queued(self) -> dict[str, int]:
        """Events waiting in each plugin's queue right now, by plugin name."""
        return {name: box.queue.qsize() for name, box in self._mailboxes.items()}

    @property
    def shed(self) -> Counter[str]:
        """Events not given to each plugin because it had fallen behind, since start-up."""
        return Counter({name: d.missed for name, d in self._deliveries.items() if d.missed})

    async def start(self) -> None:
        """Load, check, migrate and build every enabled plugin, then call ``assistant_startup``.

        Raises:
            ConfigError: a ``[plugins.NAME]`` section is wrong, or a plugin's
                ``assistant_startup`` raised one (the plugins are stopped again).
            PluginError: a plugin cannot be loaded, checked, migrated or built.
        """
        if self._state != "new":
            raise RuntimeError("PluginHost.start() may be called once")
        resolved = resolve_plugins(self.settings, self._plugin_classes)
        scripts: dict[str, list[str]] = {}
        for name, (cls, _) in resolved.items():
            check_plugin_class(name, cls)
            # Every plugin must suit the backend before any is migrated.
            scripts[name] = plugin_migrations(name, cls, self.db.backend.name)
        for name in resolved:
            try:
                await self.db.apply_migrations(f"plugin:{name}", scripts[name])
            except MigrationError as exc:
                raise PluginError(name, str(exc)) from exc
        for name, (cls, config) in resolved.items():
            self._add(name, cls, config)
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            raise PluginError(self.pm.get_name(exc.plugin) or "?", str(exc)) from exc
        self.names = list(self._plugins)
        for name in self.names:
            self._open_mailbox(name)
        self._state = "running"
        results = await self.call("assistant_startup")
        refused = [r.error for r in results if isinstance(r.error, ConfigError)]
        if refused:
            # A plugin that learns only now that its configuration is wrong (what it checks
            # comes from the other plugins' hooks) stops start-up, as a wrong section does.
            await self.stop()
            raise (
                refused[0]
                if len(refused) == 1
                else ConfigError([problem for error in refused for problem in error.problems])
            )

    def _open_mailbox(self, name: str) -> None:
        """Start feeding plugin ``name`` the event types it handles, if it handles any."""
        impls = [
            impl
            for impl in self.pm.hook.assistant_event.get_hookimpls()
            if impl.plugin_name == name
        ]
        if not impls:
            return
        declared = type(self._plugins[name]).handles
        try:
            accepts = [
                declared if declared is not None else handled_types(impl.function) for impl in impls
            ]
        except TypeError as exc:
            raise PluginError(
                name, f"assistant_event: {exc}; or declare the types in `handles`"
            ) from exc
        box = Mailbox(
            name,
            list(zip(impls, accepts, strict=True)),
            self._deliveries[name],
            limit=self._queue_size,
            log=plugin_logger(name),
        )
        self._mailboxes[name] = box
        self._workers.append(asyncio.create_task(self._deliver(box), name=f"plugin:{name}"))

    def _add(self, name: str, cls: type[Plugin], config: BaseModel) -> None:
        delivery = Delivery(must_deliver=(*LIFECYCLE, *cls.must_deliver))
        self._deliveries[name] = delivery
        ctx = PluginContext(
            name=name,
            config=config,
            store=KeyValueStore(self.db, name),
            db=self.db,
            log=plugin_logger(name),
            send=self.send,
            settings=self.settings,
            call_hook=self.call,
            delivery=delivery,
            deliveries=self.deliveries,
            clock=self.clock,
        )
        try:
            plugin = cls(ctx)
        except Exception as exc:
            raise PluginError(name, f"could not be built: {type(exc).__name__}: {exc}") from exc
        try:
            self.pm.register(plugin, name=name)
        except (ValueError, pluggy.PluginValidationError) as exc:
            raise PluginError(name, str(exc)) from exc
        for caller in self.pm.get_hookcallers(plugin) or []:
            for impl in caller.get_hookimpls():
                if impl.plugin is plugin and (impl.wrapper or impl.hookwrapper):
                    raise PluginError(name, f"{caller.name}: hook wrappers are not supported")
        try:
            self.commands.add(collect_commands(name, plugin))
        except CommandError as exc:
            raise PluginError(name, str(exc)) from exc
        self._plugins[name] = plugin

    async def call(
        self, hook_name: str, /, *, time_limit: float | None = None, **args: object
    ) -> list[HookResult]:
        """Call a hook on every plugin concurrently; errors are logged and counted, never raised."""
        return await call_hook(self.pm, hook_name, args, errors=self.errors, time_limit=time_limit)

    def publish(self, event: Event) -> None:
        """Queue ``event`` for every plugin that handles its type, without waiting for any.

        A plugin that has fallen ``queue_size`` events behind misses chat events (counted
        in its ``ctx.delivery``) but still gets lifecycle and must-deliver ones, in order
        (:class:`~assistant.delivery.Mailbox` says why the publisher never waits).
        Events published after :meth:`stop` began are dropped (the plugins are shutting
        down); publishing before :meth:`start` is a bug in the caller.
        """
        if self._state == "new":
            raise RuntimeError("PluginHost.publish() before start()")
        if self._state != "running":
            return
        for box in self._mailboxes.values():
            box.put(event)

    async def _deliver(self, box: Mailbox) -> None:
        """Feed one plugin its events, one at a time, in order, whatever its handler does.

        ``queue.get()`` on a non-empty queue does not yield, and many handlers never await:
        in a flood a plugin's backlog would run back to back and keepalives would wait for
        all of it, so the loop gets a turn every few events. When the queue is empty the
        plugin has caught up, and a shedding episode, if one was open, ends.
        """
        queue = box.queue
        handled = 0
        while True:
            handled += 1
            if handled % _YIELD_EVERY == 0:
                await asyncio.sleep(0)
            event = await queue.get()
            try:
                if isinstance(event, asyncio.Future):  # a command waits for this point
                    if not event.done():
                        event.set_result(None)
                else:
                    await box.hand(event, self.errors)
                if queue.empty():
                    await box.caught_up(self.errors)
            finally:
                queue.task_done()

    async def handle_command(self, event: MessageReceived) -> bool:
        """Run the chat command in ``event``, if it is one; return True when it was handled."""
        if self._state != "running":
            return False
        return await self.commands.dispatch(
            event,
            settings=self.settings,
            send=self.send,
            errors=self.errors,
            before=self._catch_up,
        )

    async def _catch_up(self, name: str) -> None:
        """Wait until plugin ``name`` has handled every event published so far.

        A command then answers from the same state the chat showed when it was asked
        (a plugin counting arrivals counts the one just before the question). A plugin
        that is stuck delays its own commands by at most ``CATCH_UP_LIMIT`` seconds.
        """
        box = self._mailboxes.get(name)
        if box is None:
            return
        if not box.delivery.behind:  # a plugin that is shedding would not catch up in time
            barrier: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            box.queue.put_nowait(barrier)
            try:
                await asyncio.wait_for(asyncio.shield(barrier), CATCH_UP_LIMIT)
                return
            except TimeoutError:
                pass
        plugin_logger(name).warning("plugin %s is behind; answering a command anyway", name)

    async def delivered(self) -> None:
        """Wait until every event queued so far has been handled by its plugin.

        A replay calls this before it moves its clock on past the end of the log, so that
        what the last lines start is seen before the time jump, not raced by it.
        """
        await asyncio.gather(*(box.queue.join() for box in self._mailboxes.values()))

    async def stop(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109 -- bounds two phases
        """Deliver queued events, call ``assistant_shutdown``, end the tasks.

        Delivery and shutdown are each bounded by ``timeout`` seconds, so a stuck plugin
        delays stopping by at most twice that; what it did not get is logged.
        """
        if self._state != "running":
            self._state = "stopped"
            return
        self._state = "stopping"
        try:
            async with asyncio.timeout(timeout):
                await self.delivered()
        except TimeoutError:
            for name, box in self._mailboxes.items():
                if left := box.queue.qsize():
                    plugin_logger(name).warning(
                        "plugin %s: %d event(s) not delivered before stopping", name, left
                    )
        await self.call("assistant_shutdown", time_limit=timeout)
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._state = "stopped"
