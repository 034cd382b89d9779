"""The exchange ledger: every line between the owner and one notable member, counted into a stage.

An exchange is a line one of them directed at the other (addressed by name or replying);
:meth:`Ledger.relationship` counts them under ``[plugins.openings.pacing]`` into a
:class:`~assistant.openings.Relationship` (the contract a detector reads).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from assistant import Relationship
from assistant.config import PacingThresholds

__all__ = ["STAGE_VALUE", "Ledger", "LedgerLine"]

STAGE_VALUE = {"stranger": 0.6, "noticed": 0.8, "exchanged": 1.0, "rapport": 1.0, "ready": 1.0}
"""How much a stage adds to an opening's score: early stages still deserve openings."""


@dataclass(frozen=True, slots=True)
class LedgerLine:
    """One line between the owner and a notable member."""

    at: datetime
    to_owner: bool
    """True when the notable member spoke to the owner, False for the other way round."""
    reply: bool
    """It answered a line the other had directed at its author."""
    initiation: bool
    """It started an exchange after a while of nothing between them."""
    channel: str = ""


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


@dataclass(slots=True)
class Ledger:
    """Every exchange between the owner and one notable member, oldest first."""

    person: str
    exchanges: list[LedgerLine] = field(default_factory=list)
    _cached: tuple[int, PacingThresholds, Relationship] | None = field(
        default=None, repr=False, compare=False
    )

    def add(self, exchange: LedgerLine) -> None:
        """Note one exchange."""
        self.exchanges.append(exchange)

    def last_at(self) -> datetime | None:
        """When they last exchanged a line, if ever."""
        return self.exchanges[-1].at if self.exchanges else None

    def relationship(self, limits: PacingThresholds) -> Relationship:
        """Count the ledger and place it in a stage under ``limits`` (cached until it grows)."""
        cached = self._cached
        if cached is not None and cached[0] == len(self.exchanges) and cached[1] is limits:
            return cached[2]
        found = self._count(limits)
        self._cached = (len(self.exchanges), limits, found)
        return found

    def _count(self, limits: PacingThresholds) -> Relationship:
        items = sorted(self.exchanges, key=lambda e: e.at)
        to_owner = sum(e.to_owner for e in items)
        to_them = len(items) - to_owner
        replies_by_them = sum(e.to_owner and e.reply for e in items)
        replies_by_owner = sum((not e.to_owner) and e.reply for e in items)
        initiations = sum(e.to_owner and e.initiation for e in items)
        chats = 0
        previous: datetime | None = None
        for e in items:
            if previous is None or (e.at - previous).total_seconds() > limits.chat_gap:
                chats += 1
            previous = e.at
        reciprocity = min(to_owner, to_them) / max(to_owner, to_them) if items else 0.0
        n = len(items)
        both_ways = replies_by_owner >= 1 and replies_by_them >= 1
        ladder: list[tuple[str, list[str]]] = [
            (
                "noticed",
                [_plural(limits.noticed_exchanges, "exchange")] * (n < limits.noticed_exchanges),
            ),
            (
                "exchanged",
                [f"{limits.exchanged_exchanges} exchanges"] * (n < limits.exchanged_exchanges)
                + ["replies both ways"] * (not both_ways),
            ),
            (
                "rapport",
                [f"{limits.rapport_exchanges} exchanges"] * (n < limits.rapport_exchanges)
                + [f"{limits.rapport_chats} chats"] * (chats < limits.rapport_chats),
            ),
            (
                "ready",
                [f"{limits.ready_exchanges} exchanges"] * (n < limits.ready_exchanges)
                + [f"{limits.ready_chats} chats"] * (chats < limits.ready_chats)
                + [f"{limits.ready_initiations} started by them"]
                * (initiations < limits.ready_initiations)
                + [f"balance {limits.ready_reciprocity:.1f}"]
                * (reciprocity < limits.ready_reciprocity),
            ),
        ]
        stage = "stranger"
        missing: tuple[str, ...] = ()
        for name, needs in ladder:
            if needs:
                missing = tuple(needs)
                break
            stage = name
        return Relationship(
            self.person,
            n,
            to_them,
            to_owner,
            replies_by_owner,
            replies_by_them,
            chats,
            initiations,
            round(reciprocity, 3),
            stage,
            missing,
            tuple(ladder[-1][1]),
        )
