"""Session summaries kept on disk for the dashboard, and composed ahead of the first view.

Composing a summary (working out the discussions, drawing the timeline picture) takes a
second or more for a busy chat, too long for a page. So the dashboard keeps each finished
session's rendered summary in a folder of its own next to the database
(``presence.sqlite3.web-summaries``; for PostgreSQL ``presence-postgresql.web-summaries``
next to the config file; mode 0700: it holds chat text), and a background pass
composes the finished sessions that have none yet, in a process of its own at a lower
priority (so neither the pages nor the bot share the interpreter lock with it).

Each kept summary's file is named with the session's :func:`version`: a digest of
everything the summary is built from that can change after the session ends (its row, its
lines with their edits, deletions, analyses and who said them, the stays in the channel
meanwhile, its attendance). A view whose version differs composes the summary again. The
name also holds a digest of the configuration and the release (a changed watchlist or time
zone changes what a summary shows), so a new configuration starts from an empty store.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import logging
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup

from assistant.config import Settings
from assistant.summaries.compose import SessionNotFound, build_summary, read_session
from assistant.summaries.html import render_html
from assistant.summaries.model import Summary
from assistant.web.source import Source, reading

__all__ = [
    "Shown",
    "SummaryStore",
    "compose_in_process",
    "lower_priority",
    "store_path",
    "summary_body",
    "version",
    "versions_in_process",
]

log = logging.getLogger(__name__)

_FORMAT = 1
"""Bumped when what a kept summary holds changes."""

_SESSION = (
    "SELECT channel_id, started_at, ended_at, status, name, timezone FROM sessions WHERE id = ?"
)
# Aggregates, so that SQLite does the reading (a Python loop over the rows took ten times
# longer): who said each line is in the sum of id * person, a line's text in the digest.
_LINES = """
SELECT count(*), coalesce(max(id), 0), total(edited), total(deleted), total(id * person_id),
       count(analyzed_at), total(analyzed_at), coalesce(group_concat(text, char(31)), '')
FROM (SELECT m.id, m.edited, m.deleted, m.text, i.person_id, a.analyzed_at
      FROM messages AS m JOIN identities AS i ON i.id = m.identity_id
      LEFT JOIN message_analyses AS a ON a.message_id = m.id
      WHERE m.channel_id = ? AND m.at >= ? AND m.at <= ?
      ORDER BY m.at, m.id)
"""
# The same on PostgreSQL, which has neither total() nor group_concat(); its figures differ
# in type (a numeric sum), so a version is only ever compared with one of the same engine.
_LINES_PG = """
SELECT count(*), coalesce(max(id), 0), coalesce(sum(edited), 0), coalesce(sum(deleted), 0),
       coalesce(sum(id * person_id), 0), count(analyzed_at), coalesce(sum(analyzed_at), 0),
       coalesce(string_agg(text, chr(31) ORDER BY at, id), '')
FROM (SELECT m.id, m.at, m.edited, m.deleted, m.text, i.person_id, a.analyzed_at
      FROM messages AS m JOIN identities AS i ON i.id = m.identity_id
      LEFT JOIN message_analyses AS a ON a.message_id = m.id
      WHERE m.channel_id = ? AND m.at >= ? AND m.at <= ?) AS lines
"""
_STAYS = """
SELECT count(*), total(p.id * i.person_id), total(p.joined_at), total(p.left_at),
       count(p.left_at)
FROM presence_intervals AS p JOIN identities AS i ON i.id = p.identity_id
WHERE p.channel_id = ? AND p.joined_at <= ? AND (p.left_at IS NULL OR p.left_at >= ?)
"""
_STAYS_PG = """
SELECT count(*), coalesce(sum(p.id * i.person_id), 0), coalesce(sum(p.joined_at), 0),
       coalesce(sum(p.left_at), 0), count(p.left_at)
FROM presence_intervals AS p JOIN identities AS i ON i.id = p.identity_id
WHERE p.channel_id = ? AND p.joined_at <= ? AND (p.left_at IS NULL OR p.left_at >= ?)
"""
_ATTENDANCE = """
SELECT count(*), total(person_id), total(person_id * lines), total(lines)
FROM session_attendance WHERE session_id = ?
"""
_ATTENDANCE_PG = """
SELECT count(*), coalesce(sum(person_id), 0), coalesce(sum(person_id * lines), 0),
       coalesce(sum(lines), 0)
FROM session_attendance WHERE session_id = ?
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
    """``"composed"`` or ``"file"`` (read from the summaries folder), also when it comes
    back from the :class:`SummaryStore`."""

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


def version(conn: sqlite3.Connection, session_id: int) -> tuple[float | None, str]:
    """Session ``session_id``'s end (``None`` while under way) and a digest of what its
    summary is built from.

    Raises:
        SessionNotFound: there is no such session.
    """
    row = conn.execute(_SESSION, (session_id,)).fetchone()
    if row is None:
        raise SessionNotFound(f"no session {session_id}")
    channel, started, ended = row[0], float(row[1]), row[2]
    until = 1e18 if ended is None else float(ended)
    sqlite = isinstance(conn, sqlite3.Connection)
    lines = conn.execute(_LINES if sqlite else _LINES_PG, (channel, started, until)).fetchone()
    stays = conn.execute(_STAYS if sqlite else _STAYS_PG, (channel, until, started)).fetchone()
    attendance = conn.execute(_ATTENDANCE if sqlite else _ATTENDANCE_PG, (session_id,)).fetchone()
    made = hashlib.sha256()
    made.update(repr((tuple(row), tuple(lines)[:-1], tuple(stays), tuple(attendance))).encode())
    made.update(lines[-1].encode("utf-8", "surrogatepass"))
    current = f"{lines[0]}.{lines[1]}.{made.hexdigest()[:24]}"
    return (None if ended is None else float(ended)), current


def store_path(database: Path) -> Path:
    """Where the dashboard keeps the summaries of the database at ``database``."""
    return database.with_name(database.name + ".web-summaries")


def _fingerprint(settings: Settings) -> str:
    try:
        release = importlib.metadata.version("chat-presence-assistant")
    except importlib.metadata.PackageNotFoundError:
        release = "unknown"
    made = f"{_FORMAT}\n{release}\n{settings.model_dump_json()}"
    return hashlib.sha256(made.encode()).hexdigest()[:16]


class SummaryStore:
    """Rendered summaries of finished sessions, one file each, under the configuration's
    digest and the session's :func:`version`."""

    def __init__(self, folder: Path, settings: Settings) -> None:
        self.folder = folder
        self.fingerprint = _fingerprint(settings)

    def _path(self, session_id: int, current: str) -> Path:
        return self.folder / f"s{session_id}-{self.fingerprint}-{current}.json"

    def kept(self) -> dict[int, str]:
        """The sessions with a summary kept under this configuration, and its version."""
        try:
            names = [entry.name for entry in os.scandir(self.folder)]
        except FileNotFoundError:
            return {}
        found = {}
        for name in names:
            number, _, rest = name.removesuffix(".json").partition("-")
            fingerprint, _, current = rest.partition("-")
            if fingerprint == self.fingerprint and number[:1] == "s" and number[1:].isdigit():
                found[int(number[1:])] = current
        return found

    def load(self, session_id: int, current: str) -> Shown | None:
        """The kept summary of ``session_id`` if it is of version ``current``."""
        try:
            data: dict[str, Any] = json.loads(self._path(session_id, current).read_text("utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("web: kept summary of session %d not used: %s", session_id, exc)
            return None
        attendees = tuple((int(person), str(label)) for person, label in data["attendees"])
        return Shown(data["title"], attendees, Markup(data["body"]), str(data["source"]))

    def drop(self, session_id: int) -> None:
        """Delete what is kept of session ``session_id`` (under any configuration)."""
        for old in self.folder.glob(f"s{session_id}-*.json"):
            with contextlib.suppress(FileNotFoundError):
                old.unlink()

    def save(self, session_id: int, current: str, shown: Shown) -> None:
        """Keep ``shown`` as session ``session_id``'s summary of version ``current``
        (replacing what was kept of it under any configuration)."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.drop(session_id)
        data = {
            "title": shown.title,
            "attendees": [list(pair) for pair in shown.attendees],
            "body": str(shown.body),
            "source": shown.source,
        }
        path = self._path(session_id, current)
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        os.replace(partial, path)


def lower_priority() -> None:
    """Make the calling process yield the CPU to the bot and the pages (a worker's start)."""
    with contextlib.suppress(OSError, AttributeError):
        os.nice(10)


def compose_in_process(
    source: Source, session_id: int, settings: Settings
) -> tuple[float | None, str, Shown]:
    """Compose and render session ``session_id``'s summary on a read-only connection to
    ``source``: its end, version, and what the page shows (one snapshot).

    Raises:
        SessionNotFound: there is no such session.
    """
    with reading(source) as conn:
        conn.execute("BEGIN")  # the version and the summary from the same snapshot
        ended, current = version(conn, session_id)
        data = read_session(conn, session_id, settings)
        conn.execute("COMMIT")
    summary = build_summary(data, settings)
    return ended, current, Shown.of(summary, render_html(summary), "composed")


def versions_in_process(source: Source, session_ids: list[int]) -> dict[int, str | None]:
    """The current version of each of ``session_ids`` (``None``: gone or under way again),
    read on a read-only connection to ``source``."""
    found: dict[int, str | None] = {}
    with reading(source) as conn:
        for session_id in session_ids:
            try:
                ended, current = version(conn, session_id)
            except SessionNotFound:
                ended, current = None, ""
            found[session_id] = current if ended is not None else None
    return found
