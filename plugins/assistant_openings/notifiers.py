"""The built-in notifiers: the console, a private message to the owner, a webhook, JSON lines.

Each is a :class:`~assistant.openings.notifiers.Notifier` (the contract, in the core): one
coroutine, ``notify(opening)``; a failing notifier is logged by the engine and never stops
the others. Presence never says anything in a channel here.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import IO, TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from assistant import Opening
from assistant.commands import Send
from assistant.config import IdentityRef

if TYPE_CHECKING:
    import aiohttp

__all__ = [
    "ConsoleNotifier",
    "DirectMessageNotifier",
    "JsonLinesNotifier",
    "WebhookError",
    "WebhookNotifier",
]

log = logging.getLogger(__name__)


class ConsoleNotifier:
    """Prints each opening on the terminal Presence runs in."""

    name = "console"

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)

    async def notify(self, opening: Opening) -> None:
        """Print one coloured line with the score, the place and the angle."""
        c = opening.candidate
        self.console.print(
            f"[bold green]opening[/] [dim]#{opening.id}[/] {opening.score:.2f} "
            f"[cyan]{escape(c.kind)}[/] {escape(c.person.name)} in {escape(c.channel)}: "
            f"{escape(c.angle)}",
            highlight=False,
        )


class JsonLinesNotifier:
    """Writes each opening as one JSON line (replay mode's output)."""

    name = "jsonl"

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    async def notify(self, opening: Opening) -> None:
        """Write and flush one line."""
        self.stream.write(json.dumps(opening.as_json(), ensure_ascii=False) + "\n")
        self.stream.flush()


OwnerTarget = Callable[[str, str], str | None]
"""``target(platform, network)``: the owner's current nick or user id there, or None."""


class DirectMessageNotifier:
    """Sends each opening privately to the verified owner on the network it happened on.

    On IRC the message goes to the nick the owner's verified account was last seen using
    (else the configured nick or account); on Discord to the owner's user id (a DM).
    """

    name = "dm"

    def __init__(
        self, send: Send, owner: list[IdentityRef], current: OwnerTarget, networks: dict[str, str]
    ) -> None:
        self.send = send
        self.owner = owner
        self.current = current
        self.networks = networks
        """Network name → platform, for the networks Presence is on."""

    def target(self, platform: str, network: str) -> str | None:
        """Where the owner is reached on ``network``, if they have an identity there."""
        for ref in self.owner:
            if ref.platform != platform or ref.network not in (None, network):
                continue
            if platform == "discord":
                return ref.user_id
            return self.current(platform, network) or ref.nick or ref.account
        return None

    async def notify(self, opening: Opening) -> None:
        """Message the owner on the opening's network, else on the first network they are on."""
        c = opening.candidate
        places = [(c.network, c.platform)] + [
            (name, platform) for name, platform in self.networks.items() if name != c.network
        ]
        for network, platform in places:
            target = self.target(platform, network)
            if target is not None:
                await self.send(network, target, opening.line())
                return
        raise LookupError("no owner identity on any network to message privately")


class WebhookError(Exception):
    """The webhook did not accept an opening after every retry."""


class WebhookNotifier:
    """POSTs each opening as JSON, with a timeout per attempt and retries with back-off."""

    name = "webhook"

    def __init__(
        self, url: str, *, timeout: float = 5.0, retries: int = 3, backoff: float = 0.5
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self._session: aiohttp.ClientSession | None = None

    async def notify(self, opening: Opening) -> None:
        """POST ``{"opening": {...}}``; retry on a connection error, a timeout or a 5xx.

        Raises:
            WebhookError: every attempt failed, or the server refused it (4xx).
        """
        # Imported here: the plugin's class is loaded by every `presence` command (for its
        # subcommands), and aiohttp takes ~130 ms to import; only a webhook needs it.
        import aiohttp

        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        body = {"opening": opening.as_json()}
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                async with self._session.post(self.url, json=body) as response:
                    if response.status < 300:
                        return
                    problem = f"HTTP {response.status}"
                    if response.status < 500:
                        break
            except TimeoutError:
                problem = f"no answer within {self.timeout:g} s"
            except aiohttp.ClientError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            log.info("webhook attempt %d failed: %s", attempt + 1, problem)
        raise WebhookError(f"webhook did not take opening {opening.id}: {problem}")

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None
