"""Relationship pacing: where the owner stands with a notable member, and when an ask is welcome.

Value first: an exchange is a line one of them directed at the other (addressed by name or
replying). The ledger counts them, the replies each way, how balanced they are, how many
separate chats they span and how often the notable member started one. Stages follow from
configurable thresholds — stranger → noticed → exchanged → rapport → ready — and every
verdict comes with the counts behind it, so "too early" says what is still missing. The
ledger that counts them is the ``openings`` plugin's (``assistant_openings.ledger``); a
detector reads the :class:`Relationship` it gives.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["STAGES", "Relationship"]

STAGES = ("stranger", "noticed", "exchanged", "rapport", "ready")


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
