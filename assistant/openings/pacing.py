"""Relationship pacing: the owner's exchanges with each notable member, and when an ask is welcome.

Value first: an exchange is a line one of them directed at the other (addressed by name or
replying). The ledger counts them, the replies each way, how balanced they are, how many
separate chats they span and how often the notable member started one. Stages follow from
configurable thresholds — stranger → noticed → exchanged → rapport → ready — and every
verdict comes with the counts behind it, so "too early" says what is still missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from assistant.config import PacingThresholds

__all__ = ["STAGES", "Ledger", "LedgerLine", "Relationship"]

STAGES = ("stranger", "noticed", "exchanged", "rapport", "ready")

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


@dataclass(frozen=True, slots=True)
class Relationship:
    """The ledger's counts and the stage they reach."""

    person: str
    exchanges: int
    to_them: int
    to_owner: int
    replies_by_owner: int
    replies_by_them: int
    chats: int
    their_initiations: int
    reciprocity: float
    stage: str
    missing: tuple[str, ...]
    """What the next stage still needs, phrased for the owner."""
    ready_needs: tuple[str, ...] = ()
    """What an ask still needs."""

    @property
    def ready(self) -> bool:
        """Whether an ask is welcome now."""
        return self.stage == "ready"

    def verdict(self) -> str:
        """The ``!ready`` answer: "too early: ..." or "ready: ..."."""
        done = f"{_plural(self.exchanges, 'exchange')} in {_plural(self.chats, 'chat')}"
        if self.ready:
            return (
                f"ready: {done}, replies both ways (balance {self.reciprocity:.1f}), "
                f"{self.person} started {self.their_initiations} — make your ask, specific and "
                "easy to decline"
            )
        needs = f" (an ask needs {', '.join(self.ready_needs)})" if self.ready_needs else ""
        return f"too early: {done} — keep adding value{needs}"

    def explain(self) -> list[str]:
        """Lines for ``presence relationship``: the stage and every count behind it."""
        return [
            f"{self.person}: {self.stage}",
            f"exchanges: {self.exchanges} ({self.to_them} from you, {self.to_owner} from them)",
            f"replies: {self.replies_by_owner} by you, {self.replies_by_them} by them; "
            f"balance {self.reciprocity:.2f}",
            f"chats spanned: {self.chats}; started by them: {self.their_initiations}",
            self.verdict(),
        ]


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
