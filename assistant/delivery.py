"""How events reach one plugin: the types it handles, what is never dropped, and what it missed.

A plugin is given only the event types its ``assistant_event`` handles (declared in
``Plugin.handles``, or read from the handler's ``event`` annotation), so a plugin that acts
on session ends never queues up a flood of messages it would ignore.

Each plugin has a :class:`Mailbox`: one FIFO queue with a soft bound. Past the bound, chat
events are *shed* (not queued, counted in :class:`Delivery`), while lifecycle events
(:data:`LIFECYCLE`, and the types a plugin lists in ``Plugin.must_deliver``) are still
queued, behind what is already there, up to a second bound twice as high. The queue is
the overflow: the publisher never waits. Waiting was the other choice, and it is wrong
here: events are published from the connectors' read loops and from the session
tracker, and an IRC connector answers the server's PINGs from the same loop that emits
events, so a publisher held up by a stuck plugin would get Presence disconnected
("Ping timeout") and lose far more than one plugin's backlog. Lifecycle events are
rare (a few per session or reconnect), so the extra room is never used by them in
practice; if a stuck plugin fills it anyway, they too are shed, counted and logged as
an error rather than let memory grow without end.

Shedding comes in episodes: from the first event a plugin misses until its queue is
empty again. The owner gets one warning when an episode begins and a line when it ends;
the plugin sees the running counts in ``ctx.delivery`` and, if it names
:class:`~assistant.events.PluginFellBehind` among its handled types, gets one such event
when it has caught up.
"""

from __future__ import annotations

import asyncio
import logging
import types
import typing
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pluggy

from assistant.events import (
    Connected,
    Disconnected,
    Event,
    PluginFellBehind,
    SessionEnded,
    SessionStarted,
    irc_casefold,
    utcnow,
)
from assistant.hooks import call_impl

__all__ = [
    "LIFECYCLE",
    "ChannelGap",
    "Delivery",
    "Mailbox",
    "Shedding",
    "handled_types",
]

log = logging.getLogger(__name__)

LIFECYCLE: tuple[type[Event], ...] = (SessionStarted, SessionEnded, Connected, Disconnected)
"""Event types never shed for a plugin that handles them."""
EPISODES_KEPT = 50  # shedding episodes remembered per plugin (for summaries and health)


@dataclass(slots=True)
class ChannelGap:
    """Events of one channel a plugin missed in one episode, and their first and last times."""

    missed: int
    first: datetime
    last: datetime


@dataclass(slots=True)
class Shedding:
    """One episode of a plugin falling behind: from the first event it missed until it caught up."""

    missed: int = 0
    types: Counter[str] = field(default_factory=Counter)
    channels: dict[tuple[str, str], ChannelGap] = field(default_factory=dict)
    """Keyed by network and case-folded channel (``""``: events in no channel)."""
    caught_up: bool = False

    def add(self, event: Event) -> None:
        """Count ``event`` as missed."""
        self.missed += 1
        self.types[type(event).__name__] += 1
        channel = getattr(event, "channel", None)
        key = (event.network, irc_casefold(channel) if isinstance(channel, str) else "")
        gap = self.channels.get(key)
        if gap is None:
            self.channels[key] = ChannelGap(1, event.timestamp, event.timestamp)
        else:
            gap.missed += 1
            gap.first = min(gap.first, event.timestamp)
            gap.last = max(gap.last, event.timestamp)

    def fell_behind(self, plugin: str) -> PluginFellBehind:
        """The event that tells the plugin what this episode cost it."""
        gaps = self.channels.values()
        return PluginFellBehind(
            platform="presence",
            network="",
            timestamp=utcnow(),
            plugin=plugin,
            missed=self.missed,
            first=min(gap.first for gap in gaps),
            last=max(gap.last for gap in gaps),
            types=tuple(self.types.most_common()),
        )


@dataclass(slots=True)
class Delivery:
    """What one plugin is given and what it missed; a plugin reads its own as ``ctx.delivery``.

    The counts only grow while Presence runs (they start at zero on each start-up).
    """

    handles: tuple[type[Event], ...] | None = None
    """The event types its ``assistant_event`` is given; ``None``: every chat event."""
    must_deliver: tuple[type[Event], ...] = LIFECYCLE
    """The types never shed for it (lifecycle events and the plugin's ``must_deliver``)."""
    missed: int = 0
    """Events it was not given since start-up, all episodes together."""
    missed_types: Counter[str] = field(default_factory=Counter)
    """The same, by event type name (``"MessageReceived"``: 1200)."""
    episodes: deque[Shedding] = field(default_factory=lambda: deque(maxlen=EPISODES_KEPT))
    """The latest shedding episodes, oldest first."""

    @property
    def behind(self) -> bool:
        """True while the plugin is shedding: it missed events and has not caught up yet."""
        return bool(self.episodes) and not self.episodes[-1].caught_up

    def gaps(self, network: str, channel: str, start: datetime, end: datetime) -> list[ChannelGap]:
        """Gaps in ``channel`` (in the episodes kept) that overlap ``start`` to ``end``."""
        key = (network, irc_casefold(channel))
        found = (episode.channels.get(key) for episode in self.episodes)
        return [gap for gap in found if gap is not None and gap.first <= end and gap.last >= start]


def _resolved_hints(handler: Callable[..., object]) -> dict[str, Any] | None:
    function = getattr(handler, "__func__", handler)
    try:
        return typing.get_type_hints(function)
    except Exception:  # a name imported only for type checking, a typo in a string
        log.debug("cannot resolve the annotations of %r", handler, exc_info=True)
        return None


def handled_types(handler: Callable[..., object]) -> tuple[type[Event], ...] | None:
    """The event types a handler's ``event`` annotation names; ``None``: every chat event.

    ``Event``, ``object``, ``Any``, no annotation, or one that cannot be resolved (a name
    imported only under ``TYPE_CHECKING``) all mean every event, as before this existed.

    Raises:
        TypeError: the annotation names something that is not an ``Event`` subclass.
    """
    hints = _resolved_hints(handler)
    hint = None if hints is None else hints.get("event")
    if hint is None or hint is Any or hint is object or hint is Event:
        return None
    origin = typing.get_origin(hint)
    options = typing.get_args(hint) if origin in (typing.Union, types.UnionType) else (hint,)
    found: list[type[Event]] = []
    for option in options:
        if option is type(None):
            continue
        if not (isinstance(option, type) and issubclass(option, Event)):
            raise TypeError(f"its event parameter is annotated {hint!r}, not Event subclasses")
        if option is Event:
            return None
        found.append(option)
    return tuple(found)


def _takes(accepts: tuple[type[Event], ...] | None, event: Event) -> bool:
    """Whether a handler that accepts ``accepts`` is given ``event``.

    ``PluginFellBehind`` goes only to handlers that name the types they take: one written
    for "every chat event" would not expect it.
    """
    if accepts is None:
        return not isinstance(event, PluginFellBehind)
    return isinstance(event, accepts)


class Mailbox:
    """One plugin's queue of events, its handlers, and the account of what it missed.

    See the module's docstring for why the publisher never waits: lifecycle events go
    over the soft bound instead, in order, behind the events already queued.
    """

    def __init__(
        self,
        name: str,
        impls: Sequence[tuple[pluggy.HookImpl, tuple[type[Event], ...] | None]],
        delivery: Delivery,
        *,
        limit: int,
        log: logging.Logger,
    ) -> None:
        self.name = name
        self.delivery = delivery
        self.queue: asyncio.Queue[Event | asyncio.Future[None]] = asyncio.Queue()
        self.limit = limit
        self.hard_limit = 2 * limit
        self._impls = list(impls)
        self._log = log
        accepted = [accepts for _, accepts in self._impls]
        self._accepts: tuple[type[Event], ...] | None = (
            None if any(a is None for a in accepted) else tuple(t for a in accepted if a for t in a)
        )
        delivery.handles = self._accepts
        self._must = delivery.must_deliver
        self._stuck_logged = False

    def wants(self, event: Event) -> bool:
        """Whether the plugin handles events like ``event`` at all."""
        return self._accepts is None or isinstance(event, self._accepts)

    def put(self, event: Event) -> None:
        """Queue ``event`` if the plugin handles it and there is room for it; never waits."""
        if not self.wants(event):
            return
        size = self.queue.qsize()
        if size < self.limit:
            self.queue.put_nowait(event)
            return
        must = isinstance(event, self._must)
        if must and size < self.hard_limit:
            self.queue.put_nowait(event)
            return
        self._shed(event, must=must)

    def _shed(self, event: Event, *, must: bool) -> None:
        delivery = self.delivery
        if not delivery.behind:
            delivery.episodes.append(Shedding())
            self._stuck_logged = False
            self._log.warning(
                "plugin %s cannot keep up (%d events waiting): skipping chat events for it "
                "until it catches up; it is told how many it missed",
                self.name,
                self.queue.qsize(),
            )
        if must and not self._stuck_logged:
            self._stuck_logged = True
            self._log.error(
                "plugin %s seems stuck (%d events waiting): even %s events are being skipped",
                self.name,
                self.queue.qsize(),
                type(event).__name__,
            )
        delivery.episodes[-1].add(event)
        delivery.missed += 1
        delivery.missed_types[type(event).__name__] += 1

    async def hand(self, event: Event, errors: Counter[str]) -> None:
        """Give ``event`` to each of the plugin's handlers that takes it, in turn."""
        for impl, accepts in self._impls:
            if _takes(accepts, event):
                await call_impl(impl, "assistant_event", {"event": event}, errors=errors)

    async def caught_up(self, errors: Counter[str]) -> None:
        """The queue is empty: end a shedding episode, if one is open, and say so."""
        if not self.delivery.behind:
            return
        episode = self.delivery.episodes[-1]
        episode.caught_up = True
        self._log.info(
            "plugin %s caught up; it missed %d event(s) (%s)",
            self.name,
            episode.missed,
            ", ".join(f"{n} {kind}" for kind, n in episode.types.most_common()),
        )
        told = episode.fell_behind(self.name)
        if any(_takes(accepts, told) for _, accepts in self._impls):
            await self.hand(told, errors)
