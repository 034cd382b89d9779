"""A notable member addressing or replying to the owner: answer promptly."""

from __future__ import annotations

from collections.abc import Iterable

from assistant.openings import Candidate, Detector, Observation, quote

__all__ = ["AddressedOwner"]

_SUBSTANTIAL = 4  # words in a reply (not naming the owner) that may want an answer


class AddressedOwner(Detector):
    """Proposes a notable member's line directed at the owner (by name or as a reply)."""

    kind = "addressed_you"

    def on_line(self, obs: Observation) -> Iterable[Candidate]:
        """Propose the line when it names the owner or replies to the owner's line."""
        line = obs.line
        if line.notable is None:
            return
        room = self.ctx.room
        named = any(room.is_owner_nick(line.network, n) for n in line.analysis.addressees)
        replied = any(room.by_key[k].by_owner for k in line.analysis.reply_to if k in room.by_key)
        if not (named or replied):
            return
        said = [w for w in line.text.split() if not room.is_owner_nick(line.network, w.strip(":,"))]
        if named and len("".join(said).strip("?!.,:")) < 2:
            return  # "kizza, ?": a nudge, not something to answer yet
        if not named and len(said) < _SUBSTANTIAL and not line.analysis.is_question:
            return  # "alright", "ok thanks": nothing to answer
        how = "spoke to you" if named else "replied to you"
        yield self.about(
            line,
            reason=f"{how} in {line.channel}",
            angle=f"{line.nick} {how}: {quote(line.text)} — answer promptly",
            relevance=1.0,
        )
