"""Who counts as notable, and how much, for the engine: a small seam over the people area.

Until the people area provides a scored lookup, notability comes from the configured
watchlist (``[[watchlist]]``, priority 1-5), through :func:`build_notability`, so the
detectors depend only on :class:`~assistant.openings.notable.NotableLookup` (the contract).
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant import Identity, MemberLeft, NickChanged, Notable, NotableLookup
from assistant.config import IdentityRef, Settings, WatchedMember, ref_matches
from assistant.openings import irc_casefold

__all__ = ["FollowedNicks", "WatchlistNotability", "build_notability"]


_REMEMBERED = 10_000  # identities whose verdict is kept (a line asks for each author)
_FOLLOWED = 1_000  # nicks followed through renames (the oldest go first)


class WatchlistNotability:
    """Notability from the configured watchlist: priority 1-5 becomes a score of 0.2-1.0.

    A watchlist identity is matched as users write it (``name#1234``, the bare name, a
    Discord user id, an IRC nick or account): see :mod:`assistant.config.identities`.
    """

    def __init__(self, watchlist: Sequence[WatchedMember]) -> None:
        self._refs: list[tuple[IdentityRef, WatchedMember]] = [
            (ref, member) for member in watchlist for ref in member.identities
        ]
        self._members = list(watchlist)
        self._seen: dict[Identity, WatchedMember | None] = {}

    @staticmethod
    def _notable(member: WatchedMember) -> Notable:
        return Notable(
            member.name,
            member.priority / 5,
            (f"on your watchlist (priority {member.priority})",),
            member.notes,
        )

    def member(self, identity: Identity) -> WatchedMember | None:
        """The watchlist entry naming ``identity``, or None."""
        if identity in self._seen:
            return self._seen[identity]
        found = next((m for ref, m in self._refs if ref_matches(ref, identity)), None)
        if len(self._seen) > _REMEMBERED:
            self._seen.clear()
        self._seen[identity] = found
        return found

    def lookup(self, identity: Identity) -> Notable | None:
        """The watched member matching the identity's user id, tag, account, or nick."""
        member = self.member(identity)
        return self._notable(member) if member is not None else None

    def find(self, name: str) -> Notable | None:
        """The watched member named ``name`` (or with that nick, tag, account or user id)."""
        wanted = name.casefold()
        for member in self._members:
            if member.name.casefold() == wanted:
                return self._notable(member)
        probe = Identity("", "", name, account=name, user_id=name)
        for ref, member in self._refs:
            if ref_matches(ref, probe):
                return self._notable(member)
        return None


class FollowedNicks:
    """A lookup that follows notable members through nick changes while they stay online.

    The watchlist names people as users write them, often by nick; on IRC a watched
    ``darren`` who goes ``darren_away`` and comes back talking is the same person, and the
    openings about him must not stop at the ``/nick``. Each rename of someone notable maps the
    new nick to the identity the lookup knew. The old nick stays mapped too: lines said before
    the rename are analysed after it. A quit under any of the nicks forgets them all, since a
    nick set free may be taken by someone else.
    """

    def __init__(self, inner: NotableLookup) -> None:
        self.inner = inner
        self._known: dict[tuple[str, str, str], Identity] = {}
        """(platform, network, folded nick) → the identity the inner lookup recognises."""

    @staticmethod
    def _key(identity: Identity) -> tuple[str, str, str]:
        return identity.platform, identity.network, irc_casefold(identity.nick)

    def _original(self, identity: Identity) -> Identity:
        return self._known.get(self._key(identity), identity)

    def lookup(self, identity: Identity) -> Notable | None:
        """The notable member behind ``identity``, under any nick they took since."""
        found = self.inner.lookup(identity)
        if found is None and self._key(identity) in self._known:
            found = self.inner.lookup(self._original(identity))
        return found

    def find(self, name: str) -> Notable | None:
        """As the inner lookup's :meth:`NotableLookup.find`."""
        return self.inner.find(name)

    def renamed(self, event: NickChanged) -> None:
        """Follow a rename: the new nick is whoever the old one was."""
        old = event.actor
        original = self._original(old)
        if self.inner.lookup(original) is None:
            return
        new = Identity(old.platform, old.network, event.new_nick, old.account, old.user_id)
        for identity in (old, new):
            if self.inner.lookup(identity) is None:
                self._known[self._key(identity)] = original
        while len(self._known) > _FOLLOWED:
            del self._known[next(iter(self._known))]

    def left(self, event: MemberLeft) -> None:
        """Forget every nick followed for someone who quits the network."""
        if event.kind not in ("quit", "netsplit"):
            return
        gone = self._key(self._original(event.actor))
        for key in [k for k, original in self._known.items() if self._key(original) == gone]:
            del self._known[key]


def build_notability(settings: Settings) -> NotableLookup:
    """The notability source for this run: the watchlist (the people area's scores later)."""
    return WatchlistNotability(settings.watchlist)
