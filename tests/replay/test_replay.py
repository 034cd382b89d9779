"""``presence replay`` plays a chat log through the real assistant and rebuilds its history."""

from __future__ import annotations

import re
import sqlite3
import subprocess
from pathlib import Path

from assistant.testing.cli import run_presence

FIXTURES = Path(__file__).parent / "fixtures"
GARDEN = FIXTURES / "#garden.2024-03-02.log"
TINY = FIXTURES / "#tiny.2024-03-02.log"

BASE_CONFIG = """
[owner]
name = "me"

[storage]
path = "presence.sqlite3"

[analysis]
enabled = false

[summaries]
folder = "summaries"
"""

SCHEDULED = """
[networks.garden]
platform = "irc"
host = "irc.example.org"
nick = "presence"

[[networks.garden.channels]]
name = "#garden"

[[networks.garden.channels.schedules]]
name = "Garden club"
days = ["saturday"]
time = "18:00"
timezone = "UTC"
duration = 30
"""


def config(folder: Path, extra: str = "") -> Path:
    path = folder / "presence.toml"
    path.write_text(BASE_CONFIG + extra, encoding="utf-8")
    return path


def replay(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_presence("replay", *args, cwd=folder)


def query(folder: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(folder / "presence.sqlite3")
    try:
        return list(conn.execute(sql))
    finally:
        conn.close()


ATTENDANCE = (
    "SELECT i.nick, a.lines FROM session_attendance AS a "
    "JOIN identities AS i ON i.person_id = a.person_id ORDER BY a.lines DESC, i.nick"
)


def test_a_log_replays_into_an_adhoc_session_with_its_summary(tmp_path: Path) -> None:
    done = replay(tmp_path, str(GARDEN), "--config", str(config(tmp_path)))
    assert done.returncode == 0, done.stderr
    assert "sessions=1" in done.stdout
    sessions = query(tmp_path, "SELECT origin, status, started_at, ended_at FROM sessions")
    assert len(sessions) == 1
    origin, status, started, ended = sessions[0]
    assert (origin, status) == ("adhoc", "ended")
    # From the first line to the last line (quiet for 20 minutes afterwards ends it there).
    assert started == 1709402405.0  # 2024-03-02 18:00:05 UTC
    assert ended == 1709402920.0  # 18:08:40
    assert query(tmp_path, ATTENDANCE) == [("ana", 5), ("ben", 4), ("cleo", 3), ("dev", 2)]
    written = sorted(p.name for p in (tmp_path / "summaries").iterdir())
    assert written == [
        "2024-03-02_imported_garden_s1.html",
        "2024-03-02_imported_garden_s1.json",
        "2024-03-02_imported_garden_s1.md",
    ]
    for name in written:
        assert name in done.stdout  # the user is told where the summaries went
    assert "dev" in (tmp_path / "summaries" / written[2]).read_text(encoding="utf-8")
    # Recorded once, as live lines, each with the digest import and replay dedupe by.
    assert query(tmp_path, "SELECT count(*) FROM messages") == [(14,)]
    assert query(tmp_path, "SELECT count(*) FROM imported_events WHERE message_id IS NOT NULL") == [
        (14,)
    ]


def test_replaying_again_adds_nothing_and_says_how_to_rebuild(tmp_path: Path) -> None:
    path = str(config(tmp_path))
    assert replay(tmp_path, str(GARDEN), "--config", path).returncode == 0
    again = replay(tmp_path, str(GARDEN), "--config", path)
    assert again.returncode == 0, again.stderr
    assert "Nothing to replay" in again.stdout
    assert "fresh database" in again.stdout
    assert query(tmp_path, "SELECT count(*) FROM messages") == [(14,)]
    assert query(tmp_path, "SELECT count(*) FROM sessions") == [(1,)]
    assert len(list((tmp_path / "summaries").iterdir())) == 3


def test_a_log_imported_before_is_not_played_twice(tmp_path: Path) -> None:
    path = str(config(tmp_path))
    imported = run_presence("import", GARDEN, "--config", path, cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    done = replay(tmp_path, str(GARDEN), "--config", path)
    assert done.returncode == 0, done.stderr
    assert "Nothing to replay" in done.stdout
    assert query(tmp_path, "SELECT count(*) FROM messages") == [(14,)]


def test_a_schedule_matching_the_log_makes_the_session(tmp_path: Path) -> None:
    done = replay(tmp_path, str(GARDEN), "--config", str(config(tmp_path, SCHEDULED)))
    assert done.returncode == 0, done.stderr
    sessions = query(tmp_path, "SELECT name, origin, started_at, ended_at FROM sessions")
    # The schedule's own times, on the log's clock; no ad-hoc session besides it.
    assert sessions == [("Garden club", "schedule", 1709402400.0, 1709404200.0)]
    assert query(tmp_path, ATTENDANCE) == [("ana", 5), ("ben", 4), ("cleo", 3), ("dev", 2)]
    assert sorted(p.name for p in (tmp_path / "summaries").iterdir())[0] == (
        "2024-03-02_garden_garden_s1.html"
    )
    # The log starts two minutes before the chat, inside brief_before, but on a replay's
    # clock the chat is over: no pre-chat brief is delivered.
    assert not [p for p in (tmp_path / "summaries").iterdir() if "brief" in p.name]


def test_speed_paces_the_log_at_n_times_its_own_time(tmp_path: Path) -> None:
    done = replay(tmp_path, str(TINY), "--speed", "60", "--config", str(config(tmp_path)))
    assert done.returncode == 0, done.stderr
    texts = query(tmp_path, "SELECT text FROM messages ORDER BY id")
    assert texts == [("first",), ("second",), ("third",)]
    assert "No session was found in the log (check [sessions] or the schedules)." in done.stdout
    played = next(
        float(part.split("=")[1])
        for part in done.stdout.split()
        if part.startswith("play_seconds=")
    )
    assert played >= 180 / 60  # three minutes of chat at 60x take at least three seconds


def test_a_missing_file_or_unknown_format_is_a_clear_error(tmp_path: Path) -> None:
    path = str(config(tmp_path))
    missing = replay(tmp_path, str(tmp_path / "nope.log"), "--config", path)
    assert missing.returncode == 2
    assert "nope.log: no such file" in missing.stderr
    junk = tmp_path / "notes.txt"
    junk.write_text("shopping list\nmilk\neggs\n", encoding="utf-8")
    unknown = replay(tmp_path, str(junk), "--config", path)
    assert unknown.returncode == 2
    assert "name one with --format" in unknown.stderr


OPENINGS_CONFIG = """
interests = ["podcasting", "Skype interviews"]

[owner]
name = "me"
identities = [{ platform = "irc", account = "me" }]

[storage]
path = "presence.sqlite3"

[summaries]
folder = "summaries"
formats = ["md"]

[plugins.openings]
notify = []

[[watchlist]]
name = "problogger"
identities = [{ platform = "irc", nick = "problogger" }]
priority = 3
"""


def test_openings_and_sessions_run_on_the_same_replay_clock(tmp_path: Path) -> None:
    log = Path(__file__).parents[1] / "openings" / "fixtures" / "2024-05-05.bloggers.raw.txt"
    path = tmp_path / "presence.toml"
    path.write_text(OPENINGS_CONFIG, encoding="utf-8")  # with the real analysis pipeline
    done = replay(tmp_path, str(log), "--config", str(path))
    assert done.returncode == 0, done.stderr
    # Three of the channel's gaps after the unanswered question (135 s), on the log's clock,
    # as `openings --replay`.
    assert "2024-05-05 19:36:00 │ unanswered_question │ problogger" in done.stdout
    assert "addressed_you" in done.stdout
    assert "sessions=1" in done.stdout
    summary = (tmp_path / "summaries" / "2024-05-05_imported_ubuntu_s1.md").read_text("utf-8")
    # The session's summary lists the opening the owner let pass during it (the openings
    # plugin's section).
    openings = summary.split("## Openings", 1)[1].split("\n## ", 1)[0]
    assert re.search(r"^- \d\d:\d\d missed — problogger \(unanswered\\_question\)", openings, re.M)
