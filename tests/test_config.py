"""Configuration: typed, validated, errors that say where and how to fix, secrets by env name."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from assistant.config import ConfigError, load_settings, secret


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "presence.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    return info.value.problems


def test_shipped_example_is_valid(tmp_path: Path) -> None:
    example = resources.files("assistant").joinpath("templates/presence.example.toml")
    settings = load_settings(write(tmp_path, example.read_text(encoding="utf-8")))
    libera = settings.networks["libera"]
    assert [c.name for c in libera.channels] == ["#aussie-bloggers", "#mastermind"]
    assert libera.channels[1].private
    assert settings.watchlist[0].name == "Darren"
    assert settings.owner.identities[0].account == "ann"


def test_relative_storage_path_resolves_next_to_the_config(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, '[storage]\npath = "data/p.sqlite3"\n'))
    assert settings.resolve(settings.storage.path) == tmp_path.resolve() / "data" / "p.sqlite3"


def test_wrong_type_names_file_key_value_and_help(tmp_path: Path) -> None:
    path = write(tmp_path, '[networks.libera]\nport = "six"\n')
    [problem] = problems(path)
    assert str(path) in problem
    assert "networks.libera.port" in problem
    assert "'six'" in problem
    assert "server port (1-65535)" in problem


def test_out_of_range_port(tmp_path: Path) -> None:
    [problem] = problems(write(tmp_path, "[networks.x]\nport = 70000\n"))
    assert "networks.x.port" in problem and "65535" in problem


def test_unknown_key_suggests_the_close_one(tmp_path: Path) -> None:
    [problem] = problems(write(tmp_path, "[networks.x]\nprot = 6667\n"))
    assert "networks.x.prot: unknown key" in problem
    assert 'did you mean "port"' in problem


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    found = problems(write(tmp_path, '[storage]\nbatch_size = 0\n[commands]\nprefix = ""\n'))
    assert len(found) == 2


def test_invalid_toml_gives_line_and_column(tmp_path: Path) -> None:
    [problem] = problems(write(tmp_path, "[owner\nname = 1\n"))
    assert "not valid TOML" in problem and "line 1" in problem


def test_missing_file_suggests_init(tmp_path: Path) -> None:
    [problem] = problems(tmp_path / "absent.toml")
    assert "presence init" in problem


def test_owner_needs_a_verified_identity_not_a_nick(tmp_path: Path) -> None:
    text = '[owner]\nidentities = [{ platform = "irc", nick = "ann" }]\n'
    [problem] = problems(write(tmp_path, text))
    assert "owner.identities" in problem and "account" in problem


def test_secret_value_in_place_of_env_name_is_refused(tmp_path: Path) -> None:
    [problem] = problems(write(tmp_path, '[networks.x]\nsasl_password_env = "hunter2!"\n'))
    assert "environment variable" in problem
    assert "hunter2" in problem  # the offending value is shown so the user can find it


def test_secret_reads_the_environment_and_hides_the_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PRESENCE_TEST_PASSWORD", "s3cret")
    value = secret("PRESENCE_TEST_PASSWORD")
    assert value.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(value) and "s3cret" not in str(value)
    monkeypatch.delenv("PRESENCE_TEST_PASSWORD")
    with pytest.raises(ConfigError, match="PRESENCE_TEST_PASSWORD is not set"):
        secret("PRESENCE_TEST_PASSWORD")


def test_ca_file_resolves_next_to_the_config(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, '[networks.x]\nca_file = "certs/ca.pem"\n'))
    assert settings.networks["x"].ca_file == tmp_path.resolve() / "certs" / "ca.pem"
