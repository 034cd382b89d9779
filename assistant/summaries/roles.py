"""Who is who in a summary: the owner, the notable members, and Presence itself.

The owner is recognised by a verified identity (IRC account, Discord user id) and, read
only, by their configured names where nothing was verified; notable members by any
identity the watchlist names, as users write it (nick, account, ``name#1234``, user id).
Matching works on every identity a person used, so a nick change keeps them notable.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from assistant.config import IdentityRef, Settings
from assistant.config.identities import attributed_to_owner, ref_matches
from assistant.events import irc_casefold

__all__ = ["KnownIdentity", "Roles"]


@dataclass(frozen=True, slots=True)
class KnownIdentity:
    """One identity of a person, as stored."""

    nick: str
    account: str | None
    user_id: str | None


def _matches(ref: IdentityRef, platform: str, network: str, ident: KnownIdentity) -> bool:
    if ref.platform != platform and not (platform not in ("irc", "discord") and ref.nick):
        return False
    if ref.network is not None and ref.network != network:
        return False
    return ref_matches(ref, ident)


class Roles:
    """Decides, for one network, whether a person is the owner, notable, or Presence."""

    def __init__(self, settings: Settings, platform: str, network: str) -> None:
        self._settings = settings
        self._platform = platform
        self._network = network
        configured = settings.networks.get(network)
        self._bot_nicks = (
            {irc_casefold(n) for n in (configured.nick, *configured.alt_nicks)}
            if configured is not None
            else set()
        )
        self.extra_notable: dict[int, str] = {}
        """Person id → name, for persons found notable elsewhere (``assistant.people``)."""

    def is_owner(self, identities: Iterable[KnownIdentity]) -> bool:
        """True when one of ``identities`` counts as the owner's (read-only attribution).

        A verified identity counts, and so do the owner's configured names where no
        account was verified (:func:`assistant.config.identities.attributed_to_owner`).
        """
        owner = self._settings.owner
        return any(
            attributed_to_owner(owner, self._platform, self._network, ident) for ident in identities
        )

    def is_presence(self, identities: Iterable[KnownIdentity]) -> bool:
        """True when the identities are Presence's own (its configured nicks)."""
        return any(irc_casefold(ident.nick) in self._bot_nicks for ident in identities)

    def watch_name(self, person_id: int, identities: Iterable[KnownIdentity]) -> str | None:
        """The owner's name for a notable member, or ``None`` when the person is not one."""
        idents = list(identities)
        for member in self._settings.watchlist:
            if any(
                _matches(ref, self._platform, self._network, ident)
                for ref in member.identities
                for ident in idents
            ):
                return member.name
        return self.extra_notable.get(person_id)
