"""``presence eval attendance`` on MeetBot's own folder layout and each minutes variant."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from rich.console import Console

from assistant.importers.attendance import (
    AttendanceError,
    evaluate_attendance,
    find_meeting_pairs,
)
from assistant.testing.cli import run_presence

TREE = Path(__file__).parent / "fixtures" / "meetbot"
SPEC = TREE / "spec_meeting" / "2021" / "spec_meeting.2021-03-15-19.01.log.txt"
FEDORA = TREE / "fedora_style" / "2021" / "fedora_style.2021-03-15-19.01.log.txt"


def presence(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_presence(*args, cwd=cwd)


def test_a_folder_is_searched_down_to_meetbots_name_year_layout() -> None:
    assert find_meeting_pairs([TREE]) == [
        (FEDORA, FEDORA.with_name("fedora_style.2021-03-15-19.01.txt")),
        (SPEC, SPEC.with_name("spec_meeting.2021-03-15-19.01.txt")),
    ]


async def test_every_variant_is_scored_exactly_zero_line_people_included() -> None:
    console = Console(file=io.StringIO(), width=200)
    fedora, spec = await evaluate_attendance([TREE], console)
    assert (spec.variant, spec.gold, spec.exact) == (
        "text",
        {"t-bast": 8, "lndev-bot": 3, "cdecker": 1, "ariard": 1, "rusty": 1},
        5,
    )
    assert fedora.variant == "fedora"
    assert fedora.gold == fedora.predicted
    assert fedora.gold == {
        "t-bast": 12,
        "lndev-bot": 6,
        "cdecker": 4,  # his "#chair joost" after "#unchair cdecker" counts, adds nobody
        "rusty": 2,  # "#here" is a line like any other
        "ariard": 1,
        "niftynei": 0,  # "#chair cdecker,niftynei"
        "roasbeef": 0,  # "#nick roasbeef"; his "#action" adds nothing more
        "bitconner": 0,  # chaired by cdecker while he was a chair
    }
    assert "joost" not in fedora.predicted and "ThomasV" not in fedora.predicted
    assert console.file.getvalue().splitlines()[-1] == (  # type: ignore[attr-defined]
        "attendance: exact=13/13 f1=100.0 meetings=2"
    )


def test_the_command_scores_a_nested_tree(tmp_path: Path) -> None:
    shutil.copytree(TREE, tmp_path / "meetings")
    result = presence("eval", "attendance", "meetings", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last == "attendance: exact=13/13 f1=100.0 meetings=2"
    assert "fedora" in result.stdout


def test_a_tree_without_any_log_below_it_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "meetings" / "2021").mkdir(parents=True)
    (tmp_path / "meetings" / "2021" / "notes.txt").write_text("no log\n", encoding="utf-8")
    with pytest.raises(AttendanceError, match="or any folder below it"):
        find_meeting_pairs([tmp_path / "meetings"])
    result = presence("eval", "attendance", "meetings", cwd=tmp_path)
    assert result.returncode == 2 and "no MeetBot X.log.txt files" in result.stderr


def test_a_nested_log_without_minutes_is_an_error(tmp_path: Path) -> None:
    year = tmp_path / "spec_meeting" / "2021"
    year.mkdir(parents=True)
    shutil.copy(SPEC, year)
    with pytest.raises(AttendanceError, match="no minutes beside it"):
        find_meeting_pairs([tmp_path])
