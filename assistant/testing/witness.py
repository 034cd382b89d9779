"""A plugin that keeps every event the assistant fans out, for tests to look at afterwards."""

from __future__ import annotations

from assistant.events import Event
from assistant.hooks import hookimpl
from assistant.plugins import Plugin, PluginContext

__all__ = ["Witness"]


class Witness(Plugin):
    """Keeps every event the assistant fans out, in order, to check what a connector delivered."""

    def __init__(self, ctx: PluginContext) -> None:
        super().__init__(ctx)
        self.events: list[Event] = []

    @hookimpl
    async def assistant_event(self, event: Event) -> None:
        self.events.append(event)
