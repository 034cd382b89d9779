"""``presence summary`` as a user runs it: a real subprocess on a prepared database."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from assistant.storage.database import Database
from assistant.testing.cli import run_presence

from .conftest import DARREN_Q, record_scene

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

[plugins.summaries]
enabled = true
"""


def presence(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_presence(*args, cwd=cwd)


@pytest.fixture
async def prepared(tmp_path: Path) -> Path:
    """A config and a database holding one recorded, ended session."""
    (tmp_path / "presence.toml").write_text(CONFIG, encoding="utf-8")
    async with await Database.open(tmp_path / "chat.sqlite3") as db:
        await record_scene(db)
    return tmp_path


def test_summary_of_the_last_session_prints_markdown(prepared: Path) -> None:
    done = presence("summary", "--last", "--format", "md", cwd=prepared)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# Aussie bloggers — #bloggers on libera")
    assert "| Darren Rowse (darren) | ★ |" in done.stdout
    assert DARREN_Q in done.stdout


def test_summary_writes_html_and_json_into_a_folder(prepared: Path) -> None:
    out = prepared / "out"
    done = presence("summary", "1", "-f", "html", "-f", "json", "--out", str(out), cwd=prepared)
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == ["2024-01-07_libera_bloggers_s1.html", "2024-01-07_libera_bloggers_s1.json"]
    assert "Wrote" in done.stdout
    data = json.loads((out / names[1]).read_text(encoding="utf-8"))
    assert data["attendance"][0]["watch_name"] == "Darren Rowse"
    assert "data:image/png;base64," in (out / names[0]).read_text(encoding="utf-8")


def test_an_unknown_session_or_missing_database_says_what_to_do(
    prepared: Path, tmp_path: Path
) -> None:
    done = presence("summary", "42", cwd=prepared)
    assert done.returncode == 2
    assert "no session 42" in done.stderr and "--last" in done.stderr
    (prepared / "chat.sqlite3").rename(prepared / "moved.sqlite3")
    done = presence("summary", "--last", cwd=prepared)
    assert done.returncode == 2
    assert "no database at" in done.stderr
    done = presence("summary", cwd=prepared)
    assert done.returncode == 2
    assert "--last" in done.stderr


def test_brief_prints_who_usually_comes_and_the_open_questions(prepared: Path) -> None:
    done = presence("brief", "#bloggers", cwd=prepared)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Before #bloggers (#bloggers on libera) at ")
    assert "- ★ Darren Rowse (darren): 1 of 1, usually arrives 08:31" in done.stdout
    assert f"- darren: {DARREN_Q}" in done.stdout
    done = presence("brief", "#elsewhere", cwd=prepared)
    assert done.returncode == 2
    assert "no configured network has the channel #elsewhere" in done.stderr
