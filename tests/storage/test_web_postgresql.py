"""The dashboard does not read PostgreSQL yet: `presence web` says so, `presence run` records on."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from assistant.app import Assistant
from assistant.commandline import main
from assistant.config import parse_settings
from assistant.testing.fake import FakeConnector

CONFIG = """
[storage]
backend = "postgresql"
dsn_env = "PRESENCE_TEST_DSN"
"""


def test_presence_web_says_it_reads_sqlite_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "presence.toml"
    config.write_text(CONFIG, encoding="utf-8")
    code = main(["web", "-c", str(config)])
    out = " ".join(capsys.readouterr().err.split())
    assert code == 2
    assert "presence web does not read PostgreSQL yet" in out
    assert "presence db copy --to sqlite" in out
    assert not (tmp_path / "presence.sqlite3").exists()


async def test_run_with_the_dashboard_on_records_into_postgresql_without_it(
    tmp_path: Path,
    postgres_dsn: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("PRESENCE_TEST_DSN", postgres_dsn)
    monkeypatch.chdir(tmp_path)  # where a relative [storage] path would be
    settings = parse_settings(
        {
            "storage": {"backend": "postgresql", "dsn_env": "PRESENCE_TEST_DSN"},
            "analysis": {"enabled": False},
            "web": {"enabled": True, "port": 0},
        }
    )
    fake = FakeConnector()
    assistant = Assistant(settings, connectors=[fake], plugin_classes={})
    with caplog.at_level(logging.ERROR, logger="assistant.app"):
        await assistant.start()
    try:
        await fake.wait_connected()
        await fake.say("alice", "still recorded")
        await assistant.db.flush()
        rows = await assistant.db.fetchall("SELECT text FROM messages")
        assert [row[0] for row in rows] == ["still recorded"]
    finally:
        await assistant.stop()
    assert "web: the dashboard does not read postgresql yet" in caplog.text
    assert not (tmp_path / "presence.sqlite3").exists()
