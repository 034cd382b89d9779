"""A relationship that has just become ready for an ask (never before)."""

from __future__ import annotations

from collections.abc import Iterable

from assistant.openings import Candidate, Detector, Observation

__all__ = ["ReadyToAsk"]


class ReadyToAsk(Detector):
    """Proposes the ask once, when an exchange moves a relationship to the ready stage."""

    kind = "ready"

    def on_line(self, obs: Observation) -> Iterable[Candidate]:
        """Propose the ask when this line made the relationship ready."""
        line = obs.line
        for person, before, after in obs.stages:
            if before.ready or not after.ready:
                continue
            yield Candidate(
                kind=self.kind,
                person=person,
                nick=line.nick if not line.by_owner else person.name,
                platform=line.platform,
                network=line.network,
                channel=line.channel,
                at=line.at,
                text=line.text,
                reason="the relationship reached the ready stage",
                angle=f"{person.name}: {after.verdict()}",
                relevance=1.0,
                message_id=line.key,
                thread=line.thread,
            )
