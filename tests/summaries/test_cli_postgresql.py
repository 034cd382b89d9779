"""``presence summary``, ``brief`` and ``catchup`` read PostgreSQL when ``[storage]`` names it."""

from __future__ import annotations

import json
from pathlib import Path

from assistant.storage.database import Database
from assistant.testing.cli import run_presence

from .conftest import DARREN_Q, END, START, record_scene
from .test_cli import CONFIG

POSTGRESQL = """
[storage]
backend = "postgresql"
dsn_env = "PRESENCE_TEST_DSN"
"""


async def test_summary_brief_and_catchup_of_a_chat_recorded_in_postgresql(
    postgres_dsn: str, tmp_path: Path
) -> None:
    config = CONFIG.replace('[storage]\npath = "chat.sqlite3"\n', POSTGRESQL)
    assert 'backend = "postgresql"' in config
    (tmp_path / "presence.toml").write_text(config, encoding="utf-8")
    async with await Database.open_postgresql(postgres_dsn) as db:
        await record_scene(db)
    env = {"PRESENCE_TEST_DSN": postgres_dsn}
    done = run_presence("summary", "--last", "--format", "md", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# Aussie bloggers — #bloggers on libera")
    assert "| Darren Rowse (darren) | ★ |" in done.stdout
    assert DARREN_Q in done.stdout
    done = run_presence("brief", "#bloggers", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert "- ★ Darren Rowse (darren): 1 of 1, usually arrives 08:31" in done.stdout
    assert f"- darren: {DARREN_Q}" in done.stdout
    span = ("--since", START.isoformat(), "--until", END.isoformat())
    done = run_presence("catchup", "#bloggers", *span, "--json", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["lines"] == 8
    assert not (tmp_path / "presence.sqlite3").exists()
