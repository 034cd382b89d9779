"""The openings' parts of the dashboard: a watched member's relationship, an opening's outcome.

The dashboard (``presence web``, and ``presence run``'s) asks this module through
``OpeningsPlugin.dashboard``: :func:`person_panel` for the Relationship section of a watched
member's page, :func:`record_outcome` for the Now page's Taken and Dismiss buttons. Both
read the plugin's own tables, which exist once the plugin has run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from assistant import Database, OpeningsSettings, Plugin, Relationship, Settings
from assistant.config import plugin_table
from assistant.openings import STAGES
from assistant.storage.schema import table_exists
from assistant_openings.ledger import Ledger, LedgerLine
from assistant_openings.store import OpeningsStore

__all__ = ["EXCHANGES_SHOWN", "Bond", "person_panel", "record_outcome"]

EXCHANGES_SHOWN = 10


@dataclass(frozen=True)
class Bond:
    """The owner's relationship with one watched member, as ``presence relationship`` tells it."""

    relationship: Relationship
    explained: list[str]
    """:meth:`Relationship.explain`'s lines: the stage, the counts, the verdict last."""
    recent: list[LedgerLine]
    """The latest exchanges, newest first."""
    stages: tuple[str, ...] = STAGES


async def _has(db: Database, table: str) -> bool:
    return bool(await db.run_in_thread(lambda conn: table_exists(conn, table)))


async def person_panel(db: Database, settings: Settings, name: str) -> Bond:
    """The ledger of the watched member the owner calls ``name`` (empty before any exchange,
    or before the openings plugin made its tables), counted and explained."""
    limits = plugin_table(settings, "openings", OpeningsSettings).pacing
    exchanges: list[LedgerLine] = []
    if await _has(db, "openings_exchanges"):
        exchanges = (await OpeningsStore(db).exchanges()).get(name, [])
    relationship = Ledger(name, exchanges).relationship(limits)
    recent = list(reversed(exchanges[-EXCHANGES_SHOWN:]))
    return Bond(relationship, relationship.explain(), recent)


async def record_outcome(
    db: Database, plugin: Plugin | None, opening_id: int, outcome: str
) -> bool:
    """Mark opening ``opening_id`` taken or dismissed; False when none such is pending.

    A dismissal goes through the running plugin when there is one (``plugin``: what
    ``!dismiss ID`` does, so its engine stops following the opening); otherwise, and for
    "taken", the outcome is written to the openings' table as the engine writes it.
    """
    from assistant_openings import OpeningsPlugin

    if outcome == "dismissed" and isinstance(plugin, OpeningsPlugin):
        return await plugin.runtime.dismiss(opening_id)
    if not await _has(db, "openings_found"):
        return False
    return await OpeningsStore(db).set_outcome(opening_id, outcome, datetime.now(UTC))
