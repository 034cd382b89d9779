"""A scripted IRC member on raw asyncio sockets, to play the people in a channel.

It deliberately does not use the ``irc`` library, so tests of the connector are not tests of the
library against itself, and it can send bytes the library would refuse (latin-1, injections).
Every wait is bounded; on a timeout the error shows the last lines received.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import ssl as ssl_module
from collections.abc import Callable
from types import TracebackType
from typing import Self

__all__ = ["SimulatedMember"]

Match = str | re.Pattern[str] | Callable[[str], bool]
"""A regex (searched in each raw line) or a predicate over the raw line."""

DEFAULT_TIMEOUT = 5.0


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _predicate(match: Match) -> Callable[[str], bool]:
    if callable(match):
        return match
    pattern = re.compile(match) if isinstance(match, str) else match
    return lambda line: pattern.search(line) is not None


class SimulatedMember:
    """One IRC user driven by a test or a demo: joins, talks, leaves, and waits for lines."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, nick: str
    ) -> None:
        self.nick = nick
        self.lines: list[str] = []
        """Every line received, decoded (UTF-8, else latin-1), without CRLF."""
        self._reader = reader
        self._writer = writer
        self._cursor = 0
        self._closed = False
        self._changed = asyncio.Condition()
        self._task = asyncio.create_task(self._read_loop(), name=f"member-{nick}")

    @classmethod
    async def connect(
        cls,
        host: str,
        port: int,
        nick: str,
        *,
        username: str | None = None,
        realname: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        ssl: ssl_module.SSLContext | None = None,
    ) -> SimulatedMember:
        """Connect (over TLS when ``ssl`` is given) and register as ``nick``; returns on 001.

        Raises:
            ssl.SSLError: the TLS handshake failed (e.g. the certificate is not trusted).
            TimeoutError: no welcome within ``timeout``.
            ConnectionError: the server closed the connection (e.g. the nick is taken).
        """
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(
                host, port, ssl=ssl, server_hostname=host if ssl is not None else None
            )
        member = cls(reader, writer, nick)
        try:
            await member.send_raw(f"NICK {nick}")
            await member.send_raw(f"USER {username or nick} 0 * :{realname or nick}")
            reply = await member.wait_for(r"^(@\S+ )?:\S+ (001|432|433) ", timeout)
            if " 001 " not in reply:
                raise ConnectionError(f"cannot register as {nick}: {reply}")
        except BaseException:
            await member.close()
            raise
        return member

    # --- reading --------------------------------------------------------------------------------

    async def _read_loop(self) -> None:
        try:
            while line := await self._reader.readline():
                text = _decode(line.rstrip(b"\r\n"))
                if text.startswith("PING"):
                    # Keep the server from dropping us while a test waits.
                    self._writer.write(b"PONG" + line[4:].rstrip(b"\r\n") + b"\r\n")
                async with self._changed:
                    self.lines.append(text)
                    self._changed.notify_all()
        except (ConnectionError, OSError):
            pass
        finally:
            self._closed = True
            async with self._changed:
                self._changed.notify_all()

    @property
    def closed(self) -> bool:
        """True once the server closed the connection."""
        return self._closed

    async def wait_for(self, match: Match, timeout: float = DEFAULT_TIMEOUT) -> str:
        """Return the next line (after the previous match) that ``match`` accepts.

        Lines before the match are skipped for later calls but stay in ``lines``.

        Raises:
            TimeoutError: nothing matched within ``timeout``.
            ConnectionError: the connection closed before a match.
        """
        accept = _predicate(match)
        try:
            async with asyncio.timeout(timeout), self._changed:
                scanned = self._cursor
                while True:
                    for index in range(scanned, len(self.lines)):
                        if accept(self.lines[index]):
                            self._cursor = index + 1
                            return self.lines[index]
                    scanned = len(self.lines)
                    if self._closed:
                        raise ConnectionError(
                            f"{self.nick}: connection closed before {match!r}; "
                            f"last lines: {self.lines[-5:]}"
                        )
                    await self._changed.wait()
        except TimeoutError:
            raise TimeoutError(
                f"{self.nick}: no line matching {match!r} within {timeout:g} s; "
                f"last lines: {self.lines[-5:]}"
            ) from None

    def _own(self, command: str, rest: str = "") -> re.Pattern[str]:
        """A pattern for the server's echo of our own ``command``."""
        return re.compile(
            rf"^(@\S+ )?:{re.escape(self.nick)}!\S+ {command}\b ?:?{re.escape(rest)}(?=\s|$)",
            re.IGNORECASE,
        )

    # --- sending --------------------------------------------------------------------------------

    async def send_raw(self, line: str | bytes) -> None:
        """Send one line as is (bytes go out unencoded); CRLF is appended."""
        data = line if isinstance(line, bytes) else line.encode("utf-8")
        self._writer.write(data + b"\r\n")
        await self._writer.drain()

    async def join(self, channel: str, key: str = "", timeout: float = DEFAULT_TIMEOUT) -> None:
        """Join ``channel`` and wait until the server confirms it."""
        await self.send_raw(f"JOIN {channel} {key}".rstrip())
        await self.wait_for(self._own("JOIN", channel), timeout)

    async def say(self, target: str, text: str) -> None:
        """Send a PRIVMSG to a channel or a nick."""
        await self.send_raw(f"PRIVMSG {target} :{text}")

    async def action(self, target: str, text: str) -> None:
        """Send a /me action (CTCP ACTION)."""
        await self.send_raw(f"PRIVMSG {target} :\x01ACTION {text}\x01")

    async def notice(self, target: str, text: str) -> None:
        """Send a NOTICE."""
        await self.send_raw(f"NOTICE {target} :{text}")

    async def ctcp(self, target: str, query: str) -> None:
        """Send a CTCP query such as ``VERSION`` or ``PING 123``."""
        await self.send_raw(f"PRIVMSG {target} :\x01{query}\x01")

    async def topic(self, channel: str, text: str) -> None:
        """Set a channel's topic."""
        await self.send_raw(f"TOPIC {channel} :{text}")

    async def kick(self, channel: str, nick: str, reason: str = "") -> None:
        """Kick ``nick`` from ``channel`` (we must be a channel operator)."""
        await self.send_raw(f"KICK {channel} {nick} :{reason}")

    async def away(self, message: str = "") -> None:
        """Mark ourselves away (an empty message means back)."""
        await self.send_raw(f"AWAY :{message}" if message else "AWAY")

    async def part(self, channel: str, reason: str = "", timeout: float = DEFAULT_TIMEOUT) -> None:
        """Leave ``channel`` and wait until the server confirms it."""
        await self.send_raw(f"PART {channel} :{reason}" if reason else f"PART {channel}")
        await self.wait_for(self._own("PART", channel), timeout)

    async def change_nick(self, new: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Change nick and wait until the server confirms it."""
        await self.send_raw(f"NICK {new}")
        await self.wait_for(self._own("NICK", new), timeout)
        self.nick = new

    async def quit(self, reason: str = "", timeout: float = DEFAULT_TIMEOUT) -> None:
        """Send QUIT and wait until the server has closed the connection."""
        if not self._closed:
            with contextlib.suppress(ConnectionError, OSError):
                await self.send_raw(f"QUIT :{reason}" if reason else "QUIT")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await asyncio.shield(self._task)
        await self.close()

    async def close(self) -> None:
        """Drop the connection without QUIT (idempotent)."""
        self._writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self._writer.wait_closed()
        if not self._task.done():
            self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
