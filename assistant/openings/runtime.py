"""The openings engine as a plugin runs it: built from a plugin context, ticking, notifying.

The ``openings`` plugin only passes its context and its detectors; everything it runs is
here, so the plugin package stays a thin layer over the public API.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from assistant.config import secret
from assistant.events import Event
from assistant.openings.check import recorded_identities
from assistant.openings.detector import Detector
from assistant.openings.engine import OpeningsEngine
from assistant.openings.interests import InterestMatcher, vector_similarity
from assistant.openings.notable import build_notability, missing_notables
from assistant.openings.notifiers import (
    ConsoleNotifier,
    DirectMessageNotifier,
    Notifier,
    WebhookNotifier,
)
from assistant.openings.store import MIGRATIONS_BY_DIALECT, OpeningsStore

if TYPE_CHECKING:
    from assistant.plugins import PluginContext, PluginHost

__all__ = ["OpeningsRuntime", "load_detector", "openings_runtime"]

log = logging.getLogger(__name__)

_TICK = 5.0  # seconds between live checks of the waits


def load_detector(path: str) -> type[Detector]:
    """Import the detector class named ``package.module:Class``.

    Raises:
        ValueError: the name is malformed, cannot be imported, or is not a Detector.
    """
    module_name, _, attr = path.partition(":")
    if not module_name or not attr:
        raise ValueError(f"detector {path!r}: write it as package.module:ClassName")
    try:
        found = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"detector {path!r} cannot be imported: {exc}") from None
    if not (isinstance(found, type) and issubclass(found, Detector) and found.kind):
        raise ValueError(f"detector {path!r} is not a Detector subclass with a `kind`")
    return found


class OpeningsRuntime:
    """One run's openings: the engine, its notifiers and its periodic tick."""

    migrations: dict[str, tuple[str, ...]] = MIGRATIONS_BY_DIALECT
    """The migrations of the plugin's own tables (``openings_*``), per dialect."""

    def __init__(
        self,
        ctx: PluginContext,
        detectors: Sequence[type[Detector]],
        *,
        extra: Sequence[str] = (),
        disabled: Sequence[str] = (),
    ) -> None:
        """Build the engine: ``detectors`` and ``extra`` ("module:Class"), minus ``disabled`` kinds.

        Raises:
            ValueError: an extra detector cannot be loaded, or a disabled kind is unknown.
        """
        self.ctx = ctx
        settings = ctx.settings
        chosen = [*detectors, *(load_detector(path) for path in extra)]
        known = {cls.kind for cls in chosen}
        unknown = sorted(set(disabled) - known)
        if unknown:
            raise ValueError(
                f"disabled names unknown kind(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(known))}"
            )
        self.engine = OpeningsEngine(
            settings.openings,
            settings.owner,
            clock=ctx.clock,
            notability=build_notability(settings),
            interests=InterestMatcher(settings.interests, threshold=settings.openings.similarity),
            store=OpeningsStore(ctx.db),
            detectors=[cls for cls in chosen if cls.kind not in disabled],
        )
        self._ticker: asyncio.Task[None] | None = None
        self._started = time.monotonic()
        self._unseen_checked = False

    def _notifiers(self) -> list[Notifier]:
        settings = self.ctx.settings
        chosen = settings.openings.notify
        notifiers: list[Notifier] = []
        if "console" in chosen:
            notifiers.append(ConsoleNotifier())
        if "dm" in chosen:
            room = self.engine.room
            notifiers.append(
                DirectMessageNotifier(
                    self.ctx.send,
                    list(settings.owner.identities),
                    lambda _platform, network: room.owner_nicks.get(network),
                    {name: n.platform for name, n in settings.networks.items()},
                )
            )
        if "webhook" in chosen:
            env = settings.openings.webhook_url_env
            if env is None:
                log.error("openings: notify has webhook but webhook_url_env is not set")
            else:
                notifiers.append(
                    WebhookNotifier(
                        secret(env).get_secret_value(),
                        timeout=settings.openings.webhook_timeout,
                        retries=settings.openings.webhook_retries,
                    )
                )
        return notifiers

    async def start(self) -> None:
        """Read the ledgers back, set up notifiers and word vectors, start the periodic tick."""
        await self.engine.load()
        self.engine.notifiers.extend(self._notifiers())
        pipeline = self.ctx.settings.openings.similarity_pipeline
        if pipeline:
            self.engine.ctx.interests.similarity = await asyncio.to_thread(
                vector_similarity, pipeline
            )
        self._ticker = asyncio.create_task(self._tick(), name="openings:tick")

    async def _tick(self) -> None:
        hours = self.ctx.settings.openings.unseen_warning_hours
        while True:
            await asyncio.sleep(_TICK)
            if self.engine.clock.live:
                try:
                    await self.engine.tick()
                    due = hours and time.monotonic() - self._started >= hours * 3600
                    if due and not self._unseen_checked:
                        await self.warn_unseen_notables()
                except Exception:
                    log.exception("openings: tick failed")

    async def warn_unseen_notables(self) -> list[str]:
        """Log, once, each watchlist member that no recorded identity matches; return them.

        Live chat records every identity it sees: a notable none of them matches after a
        day of attending is most often a misspelt nick or a missing ``#1234`` tag, and
        their openings would be a silent zero.
        """
        self._unseen_checked = True
        seen = await recorded_identities(self.ctx.db)
        where = f"the {len(seen)} identities recorded so far"
        # difflib over every identity ever recorded: off the event loop.
        warnings = await asyncio.to_thread(
            missing_notables, self.ctx.settings.watchlist, seen, where
        )
        for warning in warnings:
            log.warning("openings: %s", warning)
        return warnings

    async def handle(self, event: Event) -> None:
        """Feed one event to the engine (the host pauses for the event loop between events)."""
        await self.engine.handle(event)

    def ready_verdict(self, name: str) -> str:
        """The ``!ready`` answer for a watchlist name or nick."""
        found = self.engine.notability.find(name)
        return self.engine.relationship(found.name if found is not None else name).verdict()

    async def dismiss(self, opening_id: int) -> bool:
        """Dismiss a pending opening; False when there is none with that id."""
        return await self.engine.dismiss(opening_id)

    async def stop(self) -> None:
        """Stop the tick and close the notifiers."""
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        for notifier in self.engine.notifiers:
            if isinstance(notifier, WebhookNotifier):
                await notifier.close()


def openings_runtime(host: PluginHost) -> OpeningsRuntime | None:
    """The runtime of the loaded ``openings`` plugin (None: not loaded, or not built on one).

    A replay reads what the openings found (and lets their last waits run out) through it.
    """
    if "openings" not in host.names:
        return None
    runtime = getattr(host.instance("openings"), "runtime", None)
    return runtime if isinstance(runtime, OpeningsRuntime) else None
