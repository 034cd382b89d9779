"""Where openings go: the notifier contract.

Every notifier has one coroutine, ``notify(opening)``; a failing notifier is logged by the
engine and never stops the others. The built-in console, private-message, webhook and JSON
lines notifiers are the ``openings`` plugin's (``assistant_openings.notifiers``); any plugin
contributes more through ``assistant_opening_notifiers``.
"""

from __future__ import annotations

from typing import Protocol

from assistant.openings.opening import Opening

__all__ = ["Notifier"]


class Notifier(Protocol):
    """Delivers an opening to the owner."""

    name: str

    async def notify(self, opening: Opening) -> None:
        """Deliver ``opening``; raise when it could not be delivered."""
        ...
