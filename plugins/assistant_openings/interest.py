"""A notable member raising one of the owner's interests where others may join in.

The same words are an opening or an interruption depending on the conversation: in an open
discussion of three or more people the owner can join with something useful; inside the
notable's one-to-one exchange with somebody (answering their question) a third voice
interrupts. That case becomes a "follow this thread" note, held back unless
``[plugins.openings] follow_notes`` is on. Said to the room in passing, it is no conversation yet.
"""

from __future__ import annotations

from collections.abc import Iterable

from assistant.openings import Candidate, Detector, Observation, quote
from assistant_openings.conversation import is_bot_command, stance

__all__ = ["SharedInterest"]

# Words of advice to one person ("if you send KMD from the wallet, ..."): support, not talk.
_ADVICE = frozenset(("you", "your", "you're", "you'll", "u", "ur"))


class SharedInterest(Detector):
    """Matches a notable member's line against the owner's interests, in its conversation."""

    kind = "interest"

    def on_line(self, obs: Observation) -> Iterable[Candidate]:
        """Propose the line when it touches an interest (questions wait for their own detector)."""
        line = obs.line
        if line.notable is None or line.analysis.is_question or is_bot_command(line.text):
            return
        # Topics only (the noun phrases): "sounds good" is no talk about sound.
        match = self.ctx.interests.match(
            line.analysis.topics,
            "",
            self.ctx.room.learned_interests(self.ctx.settings.learn_interests, line.channel),
        )
        if match is None:
            return
        where = stance(self.ctx.room, line, self.ctx.settings.conversation_window)
        source = "you often talk about" if match.learned else "you listed"
        advice = "asks_you" in line.analysis.acts or bool(_ADVICE & set(line.text.lower().split()))
        if where.role == "answering" or (where.role == "discussion" and advice):
            yield self.about(
                line,
                reason=f"raised {match.via} ({match.interest!r}) while {where.describe()}",
                angle=f"{line.nick} mentioned {match.via} while helping someone one to one: "
                f"{quote(line.text)}; follow this thread, and join only if it opens up",
                relevance=0.5 * match.strength,
                follow_only=True,
            )
            return
        if where.role != "discussion":
            return  # said to the room in passing: no conversation to join yet
        yield self.about(
            line,
            reason=f"raised {match.via}, matching your interest {match.interest!r}, "
            f"{where.describe()}",
            angle=f"{line.nick} brought up {match.via} ({where.people} people talking): "
            f"{quote(line.text)}; {source} {match.interest} — add something useful from "
            "your experience",
            relevance=match.strength,
        )
