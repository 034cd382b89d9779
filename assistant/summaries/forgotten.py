"""Summary files that named a forgotten person, written again without them.

Forgetting a person deletes their rows, but the summaries already written to the summaries
folder still hold their name, their key lines, their questions and their exchanges with the
owner. So after a forget (``presence forget``, the dashboard's Forget, ``!optout``) each
session they attended that has files there is composed again from what the database holds
now, and its files are rewritten in place: same names, same formats. A file whose session
is gone is deleted. Summaries sent elsewhere (a webhook, a private message) cannot be
called back; the docs say so.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path

from assistant.config import Settings
from assistant.storage.database import Database
from assistant.summaries.compose import HookCaller, SessionNotFound, compose_summary
from assistant.summaries.deliver import SUFFIXES, folder_for, render, write_atomic
from assistant.summaries.model import Summary

__all__ = ["attended_sessions", "rewrite_summaries", "summary_files"]

log = logging.getLogger(__name__)

_ATTENDED = "SELECT DISTINCT session_id FROM session_attendance WHERE person_id = ?"


async def attended_sessions(db: Database, person_id: int) -> list[int]:
    """The sessions ``person_id`` attended (read it before forgetting them)."""
    rows = await db.fetchall(_ATTENDED, (person_id,))
    return sorted(int(row[0]) for row in rows)


def summary_files(settings: Settings, session_id: int) -> dict[str, Path]:
    """The summary files written for ``session_id``, by format (synchronous)."""
    folder = folder_for(settings)
    found: dict[str, Path] = {}
    if not folder.is_dir():
        return found
    for fmt, suffix in SUFFIXES.items():
        for path in sorted(folder.glob(f"*_s{session_id}{suffix}")):
            found.setdefault(fmt, path)
    return found


def _rewrite(summary: Summary | None, files: dict[str, Path]) -> list[Path]:
    """Write ``summary`` over ``files`` (synchronous); a file with nothing to hold goes."""
    for fmt, path in files.items():
        if summary is None or (fmt == "minutes" and summary.minutes is None):
            path.unlink(missing_ok=True)
        else:
            write_atomic(path, render(summary, fmt))
    return list(files.values())


async def rewrite_summaries(
    db: Database,
    settings: Settings,
    session_ids: Sequence[int],
    *,
    call: HookCaller | None = None,
) -> list[Path]:
    """Compose each session's summary again and rewrite its existing files; return them.

    ``call`` lets the plugins add their sections, as when the summary was first written.
    """
    rewritten: list[Path] = []
    for session_id in session_ids:
        files = await asyncio.to_thread(summary_files, settings, session_id)
        if not files:
            continue
        try:
            summary: Summary | None = await compose_summary(db, session_id, settings, call=call)
        except SessionNotFound:
            summary = None
        # Rendered off the loop too: an HTML summary draws its charts with matplotlib.
        rewritten += await asyncio.to_thread(_rewrite, summary, files)
    if rewritten:
        log.info("summaries: rewrote %d file(s) without a forgotten person", len(rewritten))
    return rewritten
