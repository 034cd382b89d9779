"""The access token: made once, kept private next to the database, replaced by a password."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import ConfigError, parse_settings
from assistant.web.access import load_access, token_path
from assistant.web.server import is_loopback


def test_the_token_is_made_once_and_kept_readable_by_the_owner_only(tmp_path: Path) -> None:
    settings = parse_settings({"storage": {"path": str(tmp_path / "presence.sqlite3")}})
    first = load_access(settings)
    assert first.new_token
    path = token_path(tmp_path / "presence.sqlite3")
    assert path.stat().st_mode & 0o777 == 0o600
    again = load_access(settings)
    assert not again.new_token and again.secret == first.secret
    assert again.cookie == first.cookie and first.secret not in first.cookie
    assert again.accepts(first.secret) and not again.accepts(first.secret + "x")
    assert first.secret not in repr(first)


def test_a_password_from_the_environment_replaces_the_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = parse_settings(
        {
            "storage": {"path": str(tmp_path / "presence.sqlite3")},
            "web": {"password_env": "PRESENCE_WEB_PASSWORD"},
        }
    )
    monkeypatch.delenv("PRESENCE_WEB_PASSWORD", raising=False)
    with pytest.raises(ConfigError, match="PRESENCE_WEB_PASSWORD is not set"):
        load_access(settings)
    monkeypatch.setenv("PRESENCE_WEB_PASSWORD", "correct horse")
    access = load_access(settings)
    assert access.accepts("correct horse") and not access.new_token
    assert not token_path(tmp_path / "presence.sqlite3").exists()


def test_only_loopback_addresses_count_as_private() -> None:
    assert all(map(is_loopback, ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"]))
    assert not any(map(is_loopback, ["0.0.0.0", "192.168.1.10", "::", "example.org"]))
