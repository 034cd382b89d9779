"""The notability ranking the Now and People pages share, worked out in the background."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from assistant.config import Settings
from assistant.people.directory import Activity, identity_activity, people_order
from assistant.people.notability import Notability, rank_people
from assistant.storage.database import Database

__all__ = ["RANKING_FRESH", "Ranked", "Ranking"]

RANKING_FRESH = 60.0
"""Seconds a notability ranking is used before it is worked out again in the background."""


@dataclass(frozen=True)
class Ranked:
    """Everyone's notability, highest first, and the same by person; when it was worked out."""

    ranked: list[Notability]
    by_person: dict[int, Notability]
    order: dict[int, int]
    """Each person's place in the People list among equal scores (most recently active
    first, as :func:`~assistant.people.directory.list_people` orders them)."""
    counted: Activity
    """Everyone's lines, counted with the ranking (pages add what was said since)."""
    at: float
    """When it was begun (``time.monotonic``)."""
    taken: datetime
    """The same, as a UTC time."""


class Ranking:
    """Everyone's notability for the Now and People pages, and the People list's order
    (:func:`~assistant.people.directory.people_order`), kept for :data:`RANKING_FRESH`.

    Ranking scores every person from the whole history (replies, mentions, sessions), a
    second or more on a big database, and it changes slowly; so the pages use the latest
    ranking and a stale one is replaced in the background. The work runs in a worker
    thread on a read-only connection of its own, so neither the event loop nor the
    database thread the other pages (and the recorder) use waits for it. Only the first
    page after start-up waits.
    """

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self._latest: Ranked | None = None
        self._task: asyncio.Task[Ranked] | None = None

    def _work(self) -> Ranked:
        settings = self.settings
        watchlist = [(m.name, m.priority, m.identities) for m in settings.watchlist]
        began, taken = time.monotonic(), datetime.now(UTC)
        conn = sqlite3.connect(f"{self.db.path.as_uri()}?mode=ro", uri=True)
        try:
            conn.row_factory = sqlite3.Row
            ranked = rank_people(conn, watchlist=watchlist, exclude=settings.owner.identities)
            order = {person: place for place, person in enumerate(people_order(conn))}
            counted = identity_activity(conn)
        finally:
            conn.close()
        return Ranked(ranked, {n.person_id: n for n in ranked}, order, counted, began, taken)

    async def _refresh(self) -> Ranked:
        await self.db.flush()  # what was recorded so far is counted
        self._latest = await asyncio.to_thread(self._work)
        return self._latest

    async def get(self) -> Ranked:
        """The latest ranking (waits only when there is none yet)."""
        latest = self._latest
        stale = latest is None or time.monotonic() - latest.at > RANKING_FRESH
        if stale and (self._task is None or self._task.done()):
            self._task = asyncio.create_task(self._refresh(), name="web:ranking")
        if latest is None:
            assert self._task is not None
            return await asyncio.shield(self._task)
        return latest
