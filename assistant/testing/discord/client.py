"""Run an unmodified ``discord.Client`` against the emulator and record the events it dispatches.

:func:`run_client` starts the client with ``guild_ready_timeout=0.05`` (the 2 s default would
dominate test time), returns once ``on_ready`` fired (or raises what ``start()`` raised, e.g.
:class:`discord.PrivilegedIntentsRequired`), and always closes the client so no aiohttp session
is left unclosed. :class:`ClientEvents` records chosen events in dispatch order.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable
from typing import Any

import discord

from assistant.testing.discord.emulator import DiscordEmulator

__all__ = ["ClientEvents", "run_client"]


class ClientEvents:
    """Records events a :class:`discord.Client` dispatches (``"message"``, ``"member_join"``)."""

    def __init__(self, client: discord.Client, names: Iterable[str]) -> None:
        self.log: list[tuple[str, tuple[Any, ...]]] = []
        self._changed = asyncio.Event()
        for name in dict.fromkeys(names):
            setattr(client, f"on_{name}", self._recorder(name))

    def _recorder(self, name: str) -> Any:
        async def record(*args: Any) -> None:
            self.log.append((name, args))
            self._changed.set()

        return record

    def of(self, name: str) -> list[tuple[Any, ...]]:
        """The argument tuples of every ``name`` event so far, in order."""
        return [args for event, args in self.log if event == name]

    async def wait(
        self, name: str, count: int = 1, *, timeout: float = 5.0
    ) -> list[tuple[Any, ...]]:
        """Wait until ``count`` ``name`` events were seen; returns the first ``count`` of them.

        Raises:
            TimeoutError: fewer arrived within ``timeout`` seconds.
        """
        async with asyncio.timeout(timeout):
            while len(found := self.of(name)) < count:
                self._changed.clear()
                await self._changed.wait()
        return found[:count]


@contextlib.asynccontextmanager
async def run_client(
    emulator: DiscordEmulator,
    *,
    intents: discord.Intents,
    events: Iterable[str] = (),
    token: str | None = None,
    timeout: float = 10.0,
    client_class: type[discord.Client] = discord.Client,
    **client_options: Any,
) -> AsyncIterator[tuple[discord.Client, ClientEvents]]:
    """A started, ready client pointed at ``emulator``; closed (bounded) on exit.

    discord.py waits 5 s in ``Client.before_identify_hook`` before every IDENTIFY but the first
    (after op 9, say); a test of that path passes a ``client_class`` overriding the hook.

    Raises:
        TimeoutError: the client was not ready within ``timeout`` seconds.
        Exception: whatever ``client.start()`` raised before it was ready.
    """
    client_options.setdefault("guild_ready_timeout", 0.05)
    with emulator.point_discord_py_here():
        client = client_class(intents=intents, **client_options)
        log = ClientEvents(client, ("ready", *events))
        run = asyncio.create_task(client.start(token or emulator.token))
        try:
            ready = asyncio.create_task(log.wait("ready", timeout=timeout))
            await asyncio.wait({ready, run}, return_when=asyncio.FIRST_COMPLETED)
            if not ready.done():
                ready.cancel()
                await asyncio.gather(ready, return_exceptions=True)
                run.result()  # raises what start() raised
                raise RuntimeError("discord.Client.start() returned before on_ready")
            ready.result()
            yield client, log
        finally:
            await client.close()
            done, _ = await asyncio.wait({run}, timeout=timeout)
            if not done:
                run.cancel()
                await asyncio.gather(run, return_exceptions=True)
        if not run.cancelled() and (error := run.exception()) is not None:
            raise error  # the client failed while the test was running
