"""The owner's people commands, run as `presence ...` against a recorded database, on each
backend (the commands open what ``[storage]`` names, PostgreSQL included)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
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

[[networks.libera.channels]]
name = "#inner"
private = true

[[watchlist]]
name = "Darren"
identities = [{ platform = "irc", network = "libera", nick = "problogger" }]
"""


POSTGRESQL = """
[storage]
backend = "postgresql"
dsn_env = "PRESENCE_TEST_DSN"
"""


async def record(open_database: Callable[..., Awaitable[Database]]) -> None:
    async with await open_database() as db:
        recorder = Recorder(db, private_channels=[(NET, "#inner")])
        chat = ChatScript(NET, sink=recorder.record)
        chat.joined("problogger", "#blog")
        chat.said("problogger", "anyone podcasting?", "#blog", message_id="q")
        chat.said("ann", "problogger: yes, weekly", "#blog", message_id="a")
        chat.said("problogger", "ann: thanks!", "#blog", message_id="t")
        chat.said("ann", "whisper in the inner room", "#inner")
        chat.said("annphone", "ann on the phone", "#blog")
        await db.flush()
        for key, addressees, reply_to, topics in [
            ("q", "[]", "[]", '["podcasting"]'),
            ("a", '["problogger"]', '["q"]', '["podcasting"]'),
            ("t", '["ann"]', '["a"]', "[]"),
        ]:
            await db.execute(
                "INSERT INTO message_analyses (message_id, key, addressees, reply_to, topics, "
                "analyzed_at) SELECT id, message_id, ?, ?, ?, 0 FROM messages "
                "WHERE message_id = ?",
                (addressees, reply_to, topics, key),
            )


@pytest.fixture
def config(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    backend: str,
    open_database: Callable[..., Awaitable[Database]],
    request: pytest.FixtureRequest,
) -> Path:
    monkeypatch.setenv("COLUMNS", "200")
    path = tmp_path / "presence.toml"
    if backend == "postgresql":
        monkeypatch.setenv("PRESENCE_TEST_DSN", request.getfixturevalue("postgres_dsn"))
        path.write_text(POSTGRESQL + CONFIG, encoding="utf-8")
    else:
        path.write_text(CONFIG, encoding="utf-8")
    asyncio.run(record(open_database))
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out + out.err


def test_people_lists_everyone_and_discovery_gives_reasons(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(capsys, "people", "-c", str(config))
    assert code == 0 and "People (3)" in out
    assert "problogger" in out and "annphone" in out
    code, out = run(capsys, "people", "--discover", "-c", str(config))
    assert code == 0
    assert "Members worth watching" in out
    assert "ann" in out and "1 reply from 1 person; addressed or mentioned 1 time" in out
    assert "problogger" not in out  # already on the watchlist: not suggested again


def test_person_shows_identities_notability_and_topics(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(capsys, "person", "Darren", "-c", str(config))
    assert code == 0
    assert "problogger" in out
    assert "on your watchlist as Darren (priority 1)" in out
    assert "1 reply from 1 person" in out
    code, out = run(capsys, "person", "ann", "-c", str(config))
    assert "Recent topics: podcasting" in out
    code, out = run(capsys, "person", "nobody", "-c", str(config))
    assert code == 2 and "nobody called 'nobody'" in out


def test_seen_never_shows_a_private_channel(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(capsys, "seen", "ann", "-c", str(config))
    assert code == 0
    assert "#blog" in out and "problogger: yes, weekly" in out
    assert "#inner" not in out and "whisper" not in out


def test_merge_then_split_then_forget(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "people", "merge", "ann", "annphone", "-c", str(config))
    assert code == 0 and "annphone is now part of ann" in out
    code, out = run(capsys, "person", "annphone", "-c", str(config))
    assert "2 lines" in out  # public lines of both identities
    code, out = run(capsys, "people", "split", "ann", "annphone", "-c", str(config))
    assert code == 0 and "annphone is person" in out
    code, out = run(capsys, "people", "split", "ann", "annphone", "-c", str(config))
    assert code == 2 and "no identity 'annphone'" in out
    code, out = run(capsys, "forget", "ann", "--yes", "-c", str(config))
    assert code == 0 and "Forgot ann" in out
    code, out = run(capsys, "seen", "ann", "-c", str(config))
    assert code == 1 and "I have not seen ann" in out


def test_the_commands_read_postgresql_and_leave_no_sqlite_file(
    config: Path, backend: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(capsys, "people", "-c", str(config))
    assert code == 0 and "People (3)" in out
    sqlite_file = config.parent / "presence.sqlite3"
    assert sqlite_file.exists() == (backend == "sqlite")
