"""Raw-socket IRC senders for flood tests and benchmarks: write as fast as the server takes it.

A :class:`~assistant.testing.irc_client.SimulatedMember` keeps and scans every line it
receives, which is right for scripted scenes but would spend more CPU than the bot under test
when 20,000 lines go past. A :class:`FloodSender` reads and throws away what the server relays
to it (the server must be able to write to it, or ngircd drops it after 32 KB), and writes its
own lines in large chunks.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Sequence

__all__ = ["FloodSender", "flood_lines"]

_FILLER = "the quick brown fox jumps over the lazy dog while the podcast keeps playing"


def flood_lines(nick: str, count: int) -> list[str]:
    """``count`` distinct, numbered message texts for ``nick`` (numbers make order checkable)."""
    return [f"{nick} {number:06d} {_FILLER}" for number in range(count)]


class FloodSender:
    """One registered, joined client that floods a channel and discards what it receives."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, nick: str):
        self.nick = nick
        self._reader = reader
        self._writer = writer
        self._drain: asyncio.Task[None] | None = None

    @classmethod
    async def connect(
        cls, host: str, port: int, nick: str, channel: str, *, timeout: float = 10.0
    ) -> FloodSender:
        """Register as ``nick`` and join ``channel``; returns once the server confirmed the join.

        Raises:
            TimeoutError: the server did not welcome us or confirm the join in time.
            ConnectionError: the server closed the connection.
        """
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port)
            sender = cls(reader, writer, nick)
            try:
                writer.write(f"NICK {nick}\r\nUSER {nick} 0 * :{nick}\r\n".encode())
                await sender._until(rb" 001 ")
                writer.write(f"JOIN {channel}\r\n".encode())
                await sender._until(rb" 366 ")  # end of NAMES: the join is complete
            except BaseException:
                await sender.close()
                raise
        return sender

    async def _until(self, marker: bytes) -> bytes:
        """Read lines (answering PING) until one contains ``marker``; return it."""
        while line := await self._reader.readline():
            if line.startswith(b"PING"):
                self._writer.write(b"PONG" + line[4:])
            if marker in line:
                return line
        raise ConnectionError(f"{self.nick}: the server closed the connection")

    async def wait_for_join(self, nick: str, timeout: float = 10.0) -> None:
        """Wait until ``nick`` (e.g. the bot under test) joins our channel."""
        pattern = re.compile(rb"^(@\S+ )?:" + re.escape(nick.encode()) + rb"!\S+ JOIN ", re.I)
        async with asyncio.timeout(timeout):
            while line := await self._reader.readline():
                if pattern.search(line):
                    return
        raise ConnectionError(f"{self.nick}: the server closed the connection")

    def discard_incoming(self) -> None:
        """From now on, read and drop whatever the server relays to us (idempotent)."""
        if self._drain is None:
            self._drain = asyncio.create_task(self._discard(), name=f"flood-drain-{self.nick}")

    async def _discard(self) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await self._reader.read(1 << 16):
                if b"PING" in data:
                    for line in data.split(b"\r\n"):
                        if line.startswith(b"PING"):
                            self._writer.write(b"PONG" + line[4:] + b"\r\n")

    async def send(self, target: str, texts: Sequence[str], *, chunk: int = 200) -> None:
        """PRIVMSG every text to ``target``, ``chunk`` lines per write, waiting for the buffer."""
        self.discard_incoming()
        for start in range(0, len(texts), chunk):
            block = "".join(
                f"PRIVMSG {target} :{text}\r\n" for text in texts[start : start + chunk]
            )
            self._writer.write(block.encode())
            await self._writer.drain()

    async def close(self) -> None:
        """Say QUIT and drop the connection (idempotent)."""
        with contextlib.suppress(ConnectionError, OSError):
            self._writer.write(b"QUIT\r\n")
        self._writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self._writer.wait_closed()
        if self._drain is not None:
            self._drain.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._drain
