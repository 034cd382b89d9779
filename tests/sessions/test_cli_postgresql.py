"""``presence sessions`` and ``presence attendance`` read PostgreSQL when ``[storage]`` names it."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from assistant.commandline import main
from assistant.recorder import Recorder
from assistant.sessions import store
from assistant.storage.database import Database
from assistant.testing.factories import ChatScript

CONFIG = """
[storage]
backend = "postgresql"
dsn_env = "PRESENCE_TEST_DSN"

[[networks.libera.channels]]
name = "#bloggers"
"""
START = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)


async def record(dsn: str) -> None:
    """Two ad-hoc chats a week apart: alice talks at both, bob only comes to the second."""
    async with await Database.open_postgresql(dsn) as db:
        chat = ChatScript("libera", sink=Recorder(db).record)
        for week in range(2):
            start = START + timedelta(weeks=week)
            chat.joined("alice", "#bloggers", at=start + timedelta(minutes=5))
            chat.said("alice", f"hello, week {week}", "#bloggers", at=start + timedelta(minutes=6))
            if week == 1:
                chat.joined("bob", "#bloggers", at=start + timedelta(minutes=10))
            chat.left("alice", "#bloggers", at=start + timedelta(minutes=50))
            await db.flush()

            def session(conn: sqlite3.Connection, start: datetime = start) -> int:
                opened = store.open_session(
                    conn,
                    network="libera",
                    platform="irc",
                    channel="#bloggers",
                    name="Morning chat",
                    origin="adhoc",
                    started_at=start.timestamp(),
                )
                return store.close_session(
                    conn,
                    opened,
                    (start + timedelta(hours=1)).timestamp(),
                )

            await db.transaction(session)


@pytest.fixture
def config(tmp_path: Path, postgres_dsn: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("PRESENCE_TEST_DSN", postgres_dsn)
    path = tmp_path / "presence.toml"
    path.write_text(CONFIG, encoding="utf-8")
    asyncio.run(record(postgres_dsn))
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out + out.err


def test_sessions_and_attendance_read_postgresql(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(capsys, "sessions", "-c", str(config))
    assert code == 0, out
    rows = [line for line in out.splitlines() if "Morning chat" in line]
    assert len(rows) == 2
    newest = [cell.strip() for cell in rows[0].split("│") if cell.strip()]
    assert newest[0].startswith("Sun 2026-03-08 08:30")
    assert newest[-3:] == ["60 min", "2", "1"]  # alice and bob came; alice said one line
    code, out = run(capsys, "attendance", "alice", "-c", str(config))
    assert code == 0, out
    assert "2 of the last 2; usually arrives 08:35, stays 45 min" in out
    assert "hello, week 1" in out
    assert not (config.parent / "presence.sqlite3").exists()
