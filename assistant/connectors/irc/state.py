"""What a registered IRC connection knows, and the events and replies each incoming line yields.

The connector owns the socket; this owns the meaning: the server's features, open batches,
channel rosters, the account book, and the order in which they are consulted and updated around
:func:`~assistant.connectors.irc.translate.translate` (learn accounts from the line, translate
with what was known just before it, then apply it to the rosters). No I/O and no clock: the
connector passes ``now`` in and sends the :class:`Reply` lines it gets back, so all of it is
unit-tested from captured wire lines.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from assistant.connectors.irc.accounts import WHOX_FIELDS, WHOX_TOKEN, AccountBook
from assistant.connectors.irc.isupport import ServerFeatures
from assistant.connectors.irc.roster import Rosters
from assistant.connectors.irc.text import casefold
from assistant.connectors.irc.translate import (
    PLATFORM,
    TEXT_EVENTS,
    Context,
    enrich,
    is_user_source,
    sanitize,
    split_message,
    split_source,
    tag_dict,
    translate,
)
from assistant.events import (
    Event,
    MemberJoined,
    MemberLeft,
    MemberModeChanged,
    PresenceChanged,
)

__all__ = ["MAX_BATCHES", "IrcState", "Reply"]

MAX_BATCHES = 64
"""Open batches remembered at once; a server that never closes them cannot grow memory."""

# 263 RPL_TRYAGAIN, 416 ERR_TOOMANYMATCHES, 421 ERR_UNKNOWNCOMMAND, as the library names them.
_WHO_REFUSED = frozenset({"tryagain", "416", "unknowncommand"})


@dataclass(frozen=True, slots=True)
class Reply:
    """A line the state wants sent; ``courtesy`` lines (CTCP answers) may be dropped under load."""

    line: str
    courtesy: bool = False


class IrcState:
    """The connection's knowledge after registration, updated line by line."""

    def __init__(self, network: str, nick: str, *, version: str) -> None:
        self.network = network
        self.nick = nick
        self.version = version
        self.acked: frozenset[str] = frozenset()
        self.features = ServerFeatures()
        self.rosters = Rosters()
        self.accounts = AccountBook()
        self.raw_line: str | None = None
        """The wire line the events being handled came from; the connector sets it per line."""
        self.replies: list[Reply] = []
        """Lines to send, appended by :meth:`handle`; the connector takes them out."""
        self._batches: dict[str, str] = {}

    def reset(self, nick: str, acked: frozenset[str] = frozenset()) -> None:
        """Start over for a new connection (registered as ``nick`` with ``acked`` caps)."""
        self.nick = nick
        self.acked = acked
        self.features = ServerFeatures()
        self.rosters.clear()
        self.accounts.clear()
        self.raw_line = None
        self.replies.clear()
        self._batches.clear()

    # --- Knowledge, for translation -----------------------------------------------------------

    def account(self, nick: str) -> str | None:
        """The account ``nick`` is logged in as, as far as we know."""
        return self.accounts.account(nick)

    def userhost(self, nick: str) -> str | None:
        """The ``user@host`` last seen for ``nick``."""
        return self.accounts.userhost(nick)

    def status(self, channel: str, nick: str) -> str:
        """``nick``'s status symbols in ``channel``."""
        return self.rosters.status(channel, nick)

    # --- lines ----------------------------------------------------------------------------------

    def context(self, ev: Any, now: datetime) -> Context:
        """The translation context for ``ev``: who we are, what we know, which batch it is in."""
        batch_ref = tag_dict(ev.tags).get("batch")
        return Context(
            network=self.network,
            own_nick=self.nick,
            now=now,
            raw_line=self.raw_line,
            features=self.features,
            knowledge=self,
            batch=self._batches.get(batch_ref) if batch_ref else None,
        )

    def handle(self, ev: Any, now: datetime) -> list[Event]:
        """Take one library event after registration; return the Presence events it means."""
        kind = ev.type
        if kind == "featurelist":  # 005 own-nick TOKEN... :are supported
            self.features = self.features.updated(str(arg) for arg in list(ev.arguments)[:-1])
            return []
        if kind == "batch":
            self._batch(ev)
            return []
        if kind == "ctcp":
            self._answer_ctcp(ev)
            return []
        self.accounts.learn(ev, account_tag="account-tag" in self.acked, own_nick=self.nick)
        if kind in TEXT_EVENTS:  # most lines: nothing in the rosters changes
            return translate(ev, self.context(ev, now))
        if kind == "namreply":
            return self._present(self.rosters.add_present(translate(ev, self.context(ev, now))))
        if kind == "endofwho":
            args = list(ev.arguments or ())
            return self._present(self.rosters.release(str(args[0])) if args else [], now)
        if kind in _WHO_REFUSED and str((ev.arguments or [""])[0]).upper() == "WHO":
            # A server that rate-limits or lacks WHO must not hold the roster back for good.
            return self._present(self.rosters.release_all(), now)
        if kind in ("whospcrpl", "whoreply", "endofnames"):
            return []
        return self._membership(ev, now)

    def _membership(self, ev: Any, now: datetime) -> list[Event]:
        """Translate with what was known before the line, then apply it to rosters and accounts."""
        kind = ev.type
        nick = split_source(ev.source)[0] if is_user_source(ev.source) else ""
        is_self = bool(nick) and casefold(nick) == casefold(self.nick)
        before = self.rosters.channels_of(nick) if nick else []
        events = translate(ev, self.context(ev, now), channels=before)
        self.rosters.update(ev, self.nick)
        for event in events:
            if isinstance(event, MemberModeChanged) and event.channel is not None:
                self.rosters.set_status(event.channel, event.actor.nick, event.status)
            elif isinstance(event, MemberLeft) and not self.rosters.channels_of(event.actor.nick):
                self.accounts.forget(event.actor.nick)  # no longer in sight: a stranger may
        if is_self:
            if kind == "join" and ev.target:
                self._ask_who(str(ev.target))
            elif kind == "nick" and ev.target:
                self.nick = str(ev.target)
            elif kind == "part":
                self.accounts.retain(self.rosters.everyone())
        kicked = str(ev.arguments[0]) if kind == "kick" and ev.arguments else ""
        if kicked and casefold(kicked) == casefold(self.nick):
            self.accounts.retain(self.rosters.everyone())
        return events

    def _ask_who(self, channel: str) -> None:
        """Ask who is in a channel we just joined: WHOX for accounts where offered, else WHO."""
        self.rosters.expect_who(channel)
        if self.features.whox:
            self.replies.append(Reply(f"WHO {channel} %{WHOX_FIELDS},{WHOX_TOKEN}"))
        else:
            self.replies.append(Reply(f"WHO {channel}"))

    def _present(self, events: list[Any], now: datetime | None = None) -> list[Event]:
        """NAMES entries as reported: completed from WHO, followed by who is away."""
        out: list[Event] = []
        for event in events:
            if not isinstance(event, MemberJoined):
                continue
            # A MODE may have come between NAMES and the end of WHO: report the status now.
            status = self.rosters.status(event.channel or "", event.actor.nick)
            member = replace(event, actor=enrich(event.actor, self), modes=status)
            out.append(member)
            known = self.accounts.get(member.actor.nick)
            if known is not None and known.away:
                out.append(
                    PresenceChanged(
                        platform=PLATFORM,
                        network=self.network,
                        timestamp=now or member.timestamp,
                        actor=member.actor,
                        status="away",
                    )
                )
        return out

    def _batch(self, ev: Any) -> None:
        """``BATCH +ref type params`` opens a batch, ``BATCH -ref`` closes it."""
        ref = str(ev.target or "")
        if ref.startswith("+") and len(self._batches) < MAX_BATCHES:
            args = list(ev.arguments or ())
            self._batches[ref[1:]] = str(args[0]).lower() if args else ""
        elif ref.startswith("-"):
            self._batches.pop(ref[1:], None)

    def _answer_ctcp(self, ev: Any) -> None:
        """Answer CTCP VERSION and PING; ignore other CTCP (ACTION arrives as its own event)."""
        if not is_user_source(ev.source) or not ev.arguments:
            return
        nick, _ = split_source(ev.source)
        if casefold(nick) == casefold(self.nick):
            return
        query = str(ev.arguments[0]).upper()
        if query == "VERSION":
            reply = f"VERSION {self.version}"
        elif query == "PING":
            data = sanitize(str(ev.arguments[1])) if len(ev.arguments) > 1 else ""
            reply = f"PING {split_message(data, 200)[0]}".rstrip()
        else:
            return
        self.replies.append(Reply(f"NOTICE {nick} :\x01{sanitize(reply)}\x01", courtesy=True))
