"""``presence replay`` into PostgreSQL: the history lands there; a second replay adds nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from assistant.storage.database import Database
from assistant.testing.cli import run_presence

GARDEN = Path(__file__).parent / "fixtures" / "#garden.2024-03-02.log"

CONFIG = """
[owner]
name = "me"

[storage]
backend = "postgresql"
dsn_env = "PRESENCE_TEST_DSN"

[analysis]
enabled = false

[summaries]
folder = "summaries"
"""


async def counts(dsn: str) -> tuple[int, int, int]:
    """Messages, messages with their import digest, and sessions."""
    async with await Database.open_postgresql(dsn) as db:
        found = []
        for sql in (
            "SELECT count(*) FROM messages",
            "SELECT count(DISTINCT e.message_id) FROM imported_events AS e "
            "JOIN messages AS m ON m.id = e.message_id",
            "SELECT count(*) FROM sessions WHERE status = 'ended'",
        ):
            row = await db.fetchone(sql)
            assert row is not None
            found.append(int(row[0]))
        return found[0], found[1], found[2]


def test_a_replay_into_postgresql_is_recorded_once(tmp_path: Path, postgres_dsn: str) -> None:
    config = tmp_path / "presence.toml"
    config.write_text(CONFIG, encoding="utf-8")
    env = {"PRESENCE_TEST_DSN": postgres_dsn}
    done = run_presence("replay", GARDEN, "--config", config, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert "sessions=1" in done.stdout
    assert asyncio.run(counts(postgres_dsn)) == (14, 14, 1)
    again = run_presence("replay", GARDEN, "--config", config, cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stderr
    assert "Nothing to replay" in again.stdout
    assert asyncio.run(counts(postgres_dsn)) == (14, 14, 1)
    assert not (tmp_path / "presence.sqlite3").exists()
