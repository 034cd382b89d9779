"""A notable member asking for what the owner could give: a fix, a page, testers, a bounty taker.

The strongest openings: "plz update the knowledge base", "maybe we can make a page of
links for beginners", "pull requests with translations are welcome", "would be a good
bounty". Offering to do it is adding value first. Said to the owner it is the owner's
already (``addressed_you``).
"""

from __future__ import annotations

from collections.abc import Iterable

from assistant.openings import Candidate, Detector, Observation, quote
from assistant_openings.conversation import is_bot_command, stance

__all__ = ["Request"]


class Request(Detector):
    """Proposes a notable member's request for help, contributions or testers."""

    kind = "request"

    def on_line(self, obs: Observation) -> Iterable[Candidate]:
        """Propose a notable member's request to the room (or in their exchange)."""
        line = obs.line
        if line.notable is None or "invites" not in line.analysis.acts:
            return
        if is_bot_command(line.text):
            return
        room = self.ctx.room
        if any(room.is_owner_nick(line.network, n) for n in line.analysis.addressees):
            return
        where = stance(room, line, self.ctx.settings.conversation_window)
        if line.analysis.addressees and where.role == "answering":
            return  # "@bob please add that to the docs": bob's task, not an open request
        yield self.about(
            line,
            reason=f"asked for help or contributions, {where.describe()}",
            angle=f"{line.nick} would welcome help: {quote(line.text)} — if you can do it, "
            "offer to (a concrete offer, nothing wanted in return)",
            relevance=0.95 if where.role != "answering" else 0.85,
        )
