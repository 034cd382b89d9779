"""Choosing PostgreSQL in [storage]: the DSN from the environment, its password never shown."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from assistant.config import ConfigError, parse_settings
from assistant.storage.database import Database
from assistant.storage.postgresql import redact_dsn
from assistant.storage.writer import StorageError
from assistant.testing.postgres import PostgresCluster

POSTGRESQL_STORAGE = {"backend": "postgresql", "dsn_env": "PRESENCE_TEST_DSN"}
INSERT = "INSERT INTO plugin_kv (plugin, key, value) VALUES (?, ?, ?)"


def storage_settings(**storage: object) -> object:
    return parse_settings({"storage": storage}).storage


def test_postgresql_without_a_dsn_variable_is_refused_with_what_to_add() -> None:
    with pytest.raises(ConfigError, match="needs dsn_env"):
        storage_settings(backend="postgresql")
    with pytest.raises(ConfigError, match="NAME of an environment variable"):
        storage_settings(backend="postgresql", dsn_env="postgresql://u:p@h/db")
    with pytest.raises(ConfigError, match='dsn_env is for backend = "postgresql"'):
        storage_settings(dsn_env="PRESENCE_DSN")


async def test_the_configured_database_records_and_never_logs_the_password(
    postgres_cluster: PostgresCluster,
    postgres_dsn: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("PRESENCE_TEST_DSN", postgres_dsn)
    settings = parse_settings(
        {"storage": {"backend": "postgresql", "dsn_env": "PRESENCE_TEST_DSN"}}
    )
    async with await Database.open_configured(settings.storage, tmp_path / "unused.sqlite3") as db:
        await db.execute(
            "INSERT INTO plugin_kv (plugin, key, value) VALUES (?, ?, ?)", ("p", "k", "v")
        )
        row = await db.fetchone("SELECT value FROM plugin_kv WHERE key = ?", ("k",))
        assert row is not None and row["value"] == "v"
        assert db.backend.name == "postgresql"
        assert postgres_cluster.password not in repr(db)
        with pytest.raises(StorageError, match="has no file"):
            _ = db.path
    assert not (tmp_path / "unused.sqlite3").exists()
    assert "connected to PostgreSQL at postgresql://presence:***@127.0.0.1" in caplog.text
    assert postgres_cluster.password not in caplog.text


async def test_a_refused_login_says_where_without_the_password(
    postgres_cluster: PostgresCluster, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = postgres_cluster.dsn().replace(postgres_cluster.password, "wrong-secret-4242")
    with pytest.raises(ConnectionError) as raised:
        await Database.open_postgresql(wrong)
    message = str(raised.value)
    assert f"127.0.0.1:{postgres_cluster.port}" in message and "***" in message
    assert "password authentication failed" in message
    assert "wrong-secret-4242" not in message + caplog.text


async def test_an_unset_dsn_variable_is_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("PRESENCE_TEST_DSN", raising=False)
    settings = parse_settings(
        {"storage": {"backend": "postgresql", "dsn_env": "PRESENCE_TEST_DSN"}}
    )
    with pytest.raises(ConfigError, match="PRESENCE_TEST_DSN is not set"):
        await Database.open_configured(settings.storage, tmp_path / "unused.sqlite3")


@pytest.mark.parametrize(
    ("dsn", "shown"),
    [
        ("postgresql://presence:s3cret@db:5432/p", "postgresql://presence:***@db:5432/p"),
        ("postgresql://presence:s3@cret@db/p", "postgresql://presence:***@db/p"),
        ("postgres://presence@db/p", "postgres://presence@db/p"),
        (
            "host=db user=presence password='s3 cret' dbname=p",
            "host=db user=presence password=*** dbname=p",
        ),
    ],
)
def test_a_dsn_is_shown_with_its_password_masked(dsn: str, shown: str) -> None:
    assert redact_dsn(dsn) == shown
