"""The notability ranking the Now and People pages share, worked out in the background."""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime

from assistant.config import IdentityRef, Settings
from assistant.people.directory import Activity, identity_activity, people_order
from assistant.people.notability import Notability, rank_people
from assistant.storage.database import Database
from assistant.web.source import Source, reading, source_of

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
    listing: tuple[int, ...]
    """Everyone in the People list's order: notability, then :attr:`order`."""
    notable: int
    """How many at the head of :attr:`listing` have a notability score (people who came
    since the ranking go right after them)."""
    at: float
    """When it was begun (``time.monotonic``)."""
    taken: datetime
    """The same, as a UTC time."""


_Work = tuple[list[Notability], list[int], Activity, list[int], int]


def _rank(
    source: Source,
    watchlist: Sequence[tuple[str, int, Sequence[IdentityRef]]],
    exclude: Sequence[IdentityRef],
) -> _Work:
    """Rank everyone, order the People list and count lines (in the ranking process)."""
    with reading(source) as conn:
        ranked = rank_people(conn, watchlist=watchlist, exclude=exclude)
        order = people_order(conn)
        places = {person: place for place, person in enumerate(order)}
        scores = {n.person_id: n.score for n in ranked}
        # sorted once here, not by each People page (5,000 keys were most of its own time)
        listing = sorted(
            places.keys() | scores.keys(), key=lambda p: (-scores.get(p, 0.0), places.get(p, -p))
        )
        notable = sum(1 for person in listing if scores.get(person, 0.0) > 0)
        return ranked, order, identity_activity(conn), listing, notable


class Ranking:
    """Everyone's notability for the Now and People pages, and the People list's order
    (:func:`~assistant.people.directory.people_order`), kept for :data:`RANKING_FRESH`.

    Ranking scores every person from the whole history (replies, mentions, sessions):
    seconds of Python on a big database, and it changes slowly; so the pages use the latest
    ranking and a stale one is replaced in the background. The work runs in a process of
    its own (started at the first page, spawned, kept until :meth:`close`) on a read-only
    connection of its own (:func:`~assistant.web.source.reading`, SQLite or PostgreSQL):
    a worker thread would share the interpreter lock with the event loop and slow every
    page served meanwhile (and, under ``presence run``, the bot). Neither the
    event loop nor the database thread waits for it; only the first page after start-up
    does.
    """

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self._latest: Ranked | None = None
        self._task: asyncio.Task[Ranked] | None = None
        self._pool: ProcessPoolExecutor | None = None
        self._generation = 0

    async def _refresh(self) -> Ranked:
        generation = self._generation
        await self.db.flush()  # what was recorded so far is counted
        settings = self.settings
        watchlist = [(m.name, m.priority, list(m.identities)) for m in settings.watchlist]
        began, taken = time.monotonic(), datetime.now(UTC)
        if self._pool is None:
            self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        source, exclude = source_of(self.db, settings), list(settings.owner.identities)
        loop = asyncio.get_running_loop()
        try:
            ranked, order, counted, listing, notable = await loop.run_in_executor(
                self._pool, _rank, source, watchlist, exclude
            )
        except BrokenProcessPool:
            self._pool = None  # the process died (killed?): a new one next time
            raise
        places = {person: place for place, person in enumerate(order)}
        by_person = {n.person_id: n for n in ranked}
        found = Ranked(ranked, by_person, places, counted, tuple(listing), notable, began, taken)
        if generation == self._generation:  # else people changed while it was worked out
            self._latest = found
        return found

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

    def invalidate(self) -> None:
        """Forget the ranking: people were merged, split or forgotten since it was taken.

        The next page waits for a new one (a ranking begun before now is not kept), so no
        page names a forgotten person or a merged-away one.
        """
        self._generation += 1
        self._latest = None
        self._task = None

    def close(self) -> None:
        """Stop the ranking process (idempotent); a later page starts another."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
