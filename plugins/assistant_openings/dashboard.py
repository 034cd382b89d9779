"""The openings' parts of the dashboard: a watched member's relationship, an opening's outcome.

The dashboard (``presence web``, and ``presence run``'s) asks this module through
``OpeningsPlugin.dashboard``: :func:`person_panel` for the Relationship section of a watched
member's page, :func:`inbox` and :func:`inbox_version` for the Now page's inbox (and its
live updates), :func:`record_outcome` for its Taken and Dismiss buttons. All read the
plugin's own tables, which exist once the plugin has run, and only the configured owner's
rows of them (``[owner] key``, or name): another instance's owner may share the database.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from assistant import Database, OpeningsSettings, Plugin, Relationship, Settings
from assistant.config import plugin_table
from assistant.openings import STAGES
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


_OWNED = "SELECT 1 FROM schema_migrations WHERE namespace = ? AND version = 2"


def _owned(conn: sqlite3.Connection) -> bool:
    """Whether the plugin's tables are there and know their owners (its version 2)."""
    return conn.execute(_OWNED, ("plugin:openings",)).fetchone() is not None


async def _has_tables(db: Database) -> bool:
    return bool(await db.run_in_thread(_owned))


async def person_panel(db: Database, settings: Settings, name: str) -> Bond:
    """The ledger of the watched member the owner calls ``name`` (empty before any exchange,
    or before the openings plugin made its tables), counted and explained."""
    limits = plugin_table(settings, "openings", OpeningsSettings).pacing
    exchanges: list[LedgerLine] = []
    if await _has_tables(db):
        store = OpeningsStore(db, settings.owner.history_key)
        exchanges = (await store.exchanges()).get(name, [])
    relationship = Ledger(name, exchanges).relationship(limits)
    recent = list(reversed(exchanges[-EXCHANGES_SHOWN:]))
    return Bond(relationship, relationship.explain(), recent)


async def record_outcome(
    db: Database, settings: Settings, plugin: Plugin | None, opening_id: int, outcome: str
) -> bool:
    """Mark opening ``opening_id`` taken or dismissed; False when none such is pending.

    A dismissal goes through the running plugin when there is one (``plugin``: what
    ``!dismiss ID`` does, so its engine stops following the opening); otherwise, and for
    "taken", the outcome is written to the openings' table as the engine writes it.
    """
    from assistant_openings import OpeningsPlugin

    if outcome == "dismissed" and isinstance(plugin, OpeningsPlugin):
        return await plugin.runtime.dismiss(opening_id)
    if not await _has_tables(db):
        return False
    store = OpeningsStore(db, settings.owner.history_key)
    return await store.set_outcome(opening_id, outcome, datetime.now(UTC))


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
FROM openings_found WHERE owner = :owner AND outcome = 'pending'
ORDER BY found_at DESC, id DESC LIMIT :limit
"""
_VERSION = (
    "SELECT coalesce(max(id), 0), count(*) FILTER (WHERE outcome = 'pending') FROM openings_found "
    "WHERE owner = :owner"
)


def inbox(conn: sqlite3.Connection, settings: Settings, limit: int = 50) -> list[OpeningRow]:
    """The openings waiting for the owner, newest first (none before the plugin's tables)."""
    if not _owned(conn):
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
        for r in conn.execute(_PENDING, {"owner": settings.owner.history_key, "limit": limit})
    ]


def inbox_version(conn: sqlite3.Connection, settings: Settings) -> tuple[int, int]:
    """What changes whenever the inbox does: the owner's newest opening's id, how many pending."""
    if not _owned(conn):
        return (0, 0)
    row = conn.execute(_VERSION, {"owner": settings.owner.history_key}).fetchone()
    return int(row[0]), int(row[1])
