"""The detector contract: small classes that propose openings from lines, events and time.

A detector never sends anything and never decides alone: it returns
:class:`~assistant.openings.opening.Candidate` objects and the engine scores them, applies
the policy, stores and notifies. Detectors read the run's :class:`DetectorContext` (the
engine's room through a :class:`~assistant.openings.room.RoomView`); they keep whatever else
they need on themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from assistant.config import OpeningsSettings
from assistant.events import Event
from assistant.openings.interests import InterestMatcher
from assistant.openings.notable import Notable, NotableLookup
from assistant.openings.opening import Candidate
from assistant.openings.pacing import Relationship
from assistant.openings.room import Line, Observation, RoomView

__all__ = ["Detector", "DetectorContext"]


@dataclass(frozen=True, slots=True)
class DetectorContext:
    """What every detector may consult."""

    settings: OpeningsSettings
    room: RoomView
    notability: NotableLookup
    interests: InterestMatcher
    relationship: Callable[[str], Relationship]
    """The current relationship with a notable member, by the owner's name for them."""


class Detector:
    """Base of every detector: override the ``on_*`` methods that matter to it."""

    kind: ClassVar[str] = ""

    def __init__(self, ctx: DetectorContext) -> None:
        self.ctx = ctx

    def on_line(self, obs: Observation) -> Iterable[Candidate]:
        """React to an analysed channel line (live, not backfilled)."""
        return ()

    def on_event(self, event: Event) -> Iterable[Candidate]:
        """React to any other event (arrivals, departures)."""
        return ()

    def on_tick(self, now: datetime) -> Iterable[Candidate]:
        """React to time passing (waits that ran out)."""
        return ()

    def about(
        self,
        line: Line,
        *,
        reason: str,
        angle: str,
        relevance: float,
        person: Notable | None = None,
        follow_only: bool = False,
    ) -> Candidate:
        """Propose an opening of this detector's kind about ``line``.

        ``person`` is the notable member it concerns; by default the line's author.
        ``follow_only`` makes it a "follow this thread" note (held back by default).

        Raises:
            ValueError: nobody notable is concerned (the author is not notable).
        """
        who = person or line.notable
        if who is None:
            raise ValueError(f"{type(self).__name__}: {line.nick} is not a notable member")
        return Candidate(
            kind=self.kind,
            person=who,
            nick=line.nick,
            platform=line.platform,
            network=line.network,
            channel=line.channel,
            at=line.at,
            text=line.text,
            reason=reason,
            angle=angle,
            relevance=relevance,
            message_id=line.key,
            thread=line.thread,
            follow_only=follow_only,
        )
