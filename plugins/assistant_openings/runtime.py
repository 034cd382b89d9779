"""The openings engine as a plugin runs it: built from a plugin context, ticking, notifying.

The ``openings`` plugin only passes its context; the detectors and notifiers come at start-up
from every plugin's ``assistant_opening_detectors`` and ``assistant_opening_notifiers``
(the built-in ones from the plugin itself), and everything else it runs is here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from assistant import Event
from assistant.config import OpeningsSettings, OwnerSettings, missing_notables, secret
from assistant.openings import Detector, InterestMatcher, Notifier
from assistant.people.watchlist import recorded_identities
from assistant.plugins import PluginError
from assistant_openings.engine import OpeningsEngine
from assistant_openings.notability import build_notability
from assistant_openings.notifiers import ConsoleNotifier, DirectMessageNotifier, WebhookNotifier
from assistant_openings.similarity import vector_similarity
from assistant_openings.store import MIGRATIONS_BY_DIALECT, OpeningsStore

if TYPE_CHECKING:
    from assistant import HookResult, PluginContext

__all__ = ["OpeningsRuntime"]

log = logging.getLogger(__name__)

_TICK = 5.0  # seconds between live checks of the waits
_DEFAULT_OWNER = OwnerSettings.model_fields["name"].default


def _as_list(value: object) -> list[Any]:
    """A hook's answer as a list (a plugin may answer with any sequence)."""
    return list(value) if isinstance(value, list | tuple) else [value]


class OpeningsRuntime:
    """One run's openings: the engine, its notifiers and its periodic tick."""

    migrations: dict[str, tuple[str, ...]] = MIGRATIONS_BY_DIALECT
    """The migrations of the plugin's own tables (``openings_*``), per dialect."""

    def __init__(
        self,
        ctx: PluginContext,
        settings: OpeningsSettings,
        *,
        disabled: Sequence[str] = (),
    ) -> None:
        """Build the engine with ``settings`` (the plugin's ``[plugins.openings]``).

        Its detectors and notifiers come from the plugins at :meth:`start`.
        """
        self.ctx = ctx
        self.settings = settings
        self._disabled = tuple(disabled)
        self.engine = OpeningsEngine(
            settings,
            ctx.settings.owner,
            clock=ctx.clock,
            notability=build_notability(ctx.settings),
            interests=InterestMatcher(ctx.settings.interests, threshold=settings.similarity),
            store=OpeningsStore(ctx.db, ctx.settings.owner.history_key),
        )
        self._ticker: asyncio.Task[None] | None = None
        self._started = time.monotonic()
        self._unseen_checked = False
        self._builtin: list[Notifier] = []

    def _own_first(self, results: list[HookResult]) -> list[HookResult]:
        """The contributions that did not fail: this plugin's first, then the others' by name."""
        ok = [r for r in results if r.ok and r.value is not None]
        return sorted(ok, key=lambda r: (r.plugin != self.ctx.name, r.plugin))

    async def _detectors(self) -> list[type[Detector]]:
        """Every plugin's detectors, minus the ``disabled`` kinds.

        Raises:
            PluginError: a contribution is no ``Detector`` with a ``kind``, or
                ``disabled`` names a kind nobody contributed.
        """
        chosen: list[type[Detector]] = []
        found = self._own_first(await self.ctx.call_hook("assistant_opening_detectors"))
        contributed = [(r.plugin, cls) for r in found for cls in _as_list(r.value)]
        for plugin, cls in contributed:
            if not (isinstance(cls, type) and issubclass(cls, Detector) and cls.kind):
                raise PluginError(
                    plugin, f"assistant_opening_detectors: {cls!r} is not a Detector with a kind"
                )
            chosen.append(cls)
        known = {cls.kind for cls in chosen}
        unknown = sorted(set(self._disabled) - known)
        if unknown:
            raise PluginError(
                self.ctx.name,
                f"disabled names unknown kind(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(known))}",
            )
        return [cls for cls in chosen if cls.kind not in self._disabled]

    async def _notifiers(self) -> list[Notifier]:
        """Every plugin's notifiers, this plugin's own first."""
        found = self._own_first(await self.ctx.call_hook("assistant_opening_notifiers"))
        return [notifier for r in found for notifier in _as_list(r.value)]

    def builtin_notifiers(self) -> list[Notifier]:
        """The notifiers ``[plugins.openings] notify`` chooses: console, DM, webhook."""
        settings = self.ctx.settings
        chosen = self.settings.notify
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
            env = self.settings.webhook_url_env
            if env is None:
                log.error("openings: notify has webhook but webhook_url_env is not set")
            else:
                notifiers.append(
                    WebhookNotifier(
                        secret(env).get_secret_value(),
                        timeout=self.settings.webhook_timeout,
                        retries=self.settings.webhook_retries,
                    )
                )
        self._builtin = notifiers
        return notifiers

    async def start(self) -> None:
        """Collect detectors and notifiers, read the ledgers back, start the periodic tick.

        Raises:
            PluginError: a detector contributed is not one, or ``disabled`` is wrong.
        """
        self.engine.use_detectors(await self._detectors())
        store = self.engine.store
        claimed = await store.claim_unowned()
        if claimed:
            log.info(
                "openings: %d stored rows from before owners are %s's now", claimed, store.owner
            )
        if self.ctx.db.backend.name == "postgresql" and store.owner == _DEFAULT_OWNER:
            log.warning(
                "openings: [owner] sets neither name nor key; another instance sharing this "
                "database without them would share your openings and exchanges"
            )
        await self.engine.load()
        self.engine.notifiers.extend(await self._notifiers())
        pipeline = self.settings.similarity_pipeline
        if pipeline:
            self.engine.ctx.interests.similarity = await asyncio.to_thread(
                vector_similarity, pipeline
            )
        self._ticker = asyncio.create_task(self._tick(), name="openings:tick")

    async def _tick(self) -> None:
        hours = self.settings.unseen_warning_hours
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
        """Stop the tick and close the built-in notifiers (other plugins close their own)."""
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        for notifier in self._builtin:
            if isinstance(notifier, WebhookNotifier):
                await notifier.close()
