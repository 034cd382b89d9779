"""The openings plugin's sections of a chat's summary: its openings, and relationships that moved.

Given through ``assistant_summary_sections`` from the plugin's own tables (``openings_found``
and the exchange ledger ``openings_exchanges``), so the core's summaries never read them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from assistant import Database, Summary, SummarySection
from assistant.config import PacingThresholds
from assistant_openings.ledger import Ledger, LedgerLine

__all__ = ["OUTCOMES", "openings_sections"]

OUTCOMES = {"pending": "surfaced", "taken": "taken", "missed": "missed", "dismissed": "missed"}
"""How a stored outcome reads in a summary: a dismissed opening counts as missed."""

_FOUND = (
    "SELECT at, person, kind, reason, outcome FROM openings_found "
    "WHERE owner = ? AND network = ? AND channel = ? AND at >= ? AND at <= ? ORDER BY at, id"
)
_PEOPLE = "SELECT DISTINCT person FROM openings_exchanges WHERE owner = ? AND at >= ? AND at <= ?"
_LEDGER = (
    "SELECT at, to_owner, reply, initiation, channel FROM openings_exchanges "
    "WHERE owner = ? AND person = ? AND at <= ? ORDER BY at"
)


def _clock(at: datetime, summary: Summary) -> str:
    return at.astimezone(summary.session.zone).strftime("%H:%M")


def _under_way(summary: Summary, at: datetime) -> str:
    """The headline of the weightiest discussion under way at ``at`` (empty: none was)."""
    around = [d for d in summary.discussions if d.started_at <= at <= d.ended_at]
    return max(around, key=lambda d: d.lines).headline if around else ""


def _stage(rows: Sequence[Any], person: str, pacing: PacingThresholds) -> str:
    ledger = Ledger(person)
    for row in rows:
        ledger.add(
            LedgerLine(
                at=datetime.fromtimestamp(float(row[0]), UTC),
                to_owner=bool(row[1]),
                reply=bool(row[2]),
                initiation=bool(row[3]),
                channel=str(row[4]),
            )
        )
    return ledger.relationship(pacing).stage


def _openings(rows: Sequence[Any], summary: Summary) -> SummarySection:
    items = []
    outcomes = []
    for at_value, person, kind, reason, stored in rows:
        at = datetime.fromtimestamp(float(at_value), UTC)
        outcome = OUTCOMES.get(str(stored), str(stored))
        outcomes.append(outcome)
        discussion = _under_way(summary, at)
        items.append(
            f"{_clock(at, summary)} {outcome} — {person} ({kind}): {reason}"
            + (f" — in {discussion}" if discussion else "")
        )
    if not items:
        return SummarySection("Openings", text="No openings were surfaced.")
    taken = outcomes.count("taken")
    text = f"You took {taken} of them." if taken else "You took none of the openings."
    missed, still_open = outcomes.count("missed"), outcomes.count("surfaced")
    if missed or still_open:
        text += f" {missed} missed, {still_open} still open."
    return SummarySection("Openings", tuple(items), text=text)


async def openings_sections(
    db: Database, summary: Summary, pacing: PacingThresholds, owner: str
) -> list[SummarySection]:
    """The "Openings" section of ``summary``'s chat, and "Relationships" when any moved.

    Openings are those found in the session's channel between its start and end (all of
    them since its start while it runs), each with what became of it and the discussion
    under way when it was found. A relationship moved when the owner exchanged lines with
    the person during the session: its stage before the session and after it. Both are
    ``owner``'s (the history key): another owner's sharing the database are not told.
    """
    info = summary.session
    start = info.started_at.timestamp()
    end = info.ended_at.timestamp() if info.ended_at is not None else float("inf")
    found = await db.fetchall(_FOUND, (owner, info.network, info.channel, start, end))
    sections = [_openings(found, summary)]
    changes = []
    for (person,) in await db.fetchall(_PEOPLE, (owner, start, end)):
        rows = await db.fetchall(_LEDGER, (owner, person, end))
        before = [row for row in rows if float(row[0]) < start]
        in_session = len(rows) - len(before)
        after = _stage(rows, str(person), pacing)
        was = _stage(before, str(person), pacing)
        note = f"{in_session} exchange{'s' if in_session != 1 else ''} this session"
        changes.append(f"{person}: {was} → {after} ({note})")
    if changes:
        sections.append(SummarySection("Relationships", tuple(changes)))
    return sections
