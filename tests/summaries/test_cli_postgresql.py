"""``presence summary`` reads a session recorded in PostgreSQL when ``[storage]`` names it."""

from __future__ import annotations

from pathlib import Path

from assistant.storage.database import Database
from assistant.testing.cli import run_presence

from .conftest import DARREN_Q, record_scene
from .test_cli import CONFIG

POSTGRESQL = """
[storage]
backend = "postgresql"
dsn_env = "PRESENCE_TEST_DSN"
"""


async def test_summary_of_the_last_session_recorded_in_postgresql(
    postgres_dsn: str, tmp_path: Path
) -> None:
    config = CONFIG.replace('[storage]\npath = "chat.sqlite3"\n', POSTGRESQL)
    assert 'backend = "postgresql"' in config
    (tmp_path / "presence.toml").write_text(config, encoding="utf-8")
    async with await Database.open_postgresql(postgres_dsn) as db:
        await record_scene(db)
    done = run_presence(
        "summary", "--last", "--format", "md", cwd=tmp_path, env={"PRESENCE_TEST_DSN": postgres_dsn}
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# Aussie bloggers — #bloggers on libera")
    assert "| Darren Rowse (darren) | ★ |" in done.stdout
    assert DARREN_Q in done.stdout
    assert not (tmp_path / "presence.sqlite3").exists()
