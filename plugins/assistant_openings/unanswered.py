"""A notable member's question that nobody answered within the configured wait."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from assistant.openings import Candidate, Detector, Line, Observation, ago, quote

__all__ = ["UnansweredQuestion"]


class UnansweredQuestion(Detector):
    """Waits ``unanswered_wait`` seconds after a notable member's question for an answer."""

    kind = "unanswered_question"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.waiting: list[Line] = []

    def on_line(self, obs: Observation) -> Iterable[Candidate]:
        """Start waiting on a notable member's question."""
        line = obs.line
        if line.notable is None or not line.analysis.is_question:
            return ()
        room = self.ctx.room
        put_to = [n for n in line.analysis.addressees if not room.is_owner_nick(line.network, n)]
        if not put_to:  # a question to someone else is theirs to answer
            self.waiting.append(line)
        return ()

    def on_tick(self, now: datetime) -> Iterable[Candidate]:
        """Propose the questions whose wait ran out without an answer."""
        wait = timedelta(seconds=self.ctx.settings.unanswered_wait)
        due = [line for line in self.waiting if now - line.at >= wait]
        self.waiting = [line for line in self.waiting if now - line.at < wait]
        for line in due:
            if line.answered_by or line.notable is None:
                continue
            match = self.ctx.interests.match(
                line.analysis.topics,
                line.text,
                self.ctx.room.learned_interests(self.ctx.settings.learn_interests, line.channel),
            )
            tail = (
                f"you listed {match.interest} — share what you know or use"
                if match is not None
                else "answer if you can, or point to who can"
            )
            yield self.about(
                line,
                reason=f"question asked {ago(line.at, now)}, still unanswered",
                angle=f"{line.nick} asked {quote(line.text)} {ago(line.at, now)}, no answer yet; "
                + tail,
                relevance=0.6 + 0.4 * (match.strength if match else 0.0),
            )
