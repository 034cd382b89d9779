"""From NICK/USER to the server's welcome: capabilities, SASL PLAIN login, fallback nicks.

After the welcome it also identifies to NickServ when the server had no SASL PLAIN to offer.
The password is read from the environment only at the moment it is sent and goes out through
``ServerLink.send_secret``, which writes to the socket without the library's debug logging; it is
never kept on an object, put in an exception, or logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, Protocol

from assistant.config import ConfigError, NetworkSettings, secret
from assistant.connectors.irc.caps import CapNegotiator
from assistant.connectors.irc.sasl import FAILURES, SUCCESS, plain_payload
from assistant.connectors.irc.translate import sanitize

__all__ = ["NICK_ERRORS", "SASL_EVENTS", "Registration", "ServerLink"]

log = logging.getLogger(__name__)

NICK_ERRORS = frozenset({"nicknameinuse", "erroneusnickname", "nickcollision", "unavailresource"})
"""The library's event types for 432/433/436/437: the nick we asked for cannot be had."""

SASL_EVENTS = frozenset({"authenticate", "loggedin", SUCCESS, *FAILURES})
"""Events that belong to the SASL exchange (handled here even while registered)."""


class ServerLink(Protocol):
    """What registration needs of the connection: send lines, change nick, hang up."""

    def send(self, line: str) -> None:
        """Send one protocol line (it may be logged)."""
        ...

    def send_secret(self, line: str) -> None:
        """Send one line that carries a secret: never logged, by us or the library."""
        ...

    def nick(self, nick: str) -> None:
        """Ask for another nick."""
        ...

    def disconnect(self) -> None:
        """Hang up (registration cannot succeed)."""
        ...


class Registration:
    """The registration conversation for one connection attempt; build a new one per attempt."""

    def __init__(self, network: str, settings: NetworkSettings, link: ServerLink) -> None:
        self.network = network
        self.settings = settings
        self.nick = settings.nick
        self.account: str | None = None
        """The account SASL logged us in as (from 900), if any."""
        self.error_reason = ""
        self._link = link
        self._credentials = self._have_credentials()
        self.caps = CapNegotiator(sasl=self._credentials)
        self._fallbacks: Iterator[str] = iter([*settings.alt_nicks, settings.nick + "_"])

    @property
    def acked(self) -> frozenset[str]:
        """The capabilities the server acknowledged."""
        return frozenset(self.caps.acked)

    def _have_credentials(self) -> bool:
        """True when SASL/NickServ credentials are configured and the password is available."""
        settings = self.settings
        if not settings.sasl_username or not settings.sasl_password_env:
            return False
        try:
            secret(settings.sasl_password_env)
        except ConfigError as exc:
            log.error("%s: cannot log in as %r: %s", self.network, settings.sasl_username, exc)
            return False
        return True

    def handle(self, ev: Any) -> None:
        """Answer one library event received before the welcome (or a late SASL/CAP reply)."""
        kind = ev.type
        if kind == "cap":
            for line in self.caps.on_cap(ev.arguments):
                self._link.send(line)
        elif kind in SASL_EVENTS:
            self._sasl(ev)
        elif kind in NICK_ERRORS:
            self._next_nick()

    def _next_nick(self) -> None:
        nxt = next(self._fallbacks, None)
        if nxt is None:
            tried = [self.settings.nick, *self.settings.alt_nicks, self.settings.nick + "_"]
            self.error_reason = "no usable nick: " + ", ".join(tried)
            self._link.disconnect()  # the disconnect event then ends run() with ConnectionError
            return
        log.info("%s: nick %s unavailable, trying %s", self.network, self.nick, nxt)
        self.nick = nxt
        self._link.nick(nxt)

    def _sasl(self, ev: Any) -> None:
        kind = ev.type
        if kind == "loggedin":  # 900 own-nick mask account :text
            args = list(ev.arguments or ())
            self.account = str(args[1]) if len(args) > 1 else None
            return
        if self.caps.sasl_state != "authenticating":
            return  # a stray reply after the exchange ended
        if kind == "authenticate":
            if str(ev.target) == "+":
                self._send_payload()
            return
        if kind == SUCCESS:
            log.info("%s: logged in with SASL as %s", self.network, self.account or "?")
            for line in self.caps.finish_sasl(True):
                self._link.send(line)
            return
        detail = " ".join(str(arg) for arg in list(ev.arguments or ())[-1:])
        log.error(
            "%s: SASL login as %r failed (%s%s); check sasl_username and the password in "
            "the environment variable %s; continuing without logging in",
            self.network,
            self.settings.sasl_username,
            FAILURES[kind],
            f": {detail}" if detail else "",
            self.settings.sasl_password_env,
        )
        for line in self.caps.finish_sasl(False):
            self._link.send(line)

    def _password(self) -> str | None:
        env = self.settings.sasl_password_env
        if env is None:
            return None
        try:
            return secret(env).get_secret_value()
        except ConfigError as exc:
            log.error("%s: %s", self.network, exc)
            return None

    def _send_payload(self) -> None:
        password = self._password()
        account = self.settings.sasl_username
        if password is None or account is None:
            self._link.send("AUTHENTICATE *")  # abort; the server answers 906
            return
        for chunk in plain_payload(account, password):
            self._link.send_secret(f"AUTHENTICATE {chunk}")

    def welcomed(self) -> None:
        """After 001: identify to NickServ when credentials exist but SASL PLAIN was not offered."""
        if not self._credentials or self.caps.sasl_state != "off":
            return
        if not self.settings.nickserv_fallback:
            log.warning(
                "%s: the server offers no SASL PLAIN and nickserv_fallback is off: "
                "not logged in as %r",
                self.network,
                self.settings.sasl_username,
            )
            return
        password = self._password()
        if password is None:
            return
        log.info(
            "%s: the server offers no SASL PLAIN; identifying to NickServ as %s",
            self.network,
            self.settings.sasl_username,
        )
        account = sanitize(self.settings.sasl_username or "")
        self._link.send_secret(f"PRIVMSG NickServ :IDENTIFY {account} {sanitize(password)}")
