"""One session's page: a live session stays fresh, a finished one can come from its summary file."""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from assistant.clock import ReplayClock
from assistant.config import Settings, parse_settings
from assistant.recorder import Recorder
from assistant.sessions.tracker import SessionTracker
from assistant.storage.database import Database
from assistant.summaries.compose import compose_summary
from assistant.summaries.deliver import folder_for, write_files
from assistant.summaries.model import SummarySection
from assistant.testing.factories import ChatScript
from assistant.web.access import load_access
from assistant.web.app import create_app
from assistant.web.prepared import store_path

START = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def _settings(folder: Path) -> Settings:
    return parse_settings(
        {
            "networks": {
                "libera": {
                    "host": "127.0.0.1",
                    "channels": [
                        {
                            "name": "#podcasts",
                            "schedules": [
                                {
                                    "name": "Morning chat",
                                    "days": ["sunday"],
                                    "time": "09:30",
                                    "timezone": "UTC",
                                    "duration": 60,
                                }
                            ],
                        }
                    ],
                }
            },
            "storage": {"path": str(folder / "presence.sqlite3")},
            "summaries": {"folder": str(folder / "summaries")},
            "analysis": {"enabled": False},
        }
    )


async def _page(settings: Settings, db: Database, path: str) -> str:
    access = load_access(settings)
    app = create_app(db, settings, access)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        response = await client.get(path, headers={"Authorization": f"Bearer {access.secret}"})
    assert response.status_code == 200, response.text
    return response.text


def test_a_session_under_way_shows_its_newest_line_on_the_next_view(tmp_path: Path) -> None:
    settings = _settings(tmp_path)

    async def scenario() -> None:
        async with await Database.open(settings.resolve(settings.storage.path)) as db:
            clock = ReplayClock(START)
            tracker = SessionTracker(settings, db, lambda event: None, clock=clock)
            await tracker.start()
            await tracker.run_due()
            chat = ChatScript("libera", sink=Recorder(db).record)
            chat.joined("alice", "#podcasts", at=START + timedelta(minutes=1))
            chat.said(
                "alice", "who records on a zoom h5?", "#podcasts", at=START + timedelta(minutes=2)
            )
            await db.flush()
            access = load_access(settings)
            app = create_app(db, settings, access)
            bearer = {"Authorization": f"Bearer {access.secret}"}
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
                first = (await client.get("/sessions/1", headers=bearer)).text
                again = (await client.get("/sessions/1", headers=bearer)).text
                chat.said(
                    "bob", "a tascam dr-40 here", "#podcasts", at=START + timedelta(minutes=3)
                )
                await db.flush()
                later = (await client.get("/sessions/1", headers=bearer)).text
            await tracker.stop()
        assert "alice" in first and "bob" not in first
        assert again == first  # the same summary, not composed again
        assert "bob" in later  # a new line: composed again

    asyncio.run(scenario())


def test_a_finished_session_is_shown_from_the_summary_file_written_after_it(
    tmp_path: Path,
) -> None:
    settings = _settings(tmp_path)

    async def scenario() -> tuple[str, str]:
        async with await Database.open(settings.resolve(settings.storage.path)) as db:
            clock = ReplayClock(START)
            tracker = SessionTracker(settings, db, lambda event: None, clock=clock)
            await tracker.start()
            await tracker.run_due()
            chat = ChatScript("libera", sink=Recorder(db).record)
            chat.said("alice", "recording tonight at eight", "#podcasts", at=START)
            clock.set(START + timedelta(hours=2))
            await tracker.run_due()
            await db.flush()
            summary = await compose_summary(db, 1, settings)
            # what `presence run` wrote after the chat, with a plugin's section in it
            extra = SummarySection("Show notes", ("episode 12 planned",), plugin="notes")
            write_files(replace(summary, sections=(extra,)), folder_for(settings), ["html", "json"])
            # and a file of another database's session 1 (another end): not used
            other = replace(summary.session, ended_at=START + timedelta(days=9))
            stray = replace(summary, session=other, sections=(replace(extra, title="Stray"),))
            stray_folder = folder_for(settings) / "older"
            write_files(stray, stray_folder, ["json"])
            shown = await _page(settings, db, "/sessions/1")
            moved = stray_folder / next(stray_folder.iterdir()).name
            for path in folder_for(settings).glob("*.json"):
                path.unlink()
            moved.rename(folder_for(settings) / moved.name)
            # and what the dashboard kept of the first view (tests/web/test_kept_summaries.py)
            shutil.rmtree(store_path(settings.resolve(settings.storage.path)))
            composed = await _page(settings, db, "/sessions/1")
            await tracker.stop()
        return shown, composed

    shown, composed = asyncio.run(scenario())
    assert "Show notes" in shown and "episode 12 planned" in shown
    assert "alice" in shown
    assert "Stray" not in composed and "Show notes" not in composed
    assert "alice" in composed
