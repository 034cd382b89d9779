"""A notable member sharing their own work: a link to their post, an announcement."""

from __future__ import annotations

from collections.abc import Iterable

from assistant.openings import Candidate, Detector, Observation, quote

__all__ = ["SharedWork"]


class SharedWork(Detector):
    """Proposes lines the analyzer marked as sharing one's own work."""

    kind = "shared_work"

    def on_line(self, obs: Observation) -> Iterable[Candidate]:
        """Propose a notable member's share of their own work."""
        line = obs.line
        if line.notable is None or "share_own_work" not in line.analysis.acts:
            return
        link = line.analysis.links[0] if line.analysis.links else ""
        what = f" ({link})" if link else ""
        yield self.about(
            line,
            reason="shared their own work" + what,
            angle=f"{line.nick} shared their work{what}: {quote(line.text)} — read it and "
            "reply with one specific thing you liked or learned",
            relevance=0.8 if link else 0.6,
        )
