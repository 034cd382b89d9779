"""Hypothesis-generated lines and files: every format reads them without a traceback.

A reader either returns events or says why a line is bad (``BadLine``, one line of text,
with the line's number); a log without a date stops with ``MissingDate``. Nothing else may
escape, whatever the bytes: that is what a user importing a damaged or foreign file sees.
The example budgets are fixed and derandomised so CI runs the same cases every time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.events import Event
from assistant.importers.formats import FORMATS, LogFormat, detect_format, score_formats
from assistant.importers.importer import ImportOptions, LogImporter
from assistant.importers.reading import LogFile, read_log
from assistant.importers.scene import BadLine, LogCalendar, MissingDate, Scene
from assistant.recorder import Recorder
from assistant.testing.cli import run_presence
from assistant.testing.database import temporary_database

LINE_FORMATS = [f for f in FORMATS if f.unit == "line"]
FORMAT_IDS = [f.name for f in FORMATS]
PROPERTY = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)

# Starts of real lines in every format, so that generated lines reach past the first regex.
PREFIXES = (
    "",
    "10:00 ",
    "10:00:01 ",
    "99:99 ",
    "10:00 <",
    "10:00 -!- ",
    "10:00 * ",
    "10:00 -nick- ",
    "--- Day changed ",
    "--- Log opened ",
    "2021-04-12 20:05:03\t",
    "2021-02-30 20:05:03\t",
    "2021-04-12 20:05:03\t-->\t",
    "2021-04-12 20:05:03\t<--\t",
    "2021-04-12 20:05:03\t--\t",
    "2021-04-12 20:05:03\t*\t",
    "[20:05:03] ",
    "[20:05:03] *** ",
    "[20:05] <",
    "[29:75] ",
    "=== ",
    "Apr 12 20:05:03 ",
    "Feb 31 20:05:03 <nick>\t",
    "Xyz 12 20:05:03 ",
    "**** BEGIN LOGGING AT ",
    "[2020-06-09T16:10:13.029Z]\t",
    "[2020-06-09T16:10:13Z]  <",
    "[2016-11-21T02:33:15] <",
    "[2016-13-21T99:33:15] * ",
    "(04:01:11 PM) ",
    "(13:01:11 PM) ",
    "(01/02/2005 12:00:01 AM) ",
    "(99.99.9999 12:00:01) ",
    "(2005-01-02 00:00:01) ***",
    "Conversation with #chan at ",
    '<font size="2">(04:01:11 PM)</font> <b>',
    "[12-Apr-21 08:00 PM] ",
    "[2021-04-12T20:05:03.000+00:00] ",
    "=" * 62,
    "Guild: ",
    "Channel: ",
    "{Attachments}",
    "{Reactions}",
    # The ends of the calendar: a zone or a midnight away from a date Python cannot hold.
    "[0001-01-01T00:00:00+01:00]\t<",
    "[9999-12-31T23:59:59-01:00] <",
    "0001-01-01 00:00:00\t",
    "9999-12-31 23:59:59\t",
    "--- Day changed Fri Dec 31 9999",
    "**** BEGIN LOGGING AT Fri Dec 31 23:59:59 9999",
    "Dec 31 23:59:59 <",
    "(12/31/9999 11:59:59 PM) ",
    "Conversation with #c at Fri 31 Dec 9999 11:59:59 PM on me (irc)",
    "[31-Dec-99 11:59 PM] ",
)
# Text that real logs contain besides letters: mIRC codes, brackets, tabs. A line never
# holds a line end (reading splits on CR and LF); JSON strings may, escaped.
ALPHABET = st.one_of(
    st.characters(codec="utf-8", exclude_characters="\r\n"),
    st.sampled_from("<>[]()*-:!@+%~&\t \x02\x03\x0f\x1d\x1f\ufffd0123456789,;\"'{}#"),
)
TEXT = st.text(ALPHABET, max_size=80)
LINE = st.builds(lambda prefix, rest: prefix + rest, st.sampled_from(PREFIXES), TEXT)
LINES = st.lists(LINE, max_size=25)

JSON_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT)
JSON_VALUE = st.recursive(
    JSON_SCALAR,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)
TIMESTAMP = st.one_of(
    TEXT,
    st.sampled_from(["2021-04-12T20:05:03+00:00", "12-Apr-21 08:00 PM", "2021-02-30", "", "Z"]),
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
DISCORD_MESSAGE = st.fixed_dictionaries(
    {},
    optional={
        "id": JSON_SCALAR,
        "type": st.sampled_from(["Default", "Reply", "GuildMemberJoin", "RecipientRemove", ""]),
        "timestamp": TIMESTAMP,
        "content": TEXT,
        "author": st.one_of(
            JSON_VALUE,
            st.fixed_dictionaries(
                {"id": st.one_of(TEXT, st.integers())},
                optional={"name": TEXT, "nickname": TEXT, "discriminator": TEXT},
            ),
        ),
        "attachments": st.one_of(JSON_VALUE, st.lists(st.fixed_dictionaries({"url": TEXT}))),
        "reference": st.one_of(JSON_VALUE, st.fixed_dictionaries({"messageId": TEXT})),
    },
)
SLACK_MESSAGE = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["message", "other", ""]),
        "ts": TIMESTAMP,
        "user": JSON_SCALAR,
        "text": TEXT,
        "subtype": st.sampled_from(
            ["channel_join", "channel_leave", "channel_topic", "me_message"]
        ),
        "topic": TEXT,
        "thread_ts": TIMESTAMP,
        "user_profile": JSON_VALUE,
        "files": st.one_of(JSON_VALUE, st.lists(st.fixed_dictionaries({"url_private": TEXT}))),
    },
)
CSV_FIELD = st.one_of(TEXT, TIMESTAMP).map(lambda field: '"' + field.replace('"', '""') + '"')
CSV_ROW = st.lists(CSV_FIELD, max_size=7).map(";".join)


def _json_lines(value: object) -> list[str]:
    return json.dumps(value, ensure_ascii=False, indent=1).split("\n")


def check(log_format: LogFormat, lines: Sequence[str], day: date | None = date(2021, 4, 12)) -> int:
    """Read ``lines`` as ``log_format``; return the bad-line count after checking each report."""
    log = LogFile(Path("#chan.log"), list(lines))
    scene = Scene("" if log_format.platform != "irc" else "net", "", log_format.platform)
    bad = 0
    try:
        for number, parsed in log_format.read(log, scene, LogCalendar(day, UTC)):
            assert isinstance(number, int) and number >= 1
            if log_format.unit == "line":
                assert number <= max(len(lines), 1)
            if isinstance(parsed, BadLine):
                bad += 1
                reason = str(parsed)
                assert reason and "\n" not in reason and "\r" not in reason
            else:
                assert all(isinstance(event, Event) for event in parsed)
    except MissingDate:
        assert day is None, "a dated log must never stop for want of a date"
    return bad


@pytest.mark.parametrize("log_format", LINE_FORMATS, ids=[f.name for f in LINE_FORMATS])
@PROPERTY
@given(lines=LINES)
def test_generated_lines_never_raise(log_format: LogFormat, lines: list[str]) -> None:
    check(log_format, lines)


@pytest.mark.parametrize("log_format", LINE_FORMATS, ids=[f.name for f in LINE_FORMATS])
@PROPERTY
@given(lines=LINES)
def test_undated_lines_stop_only_for_the_missing_date(
    log_format: LogFormat, lines: list[str]
) -> None:
    check(log_format, lines, day=None)


@PROPERTY
@given(
    export=st.one_of(
        JSON_VALUE,
        st.fixed_dictionaries(
            {"messages": st.lists(st.one_of(DISCORD_MESSAGE, JSON_VALUE), max_size=8)},
            optional={"guild": JSON_VALUE, "channel": JSON_VALUE},
        ),
    )
)
def test_discord_json_exports_never_raise(export: object) -> None:
    check(_format("discord-json"), _json_lines(export))


@PROPERTY
@given(rows=st.lists(CSV_ROW, max_size=10), header=st.booleans())
def test_discord_csv_exports_never_raise(rows: list[str], header: bool) -> None:
    head = ['"AuthorID";"Author";"Date";"Content";"Attachments";"Reactions";'] if header else []
    check(_format("discord-csv"), head + rows)


@PROPERTY
@given(lines=LINES, preamble=st.booleans())
def test_discord_text_exports_never_raise(lines: list[str], preamble: bool) -> None:
    head = ["=" * 62, "Guild: Presence", "Channel: Text / general", "=" * 62, ""]
    check(_format("discord-text"), (head if preamble else []) + lines)


@PROPERTY
@given(day=st.one_of(JSON_VALUE, st.lists(st.one_of(SLACK_MESSAGE, JSON_VALUE), max_size=8)))
def test_slack_day_files_never_raise(day: object) -> None:
    check(_format("slack"), _json_lines(day))


@pytest.mark.parametrize("log_format", FORMATS, ids=FORMAT_IDS)
@PROPERTY
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes_are_read_detected_and_parsed_without_a_traceback(
    log_format: LogFormat, data: bytes, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("bytes") / "#chan.2021-04-12.log"
    path.write_bytes(data)
    log = read_log(path)
    assert len(score_formats(log)) == len(FORMATS)
    detect_format(log)
    check(log_format, log.lines)


def _format(name: str) -> LogFormat:
    return next(f for f in FORMATS if f.name == name)


@PROPERTY
@given(lines=st.lists(LINE, min_size=1, max_size=12))
async def test_a_bad_file_is_reported_one_line_per_problem_with_file_and_line(
    lines: list[str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("bad") / "#chan.2021-04-12.log"
    path.write_text("\n".join(line.replace("\r", "").replace("\n", "") for line in lines))
    async with temporary_database() as db:
        report = await LogImporter(db, Recorder(db), ImportOptions(format="irssi")).import_file(
            path
        )
    assert report.error == "" and report.skipped == ""
    for problem in report.problems:
        text = str(problem)
        assert text.startswith(f"{path}:{problem.number}: ") and "\n" not in text
        assert 1 <= problem.number <= len(lines)


def test_a_file_of_garbage_names_the_closest_format_on_one_line(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"\x00\xff\xfe binary junk\r\n[12:00 half a line\n<<<>>>\n")
    (tmp_path / "presence.toml").write_text('[storage]\npath = "p.sqlite3"\n', encoding="utf-8")
    result = run_presence("import", str(path), cwd=tmp_path)
    assert "Traceback" not in result.stdout + result.stderr
    (said,) = [line for line in result.stdout.splitlines() if line.startswith(str(path))]
    assert "not a log format Presence knows" in said and "--format" in said
    assert result.stdout.strip().splitlines()[-1].startswith("import: files=1 ")
    assert result.returncode == 2


def test_a_csv_cell_too_big_to_read_is_a_bad_line_not_a_crash() -> None:
    huge = '"1";"ann#0001";"2021-04-12T20:05:03+00:00";"' + "x" * 200_000 + '";"";""'
    lines = ['"AuthorID";"Author";"Date";"Content";"Attachments";"Reactions"', huge]
    log = LogFile(Path("general.csv"), lines)
    parsed = list(
        _format("discord-csv").read(log, Scene("d", "#g", "discord"), LogCalendar(None, UTC))
    )
    assert [(number, type(item)) for number, item in parsed] == [(2, BadLine)]
    assert "cannot read the row" in str(parsed[0][1])


def test_midnight_after_the_last_day_python_knows_is_a_bad_line() -> None:
    lines = ["--- Day changed Fri Dec 31 9999", "23:59 <ann> last", "00:01 <ann> after"]
    assert check(_format("irssi"), lines) == 1


async def test_an_undated_log_reaching_year_9999_imports_with_date_from_mtime(
    tmp_path: Path,
) -> None:
    path = tmp_path / "#chan.log"
    path.write_text("10:00 <ann> first\n--- Day changed Fri Dec 31 9999\n10:00 <ann> last\n")
    async with temporary_database() as db:
        options = ImportOptions(date_from="mtime")
        report = await LogImporter(db, Recorder(db), options).import_file(path)
    assert (report.error, report.skipped, report.recorded) == ("", "", 2)
