"""The quick start's main job: the demo attends a scripted chat and shows what it recorded."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.ircd
def test_demo_reports_attendance_lines_and_the_seen_answer(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "assistant", "demo", "--keep", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert result.returncode == 0, result.stderr
    rows = {
        match[0]: (match[1], match[2])
        for match in re.findall(r"│ (\w+)\s+│[^│]+│[^│]+│\s+(\d+) │ (yes|no)\s+│", result.stdout)
    }
    # problogger was there before Presence and quit; bob changed nick; carol parted.
    assert rows == {
        "problogger": ("1", "no"),
        "alice": ("2", "yes"),
        "bob_away": ("1", "yes"),
        "carol": ("2", "no"),
    }
    assert "carol was last seen in #bloggers" in result.stdout
    assert "not here now" in result.stdout
    with sqlite3.connect(tmp_path / "out" / "presence.sqlite3") as db:
        [(count,)] = db.execute("SELECT count(*) FROM messages").fetchall()
    assert count == 6
