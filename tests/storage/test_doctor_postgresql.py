"""``presence doctor`` on a PostgreSQL config: the DSN is a secret, the server is checked online."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from assistant.commandline import main
from assistant.storage.database import Database, core_migrations

CONFIG = """
[storage]
backend = "postgresql"
dsn_env = "PRESENCE_TEST_DSN"
"""


def doctor(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> tuple[int, str]:
    code = main(["doctor", *args, "-c", str(config)])
    out = capsys.readouterr()
    return code, " ".join((out.out + out.err).split())


def test_doctor_checks_the_postgresql_database_online_only(
    tmp_path: Path,
    postgres_dsn: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "presence.toml"
    config.write_text(CONFIG, encoding="utf-8")
    parts = urlsplit(postgres_dsn)
    password = parts.password
    assert password
    shown = postgres_dsn.replace(f":{password}@", ":***@")
    monkeypatch.delenv("PRESENCE_TEST_DSN", raising=False)
    code, out = doctor(capsys, config)
    assert code == 1 and "✗ secrets: PRESENCE_TEST_DSN not set" in out

    monkeypatch.setenv("PRESENCE_TEST_DSN", postgres_dsn)
    code, out = doctor(capsys, config)
    assert code == 0, out
    assert "✓ secrets: PRESENCE_TEST_DSN set" in out
    assert f"✓ database PostgreSQL at {shown} (not contacted; --online checks it)" in out
    latest = len(core_migrations())
    code, out = doctor(capsys, config, "--online")
    assert code == 0, out
    assert f"{shown}: reachable, migrated at first run (schema {latest})" in out

    async def migrate() -> None:
        async with await Database.open_postgresql(postgres_dsn):
            pass

    asyncio.run(migrate())
    code, out = doctor(capsys, config, "--online")
    assert code == 0, out
    assert f"{shown}: reachable, schema {latest} (current)" in out

    wrong = parts._replace(netloc=parts.netloc.replace(f":{password}@", ":wrong@"))
    monkeypatch.setenv("PRESENCE_TEST_DSN", urlunsplit(wrong))
    code, out = doctor(capsys, config, "--online")
    assert code == 1
    assert "cannot connect (password authentication failed" in out
    assert password not in out and ":wrong@" not in out
    assert not (tmp_path / "presence.sqlite3").exists()
