"""``presence db copy``: a history moved into PostgreSQL and back, as the user runs it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from assistant.commandline import main
from assistant.storage.database import Database
from assistant.testing.postgres import PostgresCluster
from tests.storage.test_copy import everything, seed

VARIABLE = "PRESENCE_TARGET_DSN"


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str]:
    code = main([str(arg) for arg in args])
    out = capsys.readouterr()
    # Words only: the tables' borders and the lines' wrapping left out.
    return code, " ".join((out.out + out.err).translate({ord(c): " " for c in "│┃"}).split())


def write_config(folder: Path, storage: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / "presence.toml"
    path.write_text(f"[storage]\n{storage}\n", encoding="utf-8")
    return path


async def _seed(path: Path) -> None:
    async with await Database.open(path) as db:
        await seed(db)


async def _rows_of_file(path: Path) -> dict[str, object]:
    async with await Database.open(path) as db:
        return dict(await everything(db))


async def _rows_of_dsn(dsn: str) -> dict[str, object]:
    async with await Database.open_postgresql(dsn) as db:
        return dict(await everything(db))


@pytest.fixture
def sqlite_config(tmp_path: Path) -> Path:
    """A configuration whose history is an SQLite file with a chat recorded in it."""
    config = write_config(tmp_path / "laptop", 'path = "presence.sqlite3"')
    asyncio.run(_seed(config.parent / "presence.sqlite3"))
    return config


def test_a_history_moves_into_postgresql_and_back(
    sqlite_config: Path,
    postgres_dsn: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(VARIABLE, postgres_dsn)
    code, out = run(
        capsys, "db", "copy", "--to", "postgresql", "--to-dsn-env", VARIABLE, "-c", sqlite_config
    )
    assert code == 0, out
    assert "Rows per table" in out and "messages 25 25 25" in out
    assert f'backend = "postgresql" and dsn_env = "{VARIABLE}"' in out
    assert postgres_dsn not in out and "***" in out  # the DSN shown with its password masked
    source = sqlite_config.parent / "presence.sqlite3"
    assert asyncio.run(_rows_of_dsn(postgres_dsn)) == asyncio.run(_rows_of_file(source))

    code, out = run(
        capsys, "db", "copy", "--to", "postgresql", "--to-dsn-env", VARIABLE, "-c", sqlite_config
    )
    assert code == 0, out
    assert "messages 25 25 complete already" in out and "import_files 0 0 empty" in out
    assert "Nothing to copy" in out

    server = write_config(tmp_path / "server", f'backend = "postgresql"\ndsn_env = "{VARIABLE}"')
    back = tmp_path / "back" / "presence.sqlite3"
    back.parent.mkdir()
    code, out = run(capsys, "db", "copy", "--to", "sqlite", "--to-path", back, "-c", server)
    assert code == 0, out
    assert asyncio.run(_rows_of_file(back)) == asyncio.run(_rows_of_file(source))

    # The owner's questions get the same answers from the copy as from the original.
    copied = write_config(back.parent, 'path = "presence.sqlite3"')
    for question in (["people"], ["seen", "Élodie"], ["seen", "renamed"]):
        code, original = run(capsys, *question, "-c", sqlite_config)
        assert code == 0, original
        assert run(capsys, *question, "-c", copied) == (0, original)
        assert run(capsys, *question, "-c", server) == (0, original)


def test_a_target_holding_another_history_is_refused(
    sqlite_config: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    other = tmp_path / "other.sqlite3"
    asyncio.run(_seed(other))
    asyncio.run(_other_network(other))
    code, out = run(capsys, "db", "copy", "--to", "sqlite", "--to-path", other, "-c", sqlite_config)
    assert code == 1
    assert "another history" in out and "copy into an empty database" in out


async def _other_network(path: Path) -> None:
    async with await Database.open(path) as db:
        await db.execute("UPDATE networks SET name = 'oftc'")


def test_a_missing_or_wrong_dsn_is_a_clear_error_without_the_password(
    sqlite_config: Path,
    postgres_cluster: PostgresCluster,
    postgres_dsn: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv(VARIABLE, raising=False)
    copy = ("db", "copy", "--to", "postgresql", "-c", sqlite_config)
    code, out = run(capsys, *copy, "--to-dsn-env", VARIABLE)
    assert code == 2
    assert f"environment variable {VARIABLE} is not set" in out
    code, out = run(capsys, *copy)
    assert code == 2 and "--to-dsn-env VAR" in out

    wrong = "not-the-password-4711"
    monkeypatch.setenv(VARIABLE, postgres_dsn.replace(postgres_cluster.password, wrong))
    code, out = run(capsys, *copy, "--to-dsn-env", VARIABLE)
    assert code == 1
    assert "cannot connect to PostgreSQL" in out and "password authentication failed" in out
    assert wrong not in out and postgres_cluster.password not in out


def test_the_source_and_the_target_must_differ(
    sqlite_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(capsys, "db", "copy", "--to", "sqlite", "-c", sqlite_config)
    assert code == 2 and "the same database" in out
    code, out = run(
        capsys, "db", "copy", "--to", "sqlite", "--from", "nothing.sqlite3", "-c", sqlite_config
    )
    assert code == 2 and "nothing.sqlite3 does not exist" in out
