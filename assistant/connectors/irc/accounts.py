"""Who is logged in as which services account, for the people Presence shares a channel with.

An IRC nick proves nothing: only the account the server vouches for identifies the owner. The
server tells it in several ways (the ``account`` tag on each line, extended-join, ACCOUNT from
account-notify, WHOX replies, 330 in WHOIS); this book keeps the freshest answer per nick so
every event can carry it, even on lines that have no tag. Knowledge is kept only while the
person shares a channel with Presence: after that their QUIT or NICK is no longer seen, and a
stranger could take the nick.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from assistant.connectors.irc.text import casefold
from assistant.connectors.irc.translate import IrcEventLike, is_user_source, split_source, tag_dict

__all__ = ["WHOX_FIELDS", "WHOX_TOKEN", "AccountBook", "Person"]

WHOX_TOKEN = "152"
"""Marks the replies to Presence's own WHOX queries (up to 3 digits by the spec)."""

WHOX_FIELDS = "tcuhnfa"
"""Token, channel, user, host, nick, flags, account: what a WHOX reply (354) carries, in order."""

_LOGGED_OUT = frozenset({"*", "0", ""})


@dataclass(slots=True)
class Person:
    """What is known of one nick: the account it is logged in as, its user@host, whether away."""

    nick: str
    account: str | None = None
    userhost: str | None = None
    away: bool = False


def _account(value: object) -> str | None:
    """An account name from the wire, or None for the spellings of "not logged in"."""
    text = "" if value is None else str(value)
    return None if text in _LOGGED_OUT else text


class AccountBook:
    """Accounts, hosts and away state by nick, learned from the lines the server sends."""

    def __init__(self) -> None:
        self._people: dict[str, Person] = {}

    def clear(self) -> None:
        """Forget everyone (the connection is gone)."""
        self._people.clear()

    def get(self, nick: str) -> Person | None:
        """What is known of ``nick``, if anything."""
        return self._people.get(casefold(nick))

    def account(self, nick: str) -> str | None:
        """The account ``nick`` is logged in as, or None when not logged in or not known."""
        person = self._people.get(casefold(nick))
        return person.account if person is not None else None

    def userhost(self, nick: str) -> str | None:
        """The ``user@host`` last seen for ``nick``."""
        person = self._people.get(casefold(nick))
        return person.userhost if person is not None else None

    def forget(self, nick: str) -> None:
        """Drop ``nick`` (it quit, or no longer shares a channel with Presence)."""
        self._people.pop(casefold(nick), None)

    def retain(self, nicks: Iterable[str]) -> None:
        """Keep only ``nicks``: everyone else no longer shares a channel with Presence."""
        keep = {casefold(nick) for nick in nicks}
        for key in [key for key in self._people if key not in keep]:
            del self._people[key]

    def _person(self, nick: str) -> Person:
        key = casefold(nick)
        person = self._people.get(key)
        if person is None:
            person = self._people[key] = Person(nick)
        return person

    def learn(self, ev: IrcEventLike, *, account_tag: bool, own_nick: str) -> None:
        """Update what is known from one library event, before it is translated.

        New entries are made only by joins and WHO replies (people in our channels); other
        lines only refresh entries that exist, so strangers messaging Presence leave no trace.
        With ``account-tag``, a user's line without the tag means they are not logged in.
        """
        kind = ev.type
        own = casefold(own_nick)
        if kind == "whospcrpl":
            self._whox([str(arg) for arg in ev.arguments or ()], own)
            return
        if kind == "whoreply":  # 352 own #chan user host server nick flags :hops realname
            args = [str(arg) for arg in ev.arguments or ()]
            if len(args) >= 6 and casefold(args[4]) != own:
                listed = self._person(args[4])
                listed.userhost = f"{args[1]}@{args[2]}"
                listed.away = args[5].startswith("G")
            return
        if kind == "whoisaccount":  # 330 own nick account :is logged in as
            args = list(ev.arguments or ())
            known = self.get(str(args[0])) if len(args) >= 2 else None
            if known is not None:
                known.account = _account(args[1])
            return
        if not is_user_source(ev.source):
            return
        nick, userhost = split_source(ev.source)
        if casefold(nick) == own:
            return
        person: Person | None = self._person(nick) if kind == "join" else self.get(nick)
        if person is None:
            return
        person.nick = nick
        person.userhost = userhost or person.userhost
        if account_tag:
            person.account = _account(tag_dict(ev.tags).get("account"))
        if kind == "join" and ev.arguments:  # extended-join: JOIN #c account :realname
            person.account = _account(ev.arguments[0])
        elif kind == "account":  # account-notify: ACCOUNT name (or *)
            person.account = _account(ev.target)
        elif kind == "chghost" and ev.arguments:
            person.userhost = f"{ev.target}@{ev.arguments[0]}"
        elif kind == "away":
            person.away = bool(ev.target)
        elif kind == "nick" and ev.target:
            self._people.pop(casefold(nick), None)
            person.nick = str(ev.target)
            self._people[casefold(person.nick)] = person

    def _whox(self, args: list[str], own: str) -> None:
        """A 354 reply to our ``WHO #chan %tcuhnfa,152``; other WHOX replies are not ours."""
        if len(args) < len(WHOX_FIELDS) or args[0] != WHOX_TOKEN:
            return
        _, _, user, host, nick, flags, account = args[: len(WHOX_FIELDS)]
        if casefold(nick) == own:
            return
        person = self._person(nick)
        person.userhost = f"{user}@{host}"
        person.away = flags.startswith("G")
        person.account = _account(account)
