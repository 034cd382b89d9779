"""Who counts as notable, and how much: what a detector is told of a member.

The engine's lookup (the watchlist, followed through nick changes) is the ``openings``
plugin's (``assistant_openings.notability``); detectors depend only on
:class:`NotableLookup`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from assistant.events import Identity

__all__ = ["Notable", "NotableLookup"]


@dataclass(frozen=True, slots=True)
class Notable:
    """A notable member as the openings see them."""

    name: str
    """The owner's name for them (the watchlist entry's name)."""
    score: float
    """How notable, 0-1."""
    reasons: tuple[str, ...] = ()
    notes: str = ""


class NotableLookup(Protocol):
    """Tells whether an identity belongs to a notable member."""

    def lookup(self, identity: Identity) -> Notable | None:
        """The notable member behind ``identity``, or None."""
        ...

    def find(self, name: str) -> Notable | None:
        """The notable member the owner calls ``name`` (or a nick of theirs), or None."""
        ...
