"""A notable member arriving in a channel while the owner is there."""

from __future__ import annotations

from collections.abc import Iterable

from assistant import Event, MemberJoined
from assistant.openings import Candidate, Detector

__all__ = ["NotableArrived"]


class NotableArrived(Detector):
    """Proposes a greeting when a notable member joins a channel the owner is in."""

    kind = "arrival"

    def on_event(self, event: Event) -> Iterable[Candidate]:
        """Propose a join by a notable member, when the owner is present."""
        if not isinstance(event, MemberJoined) or event.channel is None:
            return
        if not self.ctx.room.owner_present(event.network, event.channel):
            return
        who = self.ctx.notability.lookup(event.actor)
        if who is None:
            return
        note = f" ({who.notes})" if who.notes else ""
        yield Candidate(
            kind=self.kind,
            person=who,
            nick=event.actor.nick,
            platform=event.platform,
            network=event.network,
            channel=event.channel,
            at=event.timestamp,
            text="",
            reason=f"arrived in {event.channel} while you are there",
            angle=f"{event.actor.nick}{note} just arrived in {event.channel} — "
            "a short hello, and pick up something they said before",
            relevance=0.5,
            thread=f"arrival:{event.timestamp.isoformat()}",
        )
