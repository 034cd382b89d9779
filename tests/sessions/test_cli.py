"""``presence sessions`` and ``presence attendance`` as a user runs them, on a prepared database."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from assistant.clock import ReplayClock
from assistant.config import parse_settings
from assistant.recorder import Recorder
from assistant.sessions.tracker import SessionTracker
from assistant.storage.database import Database
from assistant.testing.cli import run_presence
from assistant.testing.factories import ChatScript

SYDNEY = ZoneInfo("Australia/Sydney")


def presence(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_presence(*args, cwd=cwd)


@pytest.fixture
async def eight_weeks(tmp_path: Path) -> Path:
    """Eight Sunday chats; alice comes to 7 (about 19:40, for about 70 minutes), bob to 1."""
    settings = parse_settings(
        {
            "networks": {
                "libera": {
                    "channels": [
                        {
                            "name": "#bloggers",
                            "schedules": [
                                {
                                    "name": "Aussie bloggers",
                                    "days": ["sunday"],
                                    "time": "19:30",
                                    "timezone": "Australia/Sydney",
                                    "duration": 90,
                                }
                            ],
                        }
                    ]
                }
            }
        }
    )
    path = tmp_path / "presence.sqlite3"
    first = datetime(2026, 2, 1, 19, 30, tzinfo=SYDNEY).astimezone(UTC)
    clock = ReplayClock(first - timedelta(hours=1))
    async with await Database.open(path) as db:
        tracker = SessionTracker(settings, db, lambda event: None, clock=clock)
        await tracker.start()
        chat = ChatScript("libera", sink=Recorder(db).record)
        for week in range(8):
            start = first + timedelta(weeks=week)
            clock.set(start)
            await tracker.run_due()
            if week != 3:
                arrive = start + timedelta(minutes=(10, 8, 12)[week % 3])
                chat.joined("alice", "#bloggers", at=arrive)
                chat.said("alice", f"hello, week {week}", "#bloggers", at=arrive)
                chat.left("alice", "#bloggers", at=arrive + timedelta(minutes=70))
            if week == 7:
                chat.joined("bob", "#bloggers", at=start + timedelta(minutes=1))
            clock.set(start + timedelta(minutes=90))
            await tracker.run_due()
        await tracker.stop()
    return path


def test_sessions_lists_recent_sessions_with_attendance_counts(
    eight_weeks: Path, tmp_path: Path
) -> None:
    result = presence("sessions", "--database", str(eight_weeks), "--limit", "3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Recent sessions" in out
    assert out.count("Aussie bloggers") == 3  # --limit 3
    # Newest first, in Sydney time (summer time ended on 5 April).
    assert "Sun 2026-03-22 19:30 AEDT" in out
    assert "Sun 2026-03-08 19:30 AEDT" in out
    assert "Sun 2026-03-01" not in out
    newest = next(line for line in out.splitlines() if "2026-03-22" in line)
    assert "#bloggers (libera)" in newest and "90 min" in newest
    cells = [cell.strip() for cell in newest.split("│") if cell.strip()]
    assert cells[-2:] == ["2", "1"]  # alice and bob came; alice said one line


def test_attendance_gives_a_persons_record_at_the_weekly_chat(
    eight_weeks: Path, tmp_path: Path
) -> None:
    result = presence("attendance", "alice", "--database", str(eight_weeks), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert (
        "alice at Aussie bloggers (#bloggers on libera): "
        "7 of the last 8; usually arrives 19:40, stays 70 min"
    ) in out
    assert "hello, week 7" in out
    week_three = next(line for line in out.splitlines() if "2026-02-22" in line)
    assert "—" in week_three  # the week she missed


def test_attendance_of_someone_never_seen_says_so(eight_weeks: Path, tmp_path: Path) -> None:
    result = presence("attendance", "zed", "--database", str(eight_weeks), cwd=tmp_path)
    assert result.returncode == 2
    assert "Nobody called zed was ever seen" in result.stderr


def test_sessions_without_a_database_says_how_to_get_one(tmp_path: Path) -> None:
    result = presence("sessions", "--database", str(tmp_path / "none.sqlite3"), cwd=tmp_path)
    assert result.returncode == 2
    assert "no such database" in result.stderr
