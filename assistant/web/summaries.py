"""Session summaries for the dashboard, composed once and kept while the session stays the same.

Composing a summary reads every line of the session and works out its discussions: a
second or more for a long chat. The dashboard keeps each rendered summary under the
session's id and :func:`~assistant.web.prepared.version` (a digest of what the summary is
built from), in memory for the latest viewed and on disk for every finished session
(:class:`~assistant.web.prepared.SummaryStore`); a session under way (whose lines keep
coming) is composed again once it has new lines, a finished one once something it is built
from changes (an edit, a late analysis, a merge). While the dashboard is served, a
background pass (:meth:`SummaryCache.start`) keeps a summary of every finished session,
composing those that have none in a process of its own, so that a session's first view is
a file read. A finished session's summary that is not kept yet is read from the summary
files Presence wrote after the chat (``[summaries] folder``: the JSON one for the summary,
the HTML one for the page) when there are some for the same session and end time; else it
is composed.

Nothing here runs on the event loop: reads go through the database thread, composing,
file reading and rendering through worker threads (or the background process); two views
of the same session at once share one piece of work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from assistant.config import Settings
from assistant.storage.database import Database
from assistant.storage.writer import StorageError
from assistant.summaries.compose import SessionNotFound, compose_summary
from assistant.summaries.deliver import folder_for
from assistant.summaries.html import render_html
from assistant.summaries.json import SchemaError, load_summary
from assistant.summaries.model import Summary
from assistant.web.prepared import (
    Shown,
    SummaryStore,
    compose_in_process,
    lower_priority,
    store_path,
    summary_body,
    version,
    versions_in_process,
)
from assistant.web.source import Source, source_of

__all__ = ["CACHED", "PREPARE_EVERY", "Shown", "SummaryCache", "summary_body"]

log = logging.getLogger(__name__)

CACHED = 64
"""Rendered summaries kept in memory (the most recently viewed)."""
PREPARE_EVERY = 60.0
"""Seconds between the background passes that keep a summary of each finished session."""

_Key = tuple[int, str]
T = TypeVar("T")
_FINISHED = "SELECT id FROM sessions WHERE ended_at IS NOT NULL ORDER BY ended_at DESC, id DESC"


def _from_file(folder: Path, session_id: int, ended: float) -> Shown | None:
    """The summary files written after session ``session_id`` ended at ``ended``, if any.

    The JSON file gives the summary (the page's links to who came); the HTML file, when it
    was written too, the body as it stands (drawing the timeline picture again is most of
    the rendering time); else it is rendered from the JSON.
    """
    try:
        found = sorted(folder.glob(f"*_s{session_id}.json"))
    except OSError:
        return None
    for path in found:
        try:
            summary = load_summary(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, SchemaError) as exc:
            log.warning("web: summary file %s not used: %s", path.name, exc)
            continue
        info = summary.session
        if info.id != session_id or info.ended_at is None:
            continue
        if abs(info.ended_at.timestamp() - ended) > 0.001:
            continue  # another database's session of the same id, or an older end
        page = path.with_name(path.name.removesuffix(".json") + ".html")
        try:
            html = page.read_text(encoding="utf-8")
        except OSError:
            html = render_html(summary)
        return Shown.of(summary, html, "file")
    return None


def _store_folder(db: Database, settings: Settings) -> Path:
    """Where the summaries of ``db`` are kept: next to the SQLite file, or for a PostgreSQL
    database (which has none) next to the config file."""
    if db.backend.name == "sqlite":
        return store_path(db.path)
    return settings.resolve(Path(f"presence-{db.backend.name}.web-summaries"))


def _rendered(summary: Summary) -> Shown:
    return Shown.of(summary, render_html(summary), "composed")


class SummaryCache:
    """Rendered session summaries by session and version: the :data:`CACHED` latest viewed
    in memory, every finished session's in the :class:`SummaryStore` next to the database."""

    def __init__(self, db: Database, settings: Settings, size: int = CACHED) -> None:
        self.db = db
        self.settings = settings
        self.size = size
        try:
            self.source: Source | None = source_of(db, settings)
        except StorageError:
            self.source = None  # a database [storage] does not name: composed at each view
        self.store: SummaryStore | None = None
        if self.source is not None:
            self.store = SummaryStore(_store_folder(db, settings), settings)
        self._done: OrderedDict[_Key, Shown] = OrderedDict()
        self._working: dict[_Key, asyncio.Task[Shown]] = {}
        self._pool: ProcessPoolExecutor | None = None
        self._preparing: asyncio.Task[None] | None = None

    async def get(self, session_id: int) -> Shown:
        """Session ``session_id``'s summary as it stands.

        Raises:
            SessionNotFound: there is no such session.
        """
        ended, current = await self.db.run_in_thread(lambda conn: version(conn, session_id))
        key = (session_id, current)
        shown = self._done.get(key)
        if shown is not None:
            self._done.move_to_end(key)
            return shown
        shown = await self._shared(key, ended, ahead=False)
        for old in [k for k in self._done if k[0] == session_id]:
            del self._done[old]  # an older version of the same session
        self._done[key] = shown
        while len(self._done) > self.size:
            self._done.popitem(last=False)
        return shown

    async def _shared(self, key: _Key, ended: float | None, *, ahead: bool) -> Shown:
        task = self._working.get(key)
        if task is None:
            task = asyncio.create_task(
                self._make(key, ended, ahead=ahead), name=f"web:summary:{key[0]}"
            )
            self._working[key] = task
            task.add_done_callback(lambda _: self._working.pop(key, None))
        return await asyncio.shield(task)

    async def _make(self, key: _Key, ended: float | None, *, ahead: bool) -> Shown:
        session_id, current = key
        store = self.store
        kept = None
        if ended is not None and store is not None:
            kept = await asyncio.to_thread(store.load, session_id, current)
            if kept is not None and kept.source == "file":
                return kept
        shown = None
        if ended is not None:
            # The files presence run writes after the chat hold the plugins' sections too:
            # they replace a summary composed here before they were written.
            folder = folder_for(self.settings)
            shown = await asyncio.to_thread(_from_file, folder, session_id, ended)
        if shown is None and kept is not None:
            return kept
        if shown is None and ahead and store is not None:
            # in the background process: composed from one snapshot, kept under its version
            ended, current, shown = await self._compose_aside(session_id)
        elif shown is None:
            summary = await compose_summary(self.db, session_id, self.settings)
            shown = await asyncio.to_thread(_rendered, summary)
        if ended is not None and store is not None:
            # Composing may have read lines newer than ``current``: kept under the older
            # version, it is composed again at the next view, never shown stale.
            await asyncio.to_thread(store.save, session_id, current, shown)
        return shown

    def _process(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=lower_priority,
            )
        return self._pool

    async def _aside(self, work: Callable[..., T], *args: Any) -> T:
        """``work(*args)`` in the background process."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._process(), work, *args)
        except BrokenProcessPool:
            self._pool = None  # the process died (killed?): a new one next time
            raise

    async def _compose_aside(self, session_id: int) -> tuple[float | None, str, Shown]:
        assert self.source is not None  # there is a store
        return await self._aside(compose_in_process, self.source, session_id, self.settings)

    async def prepare(self) -> int:
        """Keep a summary of every finished session, the latest ended first: drop those
        whose session changed (an edit, a late analysis, a person forgotten or merged),
        then make those missing (from the summary files, else composed in the background
        process).

        Returns:
            How many summaries were made.
        """
        store = self.store
        if store is None:
            return 0
        await self.db.flush()  # what was recorded so far is in the summaries
        finished = [int(row[0]) for row in await self.db.fetchall(_FINISHED)]
        kept = await asyncio.to_thread(store.kept)
        if kept:
            assert self.source is not None  # there is a store
            now = await self._aside(versions_in_process, self.source, sorted(kept))
            for session_id, latest in now.items():
                if latest != kept[session_id]:
                    await asyncio.to_thread(store.drop, session_id)
                    del kept[session_id]
        made = 0
        for session_id in finished:
            if session_id in kept:
                continue
            try:
                read = partial(version, session_id=session_id)
                ended, current = await self.db.run_in_thread(read)
                if ended is not None:
                    await self._shared((session_id, current), ended, ahead=True)
                    made += 1
            except SessionNotFound:
                continue  # deleted meanwhile
            except Exception:
                # one session that cannot be composed must not hold up the older ones
                log.warning("web: the summary of session %d not kept", session_id, exc_info=True)
        return made

    def start(self) -> None:
        """Run :meth:`prepare` now and every :data:`PREPARE_EVERY` seconds until :meth:`close`
        (idempotent; a database that ``[storage]`` does not name has no store)."""
        if self._preparing is None and self.store is not None:
            self._preparing = asyncio.create_task(self._keep_prepared(), name="web:summaries")

    async def _keep_prepared(self) -> None:
        while True:
            try:
                made = await self.prepare()
                if made:  # not at INFO: it would land under the demo's last line
                    log.debug("web: kept the summaries of %d more session(s)", made)
            except Exception:
                log.exception("web: keeping session summaries failed; trying again later")
            await asyncio.sleep(PREPARE_EVERY)

    def close(self) -> None:
        """Stop the background passes and their process (idempotent)."""
        task, self._preparing = self._preparing, None
        if task is not None:
            task.cancel()
        pool, self._pool = self._pool, None
        if pool is not None:
            with contextlib.suppress(Exception):
                pool.shutdown(wait=False, cancel_futures=True)
