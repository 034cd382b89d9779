"""Who asked not to be recorded: the in-memory list the recorder checks on every event.

The list belongs to a database (``OptOuts.of(db)``): the recorder, the privacy plugin and
the CLI all reach the same list through the database they share, so an ``!optout`` takes
effect for the very next event without any of them knowing about the others. The table
``people_optouts`` is its durable copy; :func:`assistant.people.privacy.load_optouts`
fills the list from it (and from the config) at start-up.
"""

from __future__ import annotations

from collections.abc import Iterable
from weakref import WeakKeyDictionary

from assistant.config import IdentityRef
from assistant.events import Identity, irc_casefold
from assistant.storage.database import Database

__all__ = ["OptOuts"]

_ANY = ""  # a config opt-out without a network matches every network

_REGISTRY: WeakKeyDictionary[Database, OptOuts] = WeakKeyDictionary()


class OptOuts:
    """Identity keys and IRC accounts, per network, that are never recorded."""

    def __init__(self) -> None:
        self._keys: set[tuple[str, str]] = set()
        self._accounts: set[tuple[str, str]] = set()

    @classmethod
    def of(cls, db: Database) -> OptOuts:
        """Return the opt-out list of ``db`` (one per open database)."""
        found = _REGISTRY.get(db)
        if found is None:
            found = _REGISTRY[db] = cls()
        return found

    def __bool__(self) -> bool:
        return bool(self._keys or self._accounts)

    def add(self, network: str, kind: str, value: str) -> None:
        """Opt out ``value``: an identity key (``kind="key"``) or an IRC account (``"account"``)."""
        target = self._accounts if kind == "account" else self._keys
        target.add((network, value))

    def discard(self, network: str, kind: str, value: str) -> None:
        """Undo :meth:`add` (an opt-in)."""
        target = self._accounts if kind == "account" else self._keys
        target.discard((network, value))

    def add_refs(self, refs: Iterable[IdentityRef]) -> None:
        """Opt out the identities the owner listed in the config."""
        for ref in refs:
            network = ref.network or _ANY
            if ref.user_id:
                self.add(network, "key", ref.user_id)
            if ref.nick:
                self.add(network, "key", irc_casefold(ref.nick))
            if ref.account:
                self.add(network, "account", irc_casefold(ref.account))

    def blocks(self, identity: Identity) -> bool:
        """True when ``identity`` opted out (by its key or its IRC account)."""
        if not (self._keys or self._accounts):
            return False
        network, key = identity.network, identity.key
        if (network, key) in self._keys or (_ANY, key) in self._keys:
            return True
        account = identity.account
        if account is None or not self._accounts:
            return False
        folded = irc_casefold(account)
        return (network, folded) in self._accounts or (_ANY, folded) in self._accounts
