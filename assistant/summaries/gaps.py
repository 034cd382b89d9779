"""The line a summary gets when a plugin fell behind during its session and skipped events.

A plugin that could not keep up (a flood, a fast replay) is not given some chat events;
what it adds to the summary, or noticed live (openings), may then be incomplete, and the
reader should know. The plugin host keeps the account (:mod:`assistant.delivery`); this
only words it for one session.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from assistant.summaries.model import Summary, SummarySection
from assistant.summaries.text import clock

if TYPE_CHECKING:  # the hook contract imports this package: no cycle through the host
    from assistant.delivery import Delivery

__all__ = ["GAPS_TITLE", "gaps_section", "with_gaps"]

GAPS_TITLE = "Gaps"


def gaps_section(summary: Summary, deliveries: Mapping[str, Delivery]) -> SummarySection | None:
    """One line per plugin that skipped events of this session's channel while it ran."""
    info = summary.session
    end = info.ended_at or summary.generated_at
    zone = info.zone
    lines: list[str] = []
    for name, delivery in sorted(deliveries.items()):
        gaps = delivery.gaps(info.network, info.channel, info.started_at, end)
        if not gaps:
            continue
        missed = sum(gap.missed for gap in gaps)
        events = "event" if missed == 1 else "events"
        first, last = min(g.first for g in gaps), max(g.last for g in gaps)
        lines.append(
            f"{name} could not keep up and skipped {missed:,} {events} of this channel "
            f"({clock(first, zone)}-{clock(last, zone)}); what it added may be incomplete."
        )
    return SummarySection(GAPS_TITLE, tuple(lines)) if lines else None


def with_gaps(summary: Summary, deliveries: Mapping[str, Delivery]) -> Summary:
    """``summary`` with a gaps section added at the end when any plugin fell behind."""
    section = gaps_section(summary, deliveries)
    if section is None:
        return summary
    return replace(summary, sections=(*summary.sections, section))
