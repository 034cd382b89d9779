"""The openings settings are the plugin's ``[plugins.openings]``; an old ``[openings]`` says so."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import pytest
from assistant_openings import OpeningsConfig, OpeningsPlugin

from assistant.config import (
    ConfigError,
    OpeningsSettings,
    load_settings,
    parse_settings,
    plugin_table,
)
from assistant.demo_script import config_text
from assistant.doctor import secret_names
from assistant.plugins import PluginHost, validate_plugin_settings
from assistant.testing.database import temporary_database

OLD = """
[openings]
notify = ["console"]
min_score = 0.5

[openings.pacing]
ready_chats = 4

[plugins.openings]
disabled = ["lull"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "presence.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_old_openings_table_says_where_each_key_moved(tmp_path: Path) -> None:
    path = write(tmp_path, OLD + "\n[storage]\nbatch_size = 0\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    moved, other = caught.value.problems
    assert moved.startswith(f"{path}: [openings] moved to [plugins.openings]")
    assert "rename [openings] to [plugins.openings] and [openings.pacing] to " in moved
    assert "[plugins.openings.pacing]" in moved
    assert "openings.notify -> plugins.openings.notify" in moved
    assert "openings.min_score -> plugins.openings.min_score" in moved
    assert "openings.pacing.ready_chats -> plugins.openings.pacing.ready_chats" in moved
    assert "merge them into the [plugins.openings] table already there (disabled)" in moved
    assert "storage.batch_size" in other, "the other problems are reported with it"


def test_an_old_openings_table_alone_names_no_merge(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, "[openings]\ncooldown = 0\n"))
    [moved] = caught.value.problems
    assert "openings.cooldown -> plugins.openings.cooldown" in moved
    assert "merge" not in moved and "pacing" not in moved


def test_the_plugin_validates_its_table_with_the_help_text(tmp_path: Path) -> None:
    text = "[plugins.openings]\nmin_score = 2\n[plugins.openings.pacing]\nready_chats = 0\n"
    settings = load_settings(write(tmp_path, text))
    with pytest.raises(ConfigError) as caught:
        validate_plugin_settings(settings, {"openings": OpeningsPlugin})
    score, chats = caught.value.problems
    assert "plugins.openings.min_score: Input should be less than or equal to 1 (got 2)" in score
    assert "openings scoring below this (0-1) are not sent" in score
    assert "plugins.openings.pacing.ready_chats" in chats
    with pytest.raises(ConfigError, match=r"plugins\.openings\.pacing\.ready_chats"):
        plugin_table(settings, "openings", OpeningsSettings)


def test_the_settings_of_the_table_reach_the_engine_and_the_core_readers(tmp_path: Path) -> None:
    text = (
        "[plugins.openings]\nhourly_cap = 3\ndisabled = []\n"
        'webhook_url_env = "PRESENCE_TEST_HOOK"\n[plugins.openings.pacing]\nready_chats = 5\n'
    )
    settings = load_settings(write(tmp_path, text))
    [config] = validate_plugin_settings(settings, {"openings": OpeningsPlugin}).values()
    assert isinstance(config, OpeningsConfig)
    assert config.hourly_cap == 3 and config.pacing.ready_chats == 5
    core = plugin_table(settings, "openings", OpeningsSettings)
    assert core.hourly_cap == 3 and core.pacing.ready_chats == 5
    assert "PRESENCE_TEST_HOOK" in secret_names(settings)


async def test_the_engine_runs_with_the_plugins_table() -> None:
    settings = parse_settings({"plugins": {"openings": {"notify": [], "hourly_cap": 3}}})

    async def send(network: str, target: str, text: str) -> None:
        del network, target, text

    async with temporary_database() as db:
        host = PluginHost(settings, db, send, plugin_classes={"openings": OpeningsPlugin})
        await host.start()
        try:
            plugin = host.instance("openings")
            assert isinstance(plugin, OpeningsPlugin)
            assert plugin.engine.settings.hourly_cap == 3
            assert plugin.engine.settings.notify == []
        finally:
            await host.stop()


@pytest.mark.parametrize("which", ["template", "demo"])
def test_the_shipped_configs_pass_the_plugins_checks(tmp_path: Path, which: str) -> None:
    if which == "template":
        template = resources.files("assistant").joinpath("templates/presence.example.toml")
        text = template.read_text(encoding="utf-8")
    else:
        text = config_text("127.0.0.1", 6667, datetime(2024, 5, 5, 9, 30, tzinfo=UTC))
    settings = load_settings(write(tmp_path, text))
    configs = validate_plugin_settings(settings)  # the installed plugins, as `config check`
    openings = configs["openings"]
    assert isinstance(openings, OpeningsConfig)
    assert openings.notify == ["console", "dm"]
    assert openings.hourly_cap == (6 if which == "template" else 20)
