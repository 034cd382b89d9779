"""Forgetting someone reaches the summary files written about their chats, on either backend."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.storage.database import Database
from assistant.testing.cli import run_presence

from .conftest import DARREN_Q, DARREN_TO_ANN, POST, record_scene
from .test_cli import CONFIG
from .test_cli_postgresql import POSTGRESQL

FILES = ["2024-01-07_libera_bloggers_s1.html", "2024-01-07_libera_bloggers_s1.json"]


@dataclass
class Written:
    """The folder of ``presence.toml``, and the environment its ``[storage]`` needs."""

    cwd: Path
    env: dict[str, str]


@pytest.fixture
async def written(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Written:
    """A recorded session whose summary files are in the configured folder."""
    config = CONFIG + '\n[summaries]\nfolder = "summaries"\nformats = ["html", "json"]\n'
    if backend == "postgresql":
        dsn = request.getfixturevalue("postgres_dsn")
        config = config.replace('[storage]\npath = "chat.sqlite3"\n', POSTGRESQL)
        where = Written(tmp_path, {"PRESENCE_TEST_DSN": dsn})
        opened = Database.open_postgresql(dsn)
    else:
        where = Written(tmp_path, {})
        opened = Database.open(tmp_path / "chat.sqlite3")
    (tmp_path / "presence.toml").write_text(config, encoding="utf-8")
    async with await opened as db:
        await record_scene(db)
    done = run_presence(
        "summary",
        "1",
        "-f",
        "html",
        "-f",
        "json",
        "--out",
        "summaries",
        cwd=where.cwd,
        env=where.env,
    )
    assert done.returncode == 0, done.stderr
    return where


def test_presence_forget_rewrites_the_summaries_that_held_their_words(written: Written) -> None:
    folder = written.cwd / "summaries"
    before = {name: (folder / name).read_text(encoding="utf-8") for name in FILES}
    assert all(DARREN_Q in text for text in before.values())  # the question they asked

    done = run_presence("forget", "darren", "--yes", cwd=written.cwd, env=written.env)

    assert done.returncode == 0, done.stderr
    assert "2 summary files rewritten without them" in done.stdout
    assert sorted(p.name for p in folder.iterdir()) == FILES  # same files, in place
    for name in FILES:
        text = (folder / name).read_text(encoding="utf-8")
        for words in (DARREN_Q, DARREN_TO_ANN, POST):
            assert words not in text, f"{name} still holds {words!r}"
        assert "carol" in text.lower()  # the others' part of the chat is still summarised
