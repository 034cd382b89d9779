"""What an opening is: who, where, which message, why, and a score made of explicit parts."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from assistant.openings.notable import Notable

__all__ = ["WEIGHTS", "Candidate", "Opening", "ScoreParts", "ago", "quote"]

WEIGHTS: dict[str, float] = {
    "notability": 0.30,
    "relevance": 0.25,
    "timeliness": 0.20,
    "novelty": 0.15,
    "stage": 0.10,
}
"""How much each part counts in the score; they add up to 1, so the score is 0-1."""

_QUOTE_MAX = 70
_TIMELY_FOR = 600.0  # seconds after which an opening has lost most of its timeliness


def quote(text: str, limit: int = _QUOTE_MAX) -> str:
    """Quote a chat line on one short line."""
    line = " ".join(text.split())
    if len(line) > limit:
        line = line[: limit - 1].rstrip() + "…"
    return f"“{line}”"


def ago(then: datetime, now: datetime) -> str:
    """Say how long ago ``then`` was, briefly ("just now", "3 min ago", "2 h ago")."""
    seconds = max(0.0, (now - then).total_seconds())
    if seconds < 45:
        return "just now"
    if seconds < 90 * 60:
        return f"{max(1, round(seconds / 60))} min ago"
    return f"{round(seconds / 3600)} h ago"


@dataclass(frozen=True, slots=True)
class Candidate:
    """What a detector proposes; the engine scores it and the policy decides."""

    kind: str
    person: Notable
    nick: str
    platform: str
    network: str
    channel: str
    at: datetime
    """When the message (or arrival) behind it happened."""
    text: str
    reason: str
    angle: str
    relevance: float
    message_id: str | None = None
    thread: str = ""
    follow_only: bool = False
    """A "follow this thread" note rather than an opening (an interest inside someone else's
    one-to-one exchange): held back unless ``[plugins.openings] follow_notes`` is on."""


@dataclass(frozen=True, slots=True)
class ScoreParts:
    """The explicit parts of a score, each 0-1."""

    notability: float
    relevance: float
    timeliness: float
    novelty: float
    stage: float

    @property
    def total(self) -> float:
        """The weighted sum (0-1)."""
        total = sum(float(getattr(self, name)) * weight for name, weight in WEIGHTS.items())
        return round(total, 3)

    @staticmethod
    def timeliness_of(at: datetime, now: datetime) -> float:
        """1 for something that just happened, fading over about ten minutes."""
        age = max(0.0, (now - at).total_seconds())
        return round(math.exp(-age / _TIMELY_FOR), 3)

    def as_dict(self) -> dict[str, float]:
        """The parts by name, rounded, for storage and JSON."""
        return {name: round(getattr(self, name), 3) for name in WEIGHTS}


@dataclass(slots=True)
class Opening:
    """A scored candidate, as stored and notified."""

    candidate: Candidate
    parts: ScoreParts
    found_at: datetime
    id: int | None = None
    outcome: str = "pending"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def score(self) -> float:
        """The total score (0-1)."""
        return self.parts.total

    def as_json(self) -> dict[str, Any]:
        """The opening as one JSON object (replay output, webhook body)."""
        c = self.candidate
        return {
            "id": self.id,
            "time": self.found_at.isoformat(),
            "kind": c.kind,
            "person": c.person.name,
            "nick": c.nick,
            "network": c.network,
            "channel": c.channel,
            "message_time": c.at.isoformat(),
            "message": c.text,
            "score": self.score,
            "parts": self.parts.as_dict(),
            "reason": c.reason,
            "angle": c.angle,
        }

    def line(self) -> str:
        """One line for a private message: what, why, and what to do."""
        ref = f"#{self.id} " if self.id is not None else ""
        return f"Opening {ref}in {self.candidate.channel}: {self.candidate.angle}"
