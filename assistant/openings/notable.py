"""Who counts as notable, and how much: a small seam over the people area.

Until ``assistant.people.notability`` provides a scored lookup, notability comes from the
configured watchlist (``[[watchlist]]``, priority 1-5). :func:`build_notability` prefers the
people area's function when it is importable and falls back to the watchlist, so the
detectors depend only on :class:`Notability`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from assistant.config import Settings, WatchedMember
from assistant.events import Identity, irc_casefold

__all__ = ["Notability", "Notable", "WatchlistNotability", "build_notability"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Notable:
    """A notable member as the openings see them."""

    name: str
    """The owner's name for them (the watchlist entry's name)."""
    score: float
    """How notable, 0-1."""
    reasons: tuple[str, ...] = ()
    notes: str = ""


class Notability(Protocol):
    """Tells whether an identity belongs to a notable member."""

    def lookup(self, identity: Identity) -> Notable | None:
        """The notable member behind ``identity``, or None."""
        ...

    def find(self, name: str) -> Notable | None:
        """The notable member the owner calls ``name`` (or a nick of theirs), or None."""
        ...


class WatchlistNotability:
    """Notability from the configured watchlist: priority 1-5 becomes a score of 0.2-1.0."""

    def __init__(self, watchlist: Sequence[WatchedMember]) -> None:
        self._by_key: dict[tuple[str, str], WatchedMember] = {}
        self._by_name: dict[str, WatchedMember] = {}
        for member in watchlist:
            self._by_name[member.name.casefold()] = member
            for ref in member.identities:
                if ref.account:
                    self._by_key[("account", irc_casefold(ref.account))] = member
                if ref.nick:
                    self._by_key[("nick", irc_casefold(ref.nick))] = member
                    self._by_name.setdefault(ref.nick.casefold(), member)
                if ref.user_id:
                    self._by_key[("user", ref.user_id)] = member

    @staticmethod
    def _notable(member: WatchedMember) -> Notable:
        return Notable(
            member.name,
            member.priority / 5,
            (f"on your watchlist (priority {member.priority})",),
            member.notes,
        )

    def lookup(self, identity: Identity) -> Notable | None:
        """The watched member matching the identity's Discord id, IRC account, or nick."""
        keys = []
        if identity.user_id:
            keys.append(("user", identity.user_id))
        if identity.account:
            keys.append(("account", irc_casefold(identity.account)))
        keys.append(("nick", irc_casefold(identity.nick)))
        for key in keys:
            member = self._by_key.get(key)
            if member is not None:
                return self._notable(member)
        return None

    def find(self, name: str) -> Notable | None:
        """The watched member named ``name`` (or with that nick)."""
        member = self._by_name.get(name.casefold())
        return self._notable(member) if member is not None else None


def _people_lookup() -> Callable[..., object] | None:
    try:
        from assistant.people import notability  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return None
    return getattr(notability, "notability", None)


def build_notability(settings: Settings) -> Notability:
    """The notability source for this run: the watchlist (the people area's scores later)."""
    if _people_lookup() is not None:
        log.debug("openings: assistant.people.notability exists; still using the watchlist")
    return WatchlistNotability(settings.watchlist)
