"""Commands that cannot work on a PostgreSQL history yet say so and what to do instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.commandline import main

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


def test_import_says_it_writes_to_sqlite_only(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = config.parent / "#chat.log"
    log.write_text("--- Log opened Sun May 05 09:00:00 2024\n", encoding="utf-8")
    code, out = run(capsys, "import", str(log), "-c", str(config))
    assert code == 2
    assert "import does not write to PostgreSQL yet" in " ".join(out.split())
    assert not (config.parent / "presence.sqlite3").exists()
