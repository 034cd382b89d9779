"""``presence catchup`` as a user runs it: a real subprocess on a database the recorder filled."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from assistant.storage.database import Database
from assistant.summaries.catchup import CatchupError, parse_when
from assistant.testing.cli import run_presence

from .conftest import BOB_Q, DARREN_Q, DARREN_TO_ANN, POST, record_scene

CONFIG = """\
[owner]
name = "Ann"
identities = [{ platform = "irc", account = "ann" }]

[networks.libera]
nick = "presence"
channels = [{ name = "#bloggers" }]

[[watchlist]]
name = "Darren Rowse"
identities = [{ platform = "irc", nick = "darren" }]

[storage]
path = "chat.sqlite3"

[summaries]
timezone = "Australia/Sydney"
"""

# The recorded chat runs 19:30-20:00 in Sydney (08:30-09:00 UTC) on 7 January 2024.
SPAN = ("--since", "2024-01-07T19:30", "--until", "2024-01-07T20:00")
SYDNEY = ZoneInfo("Australia/Sydney")


def presence(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_presence(*args, cwd=cwd)


@pytest.fixture
async def prepared(tmp_path: Path) -> Path:
    """A config and a database holding the weekly chat, recorded and analysed."""
    (tmp_path / "presence.toml").write_text(CONFIG, encoding="utf-8")
    async with await Database.open(tmp_path / "chat.sqlite3") as db:
        await record_scene(db)
    return tmp_path


def test_catchup_tells_the_span_speakers_discussions_open_questions_and_links(
    prepared: Path,
) -> None:
    done = presence("catchup", "#bloggers", *SPAN, cwd=prepared)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    first, second, *_ = out.splitlines()
    assert first == "Catch-up: #bloggers on libera, Sun 7 Jan 2024 19:30-20:00 AEDT (30 min)"
    assert second.startswith("8 lines from 4 people: ★ Darren Rowse (darren), ")
    assert "What was discussed (" in out
    discussed = out.split("What was discussed", 1)[1].split("Still open", 1)[0]
    assert "★ Darren Rowse (darren)" in discussed and "lines" in discussed
    still_open = out.split("Still open", 1)[1].split("\n\n", 1)[0]
    assert f"darren at 19:34: {DARREN_Q}" in still_open
    assert BOB_Q not in still_open  # carol answered it
    members = out.split("Notable members:", 1)[1].split("\n\n", 1)[0]
    assert "★ Darren Rowse (darren): 4 lines" in members
    assert f"“{DARREN_TO_ANN}”" in members or f"“{POST}”" in members
    assert f"- 19:37 darren: {POST.split()[-1]}" in out


async def test_a_catchup_over_days_dates_its_times_and_lists_a_repeated_question_once(
    tmp_path: Path,
) -> None:
    # Two weekly chats a week apart: Darren asks the same question both times, unanswered.
    (tmp_path / "presence.toml").write_text(CONFIG, encoding="utf-8")
    async with await Database.open(tmp_path / "chat.sqlite3") as db:
        await record_scene(db)
        await record_scene(db, weeks_later=1)

    done = presence(
        "catchup",
        "#bloggers",
        "--since",
        "2024-01-07T19:30",
        "--until",
        "2024-01-14T20:00",
        cwd=tmp_path,
    )

    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.splitlines()[0].startswith("Catch-up: #bloggers on libera, Sun 7 Jan 2024 19:30")
    still_open = out.split("Still open", 1)[1].split("\n\n", 1)[0]
    assert still_open.count(DARREN_Q) == 1
    assert f"darren at Sun 14 Jan 19:34: {DARREN_Q}" in still_open
    discussed = out.split("What was discussed", 1)[1].split("Still open", 1)[0]
    assert "Sun 7 Jan 19:3" in discussed and "Sun 14 Jan 19:3" in discussed
    assert f"- Sun 7 Jan 19:37 darren: {POST.split()[-1]}" in out


def test_a_narrower_span_holds_only_its_lines(prepared: Path) -> None:
    done = presence(
        "catchup", "#BLOGGERS", "--since", "1m", "--until", "2024-01-07T19:36", cwd=prepared
    )
    assert done.returncode == 0, done.stderr
    assert "19:35-19:36 AEDT (1 min)" in done.stdout.splitlines()[0]
    assert (
        "2 lines from 2 people: bob, carol" in done.stdout
    )  # bob and carol: the question and its answer
    assert DARREN_Q not in done.stdout and "Links:" not in done.stdout


def test_catchup_as_json(prepared: Path) -> None:
    done = presence("catchup", "#bloggers", *SPAN, "--json", cwd=prepared)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["channel"], data["network"], data["lines"]) == ("#bloggers", "libera", 8)
    assert data["start"] == "2024-01-07T08:30:00+00:00"
    assert {s["name"] for s in data["speakers"]} == {"Darren Rowse (darren)", "ann", "bob", "carol"}
    assert data["discussions"] and data["discussions"][0]["lines"] >= 2
    assert {"asker": "darren", "text": DARREN_Q} in [
        {"asker": q["asker"], "text": q["text"]} for q in data["still_open"]
    ]
    assert data["links"] == [{"person": "darren", "url": POST.split()[-1]}]


def test_an_unknown_channel_lists_the_known_ones(prepared: Path) -> None:
    done = presence("catchup", "#nosuch", *SPAN, cwd=prepared)
    assert done.returncode == 2 and not done.stdout
    assert "no channel #nosuch recorded" in done.stderr
    assert "known channels: #bloggers (libera)" in done.stderr
    done = presence("catchup", "#bloggers", "--network", "oftc", *SPAN, cwd=prepared)
    assert done.returncode == 2 and "no channel recorded on oftc yet" in done.stderr


def test_a_bad_since_says_the_accepted_forms(prepared: Path) -> None:
    done = presence("catchup", "#bloggers", "--since", "yesterday-ish", cwd=prepared)
    assert done.returncode == 2 and not done.stdout
    assert "cannot read --since 'yesterday-ish'" in done.stderr
    assert "2h, 90m" in done.stderr and "2026-12-06T19:30" in done.stderr
    done = presence("catchup", "#bloggers", "--since", "1h", "--until", "soon", cwd=prepared)
    assert done.returncode == 2 and "cannot read --until 'soon'" in done.stderr
    done = presence(
        "catchup",
        "#bloggers",
        "--since",
        "2024-01-07T20:00",
        "--until",
        "2024-01-07T19:30",
        cwd=prepared,
    )
    assert done.returncode == 2 and "--until must be after --since" in done.stderr


def test_nothing_said_in_the_span_says_when_the_last_line_was(prepared: Path) -> None:
    done = presence("catchup", "#bloggers", "--since", "2h", cwd=prepared)  # now: years later
    assert done.returncode == 1 and not done.stdout
    assert "nothing was said in #bloggers from " in done.stderr
    assert (
        "the latest line before it was said at 2024-01-07T19:41" in done.stderr
    )  # Presence's own line
    assert "--since" in done.stderr
    done = presence(
        "catchup",
        "#bloggers",
        "--since",
        "2024-01-07T19:00",
        "--until",
        "2024-01-07T19:20",
        cwd=prepared,
    )
    assert done.returncode == 1
    assert "nothing was recorded there before it either" in done.stderr


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2h", datetime(2024, 1, 7, 7, 0, tzinfo=UTC)),
        ("90m", datetime(2024, 1, 7, 7, 30, tzinfo=UTC)),
        ("1h30m", datetime(2024, 1, 7, 7, 30, tzinfo=UTC)),
        ("2d", datetime(2024, 1, 5, 9, 0, tzinfo=UTC)),
        ("2024-01-07T19:30", datetime(2024, 1, 7, 8, 30, tzinfo=UTC)),
        ("2024-01-07 08:30+00:00", datetime(2024, 1, 7, 8, 30, tzinfo=UTC)),
        ("19:30", datetime(2024, 1, 7, 8, 30, tzinfo=UTC)),
        ("21:00", datetime(2024, 1, 6, 10, 0, tzinfo=UTC)),  # later today: yesterday's
    ],
)
def test_times_are_read_as_written(value: str, expected: datetime) -> None:
    now = datetime(2024, 1, 7, 9, 0, tzinfo=UTC)  # 20:00 in Sydney
    assert parse_when(value, now, SYDNEY) == expected


@pytest.mark.parametrize("value", ["", "h", "25:00", "2 hours", "-2h", "07/01/2024"])
def test_unreadable_times_are_refused(value: str) -> None:
    with pytest.raises(CatchupError, match="cannot read --since"):
        parse_when(value, datetime(2024, 1, 7, tzinfo=UTC) + timedelta(hours=9), SYDNEY)
