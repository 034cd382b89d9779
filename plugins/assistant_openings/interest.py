"""A notable member raising one of the owner's interests (configured or learned)."""

from __future__ import annotations

from collections.abc import Iterable

from assistant.openings import Candidate, Detector, Observation, quote

__all__ = ["SharedInterest"]


class SharedInterest(Detector):
    """Matches a notable member's line against the owner's interests."""

    kind = "interest"

    def on_line(self, obs: Observation) -> Iterable[Candidate]:
        """Propose the line when it touches an interest (questions wait for their own detector)."""
        line = obs.line
        if line.notable is None or line.analysis.is_question:
            return
        match = self.ctx.interests.match(
            line.analysis.topics,
            line.text,
            self.ctx.room.learned_interests(self.ctx.settings.learn_interests, line.channel),
        )
        if match is None:
            return
        source = "you often talk about" if match.learned else "you listed"
        yield self.about(
            line,
            reason=f"raised {match.via}, matching your interest {match.interest!r}",
            angle=f"{line.nick} brought up {match.via}: {quote(line.text)}; {source} "
            f"{match.interest} — add something useful from your experience",
            relevance=match.strength,
        )
