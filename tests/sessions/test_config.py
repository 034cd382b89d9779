"""Schedule and session settings: clear errors that say how to fix them, and documented keys."""

from __future__ import annotations

import tomllib
from datetime import time
from pathlib import Path

import pytest
from pydantic import BaseModel

from assistant.config import (
    ConfigError,
    ScheduleSettings,
    SessionSettings,
    Settings,
    parse_settings,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"

CONFIG = """
[sessions]
burst_lines = 6

[[networks.libera.channels]]
name = "#bloggers"
join_on_schedule = true

[[networks.libera.channels.schedules]]
name = "Aussie bloggers"
days = ["Sunday"]
time = 19:30:00
timezone = "Australia/Sydney"
duration = 90
"""


def parse(text: str) -> Settings:
    return parse_settings(tomllib.loads(text), "presence.toml")


def test_a_weekly_chat_reads_as_written() -> None:
    settings = parse(CONFIG)
    [channel] = settings.networks["libera"].channels
    [schedule] = channel.schedules
    assert channel.join_on_schedule
    assert (schedule.days, schedule.time, schedule.join_early, schedule.stay_after) == (
        ["sunday"],
        time(19, 30),
        10,
        15,
    )
    assert settings.sessions.burst_lines == 6


def test_an_unknown_time_zone_says_how_to_find_valid_ones() -> None:
    with pytest.raises(ConfigError) as caught:
        parse(CONFIG.replace("Australia/Sydney", "Australia/Sidney"))
    [problem] = caught.value.problems
    assert "networks.libera.channels.0.schedules.0.timezone" in problem
    assert 'did you mean "Australia/Sydney"?' in problem
    assert "zoneinfo.available_timezones()" in problem


@pytest.mark.parametrize(
    ("change", "expect"),
    [
        (('days = ["Sunday"]', 'days = ["Sundae"]'), "schedules.0.days.0"),
        (("time = 19:30:00", 'time = "7.30pm"'), "schedules.0.time"),
        (("duration = 90", "duration = 0"), "schedules.0.duration"),
        (('name = "Aussie bloggers"\n', ""), "schedules.0.name: Field required"),
    ],
)
def test_a_bad_schedule_names_the_key(change: tuple[str, str], expect: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(CONFIG.replace(*change))
    assert any(expect in problem for problem in caught.value.problems), caught.value.problems


def test_joining_on_schedule_needs_a_schedule() -> None:
    text = '[[networks.libera.channels]]\nname = "#x"\njoin_on_schedule = true\n'
    with pytest.raises(ConfigError) as caught:
        parse(text)
    assert "needs at least one [[networks.NAME.channels.schedules]]" in str(caught.value)


@pytest.mark.parametrize("section", [ScheduleSettings, SessionSettings], ids=lambda s: s.__name__)
def test_every_session_key_is_documented(section: type[BaseModel]) -> None:
    text = DOCS.read_text(encoding="utf-8")
    for name, info in section.model_fields.items():
        assert f"`{name}`" in text, f"docs/configuration.md does not mention {name}"
        assert info.description
