"""Discord settings: the shipped example works, and mistakes get errors that say how to fix them."""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

import pytest

from assistant.config import ConfigError, parse_settings


def network(**table: Any) -> dict[str, Any]:
    return {"networks": {"server": table}}


def test_the_commented_discord_example_in_the_template_is_valid() -> None:
    template = resources.files("assistant").joinpath("templates/presence.example.toml")
    lines = template.read_text(encoding="utf-8").splitlines()
    start = lines.index("# [networks.bloggers-discord]")
    block = []
    for line in lines[start:]:
        if not line.startswith("#"):
            break
        block.append(line.removeprefix("#").removeprefix(" "))
    settings = parse_settings(tomllib.loads("\n".join(block)))
    discord = settings.networks["bloggers-discord"]
    assert (discord.platform, discord.token_env, discord.guild) == (
        "discord",
        "PRESENCE_DISCORD_TOKEN",
        "Aussie Bloggers",
    )
    assert [c.name for c in discord.channels] == ["#general", "#Office Hours"]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"platform": "discord"}, 'platform = "discord" needs token_env'),
        ({"platform": "discord", "token_env": "MTIzNDU2.abc-def"}, "NAME of an environment"),
        ({"token_env": "TOKEN", "guild": "x"}, 'guild, token_env: only for platform = "discord"'),
        (
            {"platform": "discord", "token_env": "T", "channels": [{"name": "general"}]},
            """write it as "#name" or its id""",
        ),
        (
            {
                "platform": "discord",
                "token_env": "T",
                "channels": [{"name": "123456789012345678", "private": True}],
            },
            "is private: name it as",
        ),
        (
            {"platform": "discord", "token_env": "T", "send_channels": ["general"]},
            "send_channels: write 'general' as",
        ),
        ({"platform": "discord", "token_env": "T", "backfill_limit": -1}, "backfill_limit"),
    ],
)
def test_discord_mistakes_are_explained(table: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(network(**table), "presence.toml")
    assert message in str(caught.value)
    assert str(caught.value).startswith("presence.toml: networks.server")
