"""A notable member sharing their own work: their article, release, docs, a first-person report.

The owner's move is specific feedback once they have read it, so the opening comes
``feedback_wait`` seconds after the share, not at once. A link a helper gives one member
in answer to their question is routine support, not their news: only a share to the room,
or one worded as the notable's own ("my article", "I wrote"), counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from assistant.openings import Candidate, Detector, Line, Observation, ago, quote
from assistant_openings.conversation import stance

__all__ = ["SharedWork"]

_OWN = frozenset(("my", "our"))
_ADVICE = frozenset(("you", "you're", "u"))  # "if you need help"; "claim your rewards" is a title


class SharedWork(Detector):
    """Proposes a notable member's share of their own work, after time to read it."""

    kind = "shared_work"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.waiting: list[Line] = []

    def on_line(self, obs: Observation) -> Iterable[Candidate]:
        """Remember a notable member's share of their own work."""
        line = obs.line
        acts = set(line.analysis.acts)
        said = set(line.text.casefold().split())
        own = bool(_OWN & said)
        # "good things about my DTO <link>": their own thing, linked. "our" is the project's
        # docs and site, which a helper links to whoever asks.
        linked_own = "my" in said and bool(line.analysis.links)
        if line.notable is None or not (acts & {"share_own_work", "work_news"} or linked_own):
            return ()
        if _ADVICE & said and not own:
            return ()  # "check out the docs if you need help": a pointer, not their news
        where = stance(self.ctx.room, line, self.ctx.settings.conversation_window)
        # Inside an exchange only a link to their own thing counts: "I'm working on the
        # docs, can you help me?" asks for help; "said good things about my post <link>" shares.
        if where.role == "answering" and not (own and line.analysis.links):
            return ()
        self.waiting.append(line)
        return ()

    def on_tick(self, now: datetime) -> Iterable[Candidate]:
        """Propose the shares whose reading time has passed."""
        wait = timedelta(seconds=self.ctx.settings.feedback_wait)
        due = [line for line in self.waiting if now - line.at >= wait]
        self.waiting = [line for line in self.waiting if now - line.at < wait]
        for line in due:
            link = line.analysis.links[0] if line.analysis.links else ""
            what = f" ({link})" if link else ""
            yield self.about(
                line,
                reason=f"shared their own work{what} {ago(line.at, now)}",
                angle=f"{line.nick} shared their work{what} {ago(line.at, now)}: "
                f"{quote(line.text)} — read it and reply with one specific thing you liked "
                "or learned",
                relevance=0.9 if link else 0.75,
            )
