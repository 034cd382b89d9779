"""Commands on a PostgreSQL history: import writes there; backup and restore point to pg_dump."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from assistant.commandline import main
from assistant.storage.database import Database

CONFIG = """
[storage]
backend = "postgresql"
dsn_env = "PRESENCE_TEST_DSN"
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "presence.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out + out.err


def test_backup_and_restore_point_to_pg_dump(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = str(config.parent / "copy.sqlite3")
    for command in ("backup", "restore"):
        code, out = run(capsys, command, copy, "-c", str(config))
        assert code == 2
        assert f"`presence {command}` copies an SQLite file" in out
        assert "back a PostgreSQL database up with pg_dump" in " ".join(out.split())
    assert not (config.parent / "presence.sqlite3").exists()


def test_import_writes_to_postgresql_and_adds_nothing_the_second_time(
    config: Path,
    postgres_dsn: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PRESENCE_TEST_DSN", postgres_dsn)
    log = config.parent / "#chat.2024-05-05.log"
    log.write_text("09:00 <ann> hello\n09:01 * bo waves\n09:02 <ann> bye\n", encoding="utf-8")
    code, out = run(capsys, "import", str(log), "-c", str(config))
    assert code == 0, out
    assert out.strip().splitlines()[-1].startswith("import: files=1 lines=3 recorded=3 ")
    log.write_text(log.read_text(encoding="utf-8") + "09:03 <bo> later\n", encoding="utf-8")
    code, out = run(capsys, "import", str(log), "-c", str(config))
    assert code == 0, out
    assert "recorded=1 duplicates=3" in out.strip().splitlines()[-1]

    async def rows() -> list[tuple[object, ...]]:
        async with await Database.open_postgresql(postgres_dsn) as db:
            found = await db.fetchall(
                "SELECT m.text, count(e.digest) FROM messages AS m "
                "LEFT JOIN imported_events AS e ON e.message_id = m.id GROUP BY m.id ORDER BY m.id"
            )
            return [tuple(row) for row in found]

    assert asyncio.run(rows()) == [("hello", 1), ("waves", 1), ("bye", 1), ("later", 1)]
    assert not (config.parent / "presence.sqlite3").exists()
