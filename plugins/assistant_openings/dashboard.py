"""The openings' parts of the dashboard: a watched member's relationship, an opening's outcome.

The dashboard (``presence web``, and ``presence run``'s) asks this module through
``OpeningsPlugin.dashboard``: :func:`person_panel` for the Relationship section of a watched
member's page, :func:`inbox` and :func:`inbox_version` for the Now page's inbox (and its
live updates), :func:`record_outcome` for its Taken and Dismiss buttons. All read the
plugin's own tables, which exist once the plugin has run.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from assistant import Database, OpeningsSettings, Plugin, Relationship, Settings
from assistant.config import plugin_table
from assistant.openings import STAGES
from assistant.storage.schema import table_exists
from assistant_openings.ledger import Ledger, LedgerLine
from assistant_openings.store import OpeningsStore

__all__ = [
    "EXCHANGES_SHOWN",
    "Bond",
    "OpeningRow",
    "inbox",
    "inbox_version",
    "person_panel",
    "record_outcome",
]

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


@dataclass(frozen=True)
class OpeningRow:
    """A pending opening, as the Now page's inbox shows it."""

    id: int
    person_id: int
    person: str
    nick: str
    kind: str
    network: str
    channel: str
    message: str
    at: datetime
    found_at: datetime
    score: float
    reason: str
    angle: str


_PENDING = """
SELECT id, person_id, person, nick, kind, network, channel, message, at, found_at, score,
       reason, angle
FROM openings_found WHERE outcome = 'pending'
ORDER BY found_at DESC, id DESC LIMIT :limit
"""
_VERSION = (
    "SELECT coalesce(max(id), 0), count(*) FILTER (WHERE outcome = 'pending') FROM openings_found"
)


def inbox(conn: sqlite3.Connection, limit: int = 50) -> list[OpeningRow]:
    """The openings waiting for the owner, newest first (none before the plugin's tables)."""
    if not table_exists(conn, "openings_found"):
        return []
    return [
        OpeningRow(
            id=int(r["id"]),
            person_id=int(r["person_id"]),
            person=r["person"],
            nick=r["nick"],
            kind=r["kind"],
            network=r["network"],
            channel=r["channel"],
            message=r["message"],
            at=datetime.fromtimestamp(r["at"], UTC),
            found_at=datetime.fromtimestamp(r["found_at"], UTC),
            score=float(r["score"]),
            reason=r["reason"],
            angle=r["angle"],
        )
        for r in conn.execute(_PENDING, {"limit": limit})
    ]


def inbox_version(conn: sqlite3.Connection) -> tuple[int, int]:
    """What changes whenever the inbox does: the newest opening's id, how many are pending."""
    if not table_exists(conn, "openings_found"):
        return (0, 0)
    row = conn.execute(_VERSION).fetchone()
    return int(row[0]), int(row[1])
