"""Logs whose lines carry no date: the day from a header, the file's mtime or a list of days."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path

import pytest

from assistant.importers.importer import ImportOptions, LogImporter
from assistant.recorder import Recorder
from assistant.storage.database import Database
from assistant.testing.cli import run_presence
from assistant.testing.database import temporary_database

UNDATED = "[23:59:00] <ann> late\n[00:00:30] <bo> later\n"


@pytest.fixture
async def db() -> AsyncIterator[Database]:
    async with temporary_database() as database:
        yield database


async def times(db: Database) -> list[str]:
    rows = await db.fetchall("SELECT datetime(at, 'unixepoch') FROM messages ORDER BY id")
    return [row[0] for row in rows]


async def test_mtime_is_the_day_of_the_last_line(db: Database, tmp_path: Path) -> None:
    log = tmp_path / "#chat.log"
    log.write_text(UNDATED, encoding="utf-8")
    written = datetime(2022, 3, 5, 8, 0).timestamp()
    os.utime(log, (written, written))
    options = ImportOptions(date_from="mtime")
    report = await LogImporter(db, Recorder(db), options).import_file(log)
    assert report.error == "" and report.recorded == 2
    assert await times(db) == ["2022-03-04 23:59:00", "2022-03-05 00:00:30"]


async def test_a_header_date_wins_over_mtime(db: Database, tmp_path: Path) -> None:
    log = tmp_path / "meeting.txt"
    log.write_text(
        "Conversation with #dev at 2004-07-08 21:00:00 on me@irc.example.org (irc)\n"
        "(21:00:05) ann: agenda?\n(21:01:00) bo: later\n",
        encoding="utf-8",
    )
    os.utime(log, (0, 0))
    report = await LogImporter(db, Recorder(db), ImportOptions(date_from="mtime")).import_file(log)
    assert report.format == "pidgin" and report.recorded == 2
    assert await times(db) == ["2004-07-08 21:00:05", "2004-07-08 21:01:00"]


def write_folder(tmp_path: Path) -> Path:
    (tmp_path / "presence.toml").write_text('[storage]\npath = "p.sqlite3"\n', encoding="utf-8")
    folder = tmp_path / "logs"
    folder.mkdir()
    for name in ("one.log", "two.log", "three.log", "four.log"):
        (folder / name).write_text(UNDATED.replace("ann", name[:3]), encoding="utf-8")
    return folder


def test_a_folder_of_undated_logs_gets_one_message_naming_the_fix(tmp_path: Path) -> None:
    folder = write_folder(tmp_path)
    result = run_presence("import", str(folder), cwd=tmp_path)
    assert result.returncode == 2
    assert "stopped" not in result.stdout
    (message,) = [line for line in result.stdout.splitlines() if "no date" in line]
    assert message.startswith("4 logs were not imported")
    assert "--date-from mtime" in message and "four.log, one.log, three.log and 1 more" in message


def test_a_list_of_days_dates_each_log(tmp_path: Path) -> None:
    folder = write_folder(tmp_path)
    days = tmp_path / "days.txt"
    days.write_text(
        "# file day\none.log 2001-01-01\ntwo.log 2002-02-02\n"
        "three.log,2003-03-03\n2004-04-04 four.log\n",
        encoding="utf-8",
    )
    result = run_presence("import", str(folder), "--date-from", str(days), cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert "recorded=8" in result.stdout.splitlines()[-1]
    bad = tmp_path / "bad.txt"
    bad.write_text("one.log 2001-13-01\n", encoding="utf-8")
    refused = run_presence("import", str(folder), "--date-from", str(bad), cwd=tmp_path)
    assert refused.returncode == 2 and "bad.txt:1: impossible date" in refused.stderr


async def test_an_unknown_file_names_the_closest_format_and_why(
    db: Database, tmp_path: Path
) -> None:
    log = tmp_path / "notes.txt"
    log.write_text(
        "(10:00:00) ann: hi\nsome notes\nmore notes\nand more\n(10:01:00) bo: ok\n",
        encoding="utf-8",
    )
    report = await LogImporter(db, Recorder(db), ImportOptions()).import_file(log)
    assert report.skipped.startswith("not a log format Presence knows; closest: pidgin")
    assert report.skipped.endswith("; name one with --format")
    forced = ImportOptions(format="pidgin", day=date(2020, 1, 1))
    report = await LogImporter(db, Recorder(db), forced).import_file(log)
    assert (report.format, report.recorded, report.bad_lines) == ("pidgin", 2, 0)


def test_the_last_line_counts_skipped_and_unknown_files(tmp_path: Path) -> None:
    folder = write_folder(tmp_path)
    (folder / "readme.md").write_text("# my logs\n\nfrom the old laptop\n", encoding="utf-8")
    result = run_presence("import", str(folder), "--date-from", "mtime", cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert "readme.md: skipped: not a log format Presence knows" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == (
        "import: files=5 lines=11 recorded=8 duplicates=0 bad_lines=0 skipped=0 unknown=1"
    )
