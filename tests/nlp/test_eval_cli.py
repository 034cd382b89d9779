"""`presence eval` as a user runs it: the exact last line, and exit 2 on bad input."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from assistant.nlp.disentangle_format import read_transcript
from assistant.nlp.evaluate import scored_questions
from assistant.testing.cli import run_presence

FIXTURES = Path(__file__).parent / "fixtures"
EXCERPT = FIXTURES / "2012-03-24.excerpt.raw.txt"


def presence(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_presence(*args, cwd=cwd, columns=80)


@pytest.mark.parametrize(("kind", "noun"), [("replies", "messages"), ("unanswered", "questions")])
def test_last_line_format(tmp_path: Path, kind: str, noun: str) -> None:
    transcript = read_transcript(EXCERPT)
    count = len(transcript.links) if kind == "replies" else len(scored_questions(transcript))
    result = presence("eval", kind, FIXTURES, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    last = result.stdout.rstrip("\n").splitlines()[-1]
    pattern = rf"{kind}: precision=\d+\.\d recall=\d+\.\d f1=\d+\.\d {noun}=(\d+)"
    match = re.fullmatch(pattern, last)
    assert match is not None, last
    assert int(match[1]) == count
    assert "2012-03-24.excerpt" in result.stdout


def test_replies_on_the_excerpt_beat_the_nick_rule(tmp_path: Path) -> None:
    result = presence("eval", "replies", EXCERPT, cwd=tmp_path)
    f1 = float(re.findall(r"f1=(\d+\.\d)", result.stdout)[-1])
    assert f1 >= 60.0


def test_malformed_line_exits_2_naming_file_and_line(tmp_path: Path) -> None:
    raw = tmp_path / "bad.raw.txt"
    lines = EXCERPT.read_text(encoding="utf-8").splitlines()
    lines[4] = "garbage without a timestamp"
    raw.write_text("\n".join(lines) + "\n", encoding="utf-8")
    shutil.copy(FIXTURES / "2012-03-24.excerpt.annotation.txt", tmp_path / "bad.annotation.txt")
    result = presence("eval", "replies", raw, cwd=tmp_path)
    assert result.returncode == 2
    assert "bad.raw.txt:5" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_annotation_exits_2_naming_it(tmp_path: Path) -> None:
    shutil.copy(EXCERPT, tmp_path / "lonely.raw.txt")
    result = presence("eval", "unanswered", tmp_path / "lonely.raw.txt", cwd=tmp_path)
    assert result.returncode == 2
    assert "lonely.annotation.txt" in result.stderr
    assert "Traceback" not in result.stderr
