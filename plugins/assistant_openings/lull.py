"""A lull after a notable member's line in a quiet channel: a natural moment to pick it up."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from assistant.openings import Candidate, Detector, Line, Observation, ago, quote

__all__ = ["QuietAfterNotable"]


class QuietAfterNotable(Detector):
    """Waits ``lull_wait`` seconds after a notable member's line; proposes it if nobody spoke."""

    kind = "lull"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.last: dict[tuple[str, str], Line] = {}

    def on_line(self, obs: Observation) -> Iterable[Candidate]:
        """Remember a notable line said to the room (any other line ends the wait)."""
        line = obs.line
        key = (line.network, line.channel)
        room = self.ctx.room
        to_others = [n for n in line.analysis.addressees if not room.is_owner_nick(line.network, n)]
        if line.notable is not None and len(line.text.split()) >= 4 and not to_others:
            self.last[key] = line
        else:
            self.last.pop(key, None)
        return ()

    def on_tick(self, now: datetime) -> Iterable[Candidate]:
        """Propose the lines followed by ``lull_wait`` seconds of silence in a quiet channel."""
        wait = timedelta(seconds=self.ctx.settings.lull_wait)
        for key, line in list(self.last.items()):
            if now - line.at < wait or line.notable is None:
                continue
            del self.last[key]
            before = self.ctx.room.count_since(
                line.network, line.channel, line.at - timedelta(minutes=10)
            )
            if before > self.ctx.settings.quiet_channel:
                continue
            yield self.about(
                line,
                reason=f"quiet since their line {ago(line.at, now)}",
                angle=f"{line.channel} has been quiet since {line.nick} said {quote(line.text)} "
                f"{ago(line.at, now)} — pick up their point",
                relevance=0.5,
            )
