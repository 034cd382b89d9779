"""IRCv3 capability negotiation for the asyncio ``irc`` client, which has none of its own.

``AioConnection.connect()`` always sends NICK and USER itself, so :class:`CapConnection` slips a
``CAP LS 302`` in front of the first NICK; the server then holds registration until ``CAP END``.
:class:`CapNegotiator` is the state machine deciding what to answer, kept free of sockets so it
is unit-tested on its own. When SASL is wanted and acknowledged, ``CAP END`` waits until the
login has succeeded or failed (:meth:`CapNegotiator.finish_sasl`), as the IRCv3 spec requires.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import irc.client_aio
import jaraco.stream.buffer

from assistant.connectors.irc.intake import Intake, IntakeProtocol
from assistant.connectors.irc.sasl import mechanisms

__all__ = ["WANTED_CAPS", "CapConnection", "CapNegotiator", "CapReactor"]

log = logging.getLogger(__name__)

WANTED_CAPS = frozenset(
    {
        "account-notify",
        "account-tag",
        "away-notify",
        "batch",
        "chghost",
        "extended-join",
        "message-tags",
        "multi-prefix",
        "server-time",
        "userhost-in-names",
    }
)
"""Capabilities Presence asks for when a server offers them (``sasl`` only with credentials)."""

SaslState = Literal["off", "requested", "authenticating", "succeeded", "failed"]


@dataclass
class CapNegotiator:
    """Decide the CAP lines to send in answer to the server's CAP replies.

    With ``sasl`` (credentials are configured) it also asks for ``sasl`` when the server offers
    PLAIN, answers the ACK with ``AUTHENTICATE PLAIN``, and holds ``CAP END`` until
    :meth:`finish_sasl`. ``sasl_state`` tells how far that went.
    """

    wanted: frozenset[str] = WANTED_CAPS
    sasl: bool = False
    offered: dict[str, str] = field(default_factory=dict)
    acked: set[str] = field(default_factory=set)
    done: bool = False
    sasl_state: SaslState = "off"

    @property
    def offers_sasl_plain(self) -> bool:
        """True when the server offers ``sasl`` and PLAIN is among its mechanisms (or unlisted)."""
        if "sasl" not in self.offered:
            return False
        listed = mechanisms(self.offered["sasl"])
        return not listed or "PLAIN" in listed

    def on_cap(self, arguments: Iterable[str]) -> list[str]:
        """Consume one CAP reply (its arguments after the target) and return lines to send.

        ``CAP * LS * :a b`` is a continued 302 listing; values (``sasl=PLAIN``) are kept in
        ``offered``. Anything after ``CAP END`` (NEW/DEL, late ACKs) only updates the sets.
        """
        args = [str(arg) for arg in arguments]
        if not args:
            return []
        sub, rest = args[0].upper(), args[1:]
        if sub == "LS" and rest:
            more = len(rest) >= 2 and rest[0] == "*"
            for item in rest[-1].split():
                name, _, value = item.partition("=")
                self.offered[name] = value
            if more or self.done:
                return []
            request = sorted(self.wanted & self.offered.keys())
            if self.sasl and self.offers_sasl_plain:
                request.append("sasl")
                self.sasl_state = "requested"
            if request:
                return ["CAP REQ :" + " ".join(request)]
            return self._end()
        if sub in ("ACK", "NAK") and rest:
            if sub == "ACK":
                for item in rest[-1].split():
                    if item.startswith("-"):
                        self.acked.discard(item[1:])
                    else:
                        self.acked.add(item)
            if self.done:
                return []
            if self.sasl_state == "requested":
                if sub == "ACK" and "sasl" in self.acked:
                    self.sasl_state = "authenticating"
                    return ["AUTHENTICATE PLAIN"]
                self.sasl_state = "failed"
            return self._end()
        if sub == "DEL" and rest:
            for item in rest[-1].split():
                self.acked.discard(item)
                self.offered.pop(item, None)
        return []

    def finish_sasl(self, succeeded: bool) -> list[str]:
        """Record how the SASL exchange ended and return the ``CAP END`` it was holding back."""
        self.sasl_state = "succeeded" if succeeded else "failed"
        return [] if self.done else self._end()

    def _end(self) -> list[str]:
        self.done = True
        return ["CAP END"]


class CapConnection(irc.client_aio.AioConnection):  # type: ignore[misc]
    """An ``AioConnection`` that opens CAP negotiation and survives input the library chokes on.

    Its reads go to an :class:`~assistant.connectors.irc.intake.Intake`, parsed when the
    connector asks rather than all at once inside ``data_received``.

    The default strict UTF-8 buffer turns one latin-1 byte into a fatal protocol error that drops
    the connection (notes §3.4.1); the lenient buffer falls back to latin-1 per line. Likewise
    any exception while parsing one line (a bare ``QUIT`` raises ``IndexError`` in the library)
    would end the connection, so such a line is logged and skipped.
    """

    buffer_class = jaraco.stream.buffer.LenientDecodingLineBuffer
    protocol_class = IntakeProtocol
    intake: Intake | None = None
    """Where reads go to be parsed a line at a time (:mod:`intake`); set before ``connect()``."""

    def _process_line(self, line: str) -> None:
        try:
            super()._process_line(line)
        except Exception as exc:
            # The server's fault, not ours: one line in the log, the traceback only in debug.
            log.warning(
                "skipping a line the irc library could not handle (%s: %s): %r",
                type(exc).__name__,
                exc,
                line,
            )
            log.debug("the irc library failed on %r", line, exc_info=True)

    def _handle_event(self, event: Any) -> None:
        # The library announces every line as ``all_raw_messages`` before the event it means;
        # the line is already known to whoever parses it (``Intake.line``), and sending it
        # through the reactor would cost as much again as the event itself.
        if event.type != "all_raw_messages":
            super()._handle_event(event)

    def _handle_other(self, arguments: list[str], command: Any, source: Any, tags: Any) -> None:
        if command == "quit" and not arguments:
            arguments = [""]  # a QUIT without a reason is still a quit
        super()._handle_other(arguments, command, source, tags)

    async def connect(self, *args: Any, **kwargs: Any) -> Any:
        """Connect and register, holding registration open with ``CAP LS 302``."""
        self._cap_pending = True
        return await super().connect(*args, **kwargs)

    def nick(self, newnick: str) -> None:
        """Send NICK, preceded by ``CAP LS 302`` the first time after connecting."""
        if getattr(self, "_cap_pending", False):
            self._cap_pending = False
            self.send_raw("CAP LS 302")
        super().nick(newnick)


class CapReactor(irc.client_aio.AioReactor):  # type: ignore[misc]
    """An ``AioReactor`` whose connections are :class:`CapConnection`."""

    connection_class = CapConnection
