"""Session summaries for the dashboard, composed once and kept while the session stays the same.

Composing a summary reads every line of the session and works out its discussions: a
second or more for a long chat. The dashboard keeps each composed and rendered summary
under the session's id, its end time, and the count and newest id of its messages, so a
repeated view is a dictionary look-up while a session under way (whose lines keep coming)
is composed again once it has new lines. A finished session's first view is read from the
summary files Presence wrote after the chat (``[summaries] folder``: the JSON one for the
summary, the HTML one for the page) when there are some for the same session and end
time; else it is composed.

Nothing here runs on the event loop: reads go through the database thread, composing,
file reading and rendering through worker threads; two views of the same session at once
share one piece of work.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from assistant.config import Settings
from assistant.storage.database import Database
from assistant.summaries.compose import SessionNotFound, compose_summary
from assistant.summaries.deliver import folder_for
from assistant.summaries.html import render_html
from assistant.summaries.json import SchemaError, load_summary
from assistant.summaries.model import Summary

__all__ = ["CACHED", "Shown", "SummaryCache", "summary_body"]

log = logging.getLogger(__name__)

CACHED = 64
"""Rendered summaries kept (the most recently viewed)."""

_Key = tuple[int, float | None, int, int]

# What a summary depends on that changes: the end, and the lines so far (count and newest).
_VERSION = """
SELECT s.ended_at, count(m.id), coalesce(max(m.id), 0)
FROM sessions AS s
LEFT JOIN messages AS m ON m.channel_id = s.channel_id
    AND m.at >= s.started_at AND m.at <= coalesce(s.ended_at, 1e18)
WHERE s.id = ?
GROUP BY s.id
"""


@dataclass(frozen=True)
class Shown:
    """A session's summary as the session page shows it: text only, so that keeping many
    is cheap (a composed summary is tens of thousands of objects the garbage collector
    would walk again and again)."""

    title: str
    attendees: tuple[tuple[int, str], ...]
    """Who came, notable members first: person id and label, for links to their pages."""
    body: Markup
    """The inside of the HTML summary's ``<body>``."""
    source: str
    """``"composed"`` or ``"file"`` (read from the summaries folder)."""

    @classmethod
    def of(cls, summary: Summary, html: str, source: str) -> Shown:
        """What the page shows of ``summary``, whose HTML page is ``html``."""
        attendees = tuple((row.person_id, row.label) for row in summary.attendance)
        return cls(summary.session.title, attendees, summary_body(html), source)


def summary_body(page: str) -> Markup:
    """The inside of the HTML summary's ``<body>`` (its own styles stay out: the dashboard's
    style sheet dresses it). Safe as it stands: the summary template escapes every value."""
    inside = page.split("<body>", 1)[-1].rsplit("</body>", 1)[0]
    return Markup(inside)


def _version(conn: sqlite3.Connection, session_id: int) -> _Key:
    row = conn.execute(_VERSION, (session_id,)).fetchone()
    if row is None:
        raise SessionNotFound(f"no session {session_id}")
    ended = None if row[0] is None else float(row[0])
    return session_id, ended, int(row[1]), int(row[2])


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


def _rendered(summary: Summary) -> Shown:
    return Shown.of(summary, render_html(summary), "composed")


class SummaryCache:
    """Rendered session summaries by session and version, the :data:`CACHED` latest viewed."""

    def __init__(self, db: Database, settings: Settings, size: int = CACHED) -> None:
        self.db = db
        self.settings = settings
        self.size = size
        self._done: OrderedDict[_Key, Shown] = OrderedDict()
        self._working: dict[_Key, asyncio.Task[Shown]] = {}

    async def get(self, session_id: int) -> Shown:
        """Session ``session_id``'s summary as it stands.

        Raises:
            SessionNotFound: there is no such session.
        """
        key = await self.db.run_in_thread(lambda conn: _version(conn, session_id))
        shown = self._done.get(key)
        if shown is not None:
            self._done.move_to_end(key)
            return shown
        task = self._working.get(key)
        if task is None:
            task = asyncio.create_task(self._make(key), name=f"web:summary:{session_id}")
            self._working[key] = task
            task.add_done_callback(lambda _: self._working.pop(key, None))
        return await asyncio.shield(task)

    async def _make(self, key: _Key) -> Shown:
        session_id, ended = key[0], key[1]
        shown = None
        if ended is not None:
            folder = folder_for(self.settings)
            shown = await asyncio.to_thread(_from_file, folder, session_id, ended)
        if shown is None:
            summary = await compose_summary(self.db, session_id, self.settings)
            shown = await asyncio.to_thread(_rendered, summary)
        for old in [k for k in self._done if k[0] == session_id]:
            del self._done[old]  # an older version of the same session
        self._done[key] = shown
        while len(self._done) > self.size:
            self._done.popitem(last=False)
        return shown
