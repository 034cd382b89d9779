"""A notable member's real question to the room that nobody answered within the configured wait.

Most question marks a notable member types are not openings: a helper's clarifying
questions to the member they are helping ("which version?", "what is your address?"), a
rhetorical question inside their own answer, an aside expecting a yes ("isn't it a new
chain?"). Only a question put to the room — worded to the room ("anyone know...") or asked
outside any one-to-one exchange — and left unanswered is one the owner can take.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from assistant.openings import Candidate, Detector, Line, Observation, ago, quote
from assistant_openings.conversation import (
    about_themselves,
    answered,
    at_pace,
    is_bot_command,
    stance,
)

__all__ = ["UnansweredQuestion"]

_BARE = 6  # words: a shorter question with no "anyone" and nothing of the asker's own


class UnansweredQuestion(Detector):
    """Waits ``unanswered_wait`` seconds after a notable member's question to the room."""

    kind = "unanswered_question"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.waiting: list[tuple[Line, str, timedelta]] = []

    def on_line(self, obs: Observation) -> Iterable[Candidate]:
        """Start waiting on a notable member's question to the room."""
        line = obs.line
        if line.notable is None or not line.analysis.is_question or is_bot_command(line.text):
            return ()
        acts = set(line.analysis.acts)
        room = self.ctx.room
        if any(not room.is_owner_nick(line.network, n) for n in line.analysis.addressees):
            return ()  # a question to someone else is theirs to answer
        if acts & {"short_question", "aside"}:
            return ()
        if "asks_room" in acts:
            self.waiting.append((line, "asked the room", self._wait(line)))
            return ()
        if "asks_you" in acts:
            return ()
        if len(line.text.split()) < _BARE and not about_themselves(line):
            return ()  # "is the daemon running?" out of the blue follows up someone's problem
        where = stance(room, line, self.ctx.settings.conversation_window)
        if where.role == "asking_room":  # not inside an exchange: meant for whoever knows
            self.waiting.append((line, "asked outside any exchange", self._wait(line)))
        elif where.role == "discussion":  # put to the group talking
            self.waiting.append((line, f"asked {where.describe()}", self._wait(line)))
        return ()

    def _wait(self, line: Line) -> timedelta:
        """How long ``line`` waits for an answer: ``unanswered_wait``, longer in a slow channel.

        Where a line comes every few minutes, an answer takes as long: the wait is three of
        the channel's usual gaps, up to ``away_wait``.
        """
        settings = self.ctx.settings
        wait = at_pace(self.ctx.room, line, settings.unanswered_wait)
        return timedelta(seconds=min(wait, max(settings.unanswered_wait, settings.away_wait)))

    def on_tick(self, now: datetime) -> Iterable[Candidate]:
        """Propose the questions whose wait ran out without an answer."""
        due = [(line, how, wait) for line, how, wait in self.waiting if now - line.at >= wait]
        self.waiting = [item for item in self.waiting if now - item[0].at < item[2]]
        for line, how, wait in due:
            quiet = self.ctx.settings.quiet_channel
            window = self.ctx.settings.conversation_window
            if line.notable is None or answered(self.ctx.room, line, wait, window, quiet):
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
            on_interest = f", on your interest {match.interest!r}" if match else ""
            yield self.about(
                line,
                reason=f"{how} {ago(line.at, now)}, still unanswered{on_interest}",
                angle=f"{line.nick} asked {quote(line.text)} {ago(line.at, now)}, no answer yet; "
                + tail,
                relevance=0.7 + 0.3 * (match.strength if match else 0.0),
            )
