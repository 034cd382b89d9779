"""`presence export`, `backup` and `restore` against a recorded database."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

from assistant.commandline import main
from assistant.recorder import Recorder
from assistant.storage.database import Database
from assistant.testing.factories import ChatScript

NET = "libera"
CONFIG = """
[[networks.libera.channels]]
name = "#blog"

[[watchlist]]
name = "Darren"
notes = "runs the podcast"
identities = [{ platform = "irc", network = "libera", nick = "problogger" }]
"""


async def record(path: Path) -> None:
    async with await Database.open(path) as db:
        chat = ChatScript(NET, sink=Recorder(db).record)
        chat.joined("problogger", "#blog")
        chat.said("problogger", "anyone podcasting?", "#blog")
        chat.said("ann", "yes, weekly", "#blog")
        chat.said("problogger", "thanks!", "#blog")


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COLUMNS", "200")
    path = tmp_path / "presence.toml"
    path.write_text(CONFIG, encoding="utf-8")
    asyncio.run(record(tmp_path / "presence.sqlite3"))
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_export_writes_a_persons_data_with_their_watchlist_entry(
    config: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(capsys, "export", "Darren", "-c", str(config))
    assert code == 0
    data = json.loads(out)
    assert data["asked_for"] == "Darren"
    assert [row["text"] for row in data["tables"]["messages"]] == ["anyone podcasting?", "thanks!"]
    assert [entry["notes"] for entry in data["configured"]] == ["runs the podcast"]
    assert '"ann"' not in out and "weekly" not in out

    target = tmp_path / "darren.json"
    code, _, err = run(capsys, "export", "problogger", "-o", str(target), "-c", str(config))
    assert code == 0 and f"Wrote {target}" in err.replace("\n", "")
    assert json.loads(target.read_text(encoding="utf-8"))["person_id"] == data["person_id"]
    code, _, err = run(capsys, "export", "problogger", "-o", str(target), "-c", str(config))
    assert code == 2 and "already exists" in err
    code, _, err = run(capsys, "export", "nobody", "-c", str(config))
    assert code == 2 and "nobody called 'nobody'" in err
    missing = tmp_path / "missing" / "x.json"
    code, _, err = run(capsys, "export", "ann", "-o", str(missing), "-c", str(config))
    assert code == 2 and "does not exist" in err


def test_backup_and_restore(
    config: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    copy = tmp_path / "copy.sqlite3"
    code, out, _ = run(capsys, "backup", str(copy), "-c", str(config))
    assert code == 0
    assert "Backed up" in out and str(copy) in out.replace("\n", "") and "3 messages" in out
    assert "presence restore" in out
    code, _, err = run(capsys, "backup", str(tmp_path / "no" / "copy"), "-c", str(config))
    assert code == 2 and "does not exist" in err.replace("\n", " ")

    database = tmp_path / "presence.sqlite3"
    conn = sqlite3.connect(database)
    conn.execute("DELETE FROM messages")
    conn.commit()
    conn.close()
    code, out, _ = run(capsys, "restore", str(copy), "--yes", "-c", str(config))
    assert code == 0 and "Restored" in out and "before-restore" in out.replace("\n", "")
    code, out, _ = run(capsys, "export", "ann", "-c", str(config))
    assert code == 0 and "yes, weekly" in out
