"""Importing logs into a real database: what is recorded, what is reported, nothing twice."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from assistant.importers.importer import FileReport, ImportOptions, LogImporter
from assistant.recorder import Recorder
from assistant.storage.database import Database
from assistant.storage.people import forget_person, person_id_for
from assistant.testing.cli import run_presence

FIXTURES = Path(__file__).parent / "fixtures"
IRSSI = FIXTURES / "#presence.2021-04-12.log"
MEETING = FIXTURES / "weekly.2021-04-12-20.00.log.txt"


@pytest.fixture
async def db(open_database: Callable[..., Awaitable[Database]]) -> AsyncIterator[Database]:
    """A fresh database on each backend (SQLite, PostgreSQL)."""
    async with await open_database() as database:
        yield database


async def run_import(db: Database, path: Path, **options: object) -> FileReport:
    importer = LogImporter(db, Recorder(db), ImportOptions(**options))  # type: ignore[arg-type]
    return await importer.import_file(path)


async def count(db: Database, table: str) -> int:
    row = await db.fetchone(f"SELECT count(*) FROM {table}")
    assert row is not None
    return int(row[0])


async def test_a_log_is_recorded_as_messages_stays_and_one_person_per_nick_change(
    db: Database,
) -> None:
    report = await run_import(db, IRSSI, network="libera")
    assert (report.format, report.network, report.channel) == ("irssi", "libera", "#presence")
    assert report.bad_lines == 0 and report.recorded == 9
    rows = await db.fetchall(
        "SELECT i.nick, m.kind, m.text FROM messages AS m "
        "JOIN identities AS i ON i.id = m.identity_id ORDER BY m.id"
    )
    assert [tuple(row) for row in rows] == [
        ("alice", "message", "hello everyone"),
        ("bob", "action", "waves"),
        ("carol", "message", "late again \U0001f605"),
        ("bobby", "message", "bold claim, red too"),
    ]
    assert await person_id_for(db, "libera", "bob") == await person_id_for(db, "libera", "bobby")
    left = await db.fetchall(
        "SELECT i.nick, p.left_kind FROM presence_intervals AS p "
        "JOIN identities AS i ON i.id = p.identity_id ORDER BY p.id"
    )
    assert [tuple(row) for row in left] == [("alice", None)]
    topic = await db.fetchone("SELECT topic FROM topics")
    assert topic is not None and topic[0] == "Weekly chat"


async def test_a_bad_line_is_reported_with_file_and_line_and_the_rest_imports(
    db: Database, tmp_path: Path
) -> None:
    log = tmp_path / "#chat.2022-02-02.log"
    log.write_text(
        "10:00 <ann> first\n10:01 <ann> second\nthis line is garbage\n10:02 <bo> third\n",
        encoding="utf-8",
    )
    report = await run_import(db, log, format="irssi")
    assert report.bad_lines == 1
    (problem,) = report.problems
    assert (problem.path, problem.number) == (log, 3)
    assert str(problem).startswith(f"{log}:3: expected 'HH:MM <nick> text'")
    assert await count(db, "messages") == 3


async def test_invalid_utf8_is_replaced_counted_and_located(db: Database, tmp_path: Path) -> None:
    log = tmp_path / "#chat.2022-02-02.log"
    log.write_bytes(b"10:00 <ann> fine\r\n10:01 <ann> caf\xe9 cr\xe8me\r\n10:02 <bo> ok\r\n")
    report = await run_import(db, log)
    assert (report.replaced, report.first_replaced_line, report.bad_lines) == (2, 2, 0)
    row = await db.fetchone("SELECT text FROM messages WHERE text LIKE 'caf%'")
    assert row is not None and row[0] == "caf\ufffd cr\ufffdme"


async def test_importing_again_adds_nothing_and_a_longer_log_only_its_new_lines(
    db: Database, tmp_path: Path
) -> None:
    first = await run_import(db, IRSSI)
    before = {table: await count(db, table) for table in ("messages", "presence_intervals")}
    again = await run_import(db, IRSSI)
    assert again.recorded == 0 and again.skipped.startswith("already imported (irssi")
    longer = tmp_path / IRSSI.name
    shutil.copy(IRSSI, longer)
    with longer.open("a", encoding="utf-8") as out:
        out.write("--- Log opened Tue Apr 13 09:00:00 2021\n09:00 <alice> good morning\n")
    grown = await run_import(db, longer)
    assert (grown.duplicates, grown.recorded) == (first.recorded, 1)
    assert await count(db, "messages") == before["messages"] + 1
    assert await count(db, "presence_intervals") == before["presence_intervals"]
    files = await db.fetchall("SELECT format, recorded FROM import_files ORDER BY id")
    assert [tuple(row) for row in files] == [("irssi", 9), ("irssi", 1)]


async def test_a_log_without_dates_asks_for_one(db: Database, tmp_path: Path) -> None:
    log = tmp_path / "#chat.log"
    log.write_text("[23:59:00] <ann> late\n[00:00:30] <ann> later\n", encoding="utf-8")
    report = await run_import(db, log)
    assert "--date YYYY-MM-DD" in report.error and report.recorded == 0
    dated = await run_import(db, log, day=date(2022, 3, 4))
    assert dated.recorded == 2 and dated.error == ""
    rows = await db.fetchall("SELECT at FROM messages ORDER BY id")
    assert [datetime.fromtimestamp(row[0], UTC) for row in rows] == [
        datetime(2022, 3, 4, 23, 59, tzinfo=UTC),
        datetime(2022, 3, 5, 0, 0, 30, tzinfo=UTC),
    ]


async def test_forgetting_a_person_removes_their_import_traces(db: Database) -> None:
    await run_import(db, IRSSI, network="libera")
    alice = await person_id_for(db, "libera", "alice")
    assert alice is not None
    digests = await count(db, "imported_events")
    await forget_person(db, alice)
    # Her message, her join and her topic change each left a digest; all three are gone.
    assert await count(db, "imported_events") == digests - 3


def presence(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_presence(*args, cwd=cwd)


def test_presence_import_reports_each_file_and_adds_nothing_the_second_time(
    tmp_path: Path,
) -> None:
    (tmp_path / "presence.toml").write_text('[storage]\npath = "p.sqlite3"\n', encoding="utf-8")
    bad = tmp_path / "#bad.2022-01-01.log"
    bad.write_text(
        "10:00 <ann> hi\n10:01 <bo> yo\n??? not a line\n10:02 <ann> ok\n", encoding="utf-8"
    )
    result = presence(
        "import", str(FIXTURES / "irc.log"), str(bad), "--channel", "#ccg", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "irc.log: w3c → imported #ccg: 5 lines, 3 events recorded" in result.stdout
    assert f"{bad}:3: expected" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == (
        "import: files=2 lines=9 recorded=6 duplicates=0 bad_lines=1 skipped=0 unknown=0"
    )
    again = presence("import", str(FIXTURES / "irc.log"), cwd=tmp_path)
    assert again.returncode == 0 and "skipped: already imported" in again.stdout


def test_presence_eval_attendance_prints_the_score_line() -> None:
    result = presence("eval", "attendance", str(MEETING), cwd=FIXTURES)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "attendance: exact=5/5 f1=100.0 meetings=1"


def test_presence_eval_attendance_needs_the_minutes(tmp_path: Path) -> None:
    shutil.copy(MEETING, tmp_path)
    result = presence("eval", "attendance", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2 and "no minutes beside it" in result.stderr
