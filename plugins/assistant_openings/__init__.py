"""Openings: tell the owner, privately and live, when to join a conversation with a notable member.

The built-in ``openings`` plugin: its engine (:mod:`.engine`, with :mod:`.policy`,
:mod:`.conversation` and :mod:`.runtime`, which runs it for the plugin), replay mode
(:mod:`.replay`), ``presence eval openings`` (:mod:`.evaluate`, :mod:`.labels`,
:mod:`.matching`), its commands (:mod:`.commandline`) and its built-in notifiers
(:mod:`.notifiers`) are modules of this package, and so are the detectors, one small class
each. The contract a detector or notifier is written against stays in the core
(``assistant``, :mod:`assistant.openings`). It answers ``!ready PERSON`` (is an ask welcome
yet?) and ``!dismiss ID`` privately to the verified owner, and gives each chat's summary its
openings and the relationships that moved (:mod:`.summary`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, field_validator

from assistant import (
    CommandContext,
    Detector,
    Event,
    Notifier,
    OpeningsSettings,
    Plugin,
    PluginContext,
    Summary,
    SummarySection,
    command,
    hookimpl,
)
from assistant_openings.addressed import AddressedOwner
from assistant_openings.arrival import NotableArrived
from assistant_openings.interest import SharedInterest
from assistant_openings.left_open import LeftOpen
from assistant_openings.lull import QuietAfterNotable
from assistant_openings.ready import ReadyToAsk
from assistant_openings.request import Request
from assistant_openings.runtime import OpeningsRuntime
from assistant_openings.share import SharedWork
from assistant_openings.summary import openings_sections
from assistant_openings.unanswered import UnansweredQuestion

__all__ = ["DETECTORS", "OpeningsConfig", "OpeningsPlugin"]

DETECTORS: tuple[type[Detector], ...] = (
    AddressedOwner,
    UnansweredQuestion,
    LeftOpen,
    Request,
    SharedInterest,
    SharedWork,
    NotableArrived,
    QuietAfterNotable,
    ReadyToAsk,
)


class OpeningsConfig(OpeningsSettings):
    """``[plugins.openings]``: the openings settings, and which kinds of opening to look for."""

    detectors: list[str] = Field(
        default_factory=list,
        description=(
            "no longer read: a detector ships in a plugin, through an entry point "
            "(docs/plugins.md, 'Writing an openings detector')"
        ),
    )
    disabled: list[str] = Field(
        default_factory=list,
        description='kinds of opening not to look for, from any plugin\'s detectors, e.g. ["lull"]',
    )

    @field_validator("detectors")
    @classmethod
    def _no_import_paths(cls, value: list[str]) -> list[str]:
        if value:
            raise ValueError(
                f"detectors are no longer loaded by name ({', '.join(value)}): ship each in a "
                "plugin of your own (a Plugin subclass whose assistant_opening_detectors hook "
                'returns the classes, listed in your package\'s "assistant.plugins" entry '
                "points), install it, and remove this key"
            )
        return value


class OpeningsPlugin(Plugin):
    """Finds openings with notable members and tells the owner privately."""

    Config = OpeningsConfig
    migrations: ClassVar = OpeningsRuntime.migrations
    commandline: ClassVar = "assistant_openings.commandline"
    dashboard: ClassVar = "assistant_openings.dashboard"

    def __init__(self, ctx: PluginContext) -> None:
        super().__init__(ctx)
        config = ctx.config_as(OpeningsConfig)
        self.config = config
        self.runtime = OpeningsRuntime(ctx, config, disabled=config.disabled)
        self.engine = self.runtime.engine

    @hookimpl
    def assistant_opening_detectors(self) -> list[type[Detector]]:
        """The built-in detectors, through the hook every plugin's detectors come through."""
        return list(DETECTORS)

    @hookimpl
    def assistant_opening_notifiers(self) -> list[Notifier]:
        """The notifiers ``[plugins.openings] notify`` names (console, dm, webhook)."""
        return self.runtime.builtin_notifiers()

    @hookimpl
    async def assistant_startup(self) -> None:
        """Collect every plugin's detectors and notifiers, read the ledgers back, start."""
        await self.runtime.start()

    @hookimpl
    async def assistant_event(self, event: Event) -> None:
        """Feed every event to the engine, in order."""
        await self.runtime.handle(event)

    @hookimpl
    async def assistant_summary_sections(self, summary: Summary) -> list[SummarySection]:
        """The chat's openings with what became of them, and the relationships that moved."""
        owner = self.ctx.settings.owner.history_key
        return await openings_sections(self.ctx.db, summary, self.config.pacing, owner)

    @hookimpl
    async def assistant_replay_finished(self) -> dict[str, list[dict[str, Any]]]:
        """Every opening the replay sent, once the waits the clock ran past are checked."""
        await self.engine.tick()
        return {"openings": [opening.as_json() for opening in self.engine.sent]}

    @hookimpl
    async def assistant_shutdown(self) -> None:
        """Stop the checks and close the notifiers."""
        await self.runtime.stop()

    @command("ready", example="!ready problogger", owner_only=True)
    async def ready(self, cmd: CommandContext) -> None:
        """Say privately whether the relationship with PERSON is ready for an ask, and why."""
        name = cmd.args.strip()
        if not name:
            await cmd.reply_privately(f"Whom? Say {cmd.prefix}ready PERSON.")
            return
        await cmd.reply_privately(self.runtime.ready_verdict(name))

    @command("dismiss", example="!dismiss 1", owner_only=True)
    async def dismiss(self, cmd: CommandContext) -> None:
        """Dismiss opening ID (it counts as neither taken nor missed)."""
        text = cmd.args.strip().lstrip("#")
        if not text.isdigit():
            await cmd.reply_privately(f"Which one? Say {cmd.prefix}dismiss ID (the number shown).")
            return
        if await self.runtime.dismiss(int(text)):
            await cmd.reply_privately(f"Dismissed opening #{text}.")
        else:
            await cmd.reply_privately(f"No pending opening #{text}.")
