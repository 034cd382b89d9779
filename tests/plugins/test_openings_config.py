"""``[plugins.openings]`` adds or turns off detectors, and says clearly what is wrong."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from assistant_openings import OpeningsPlugin

from assistant.config import parse_settings
from assistant.openings.detector import Detector
from assistant.openings.opening import Candidate
from assistant.openings.room import Observation
from assistant.plugins import PluginError, PluginHost
from assistant.testing.database import temporary_database


class Everything(Detector):
    """A test detector: every notable line is an opening."""

    kind = "everything"

    def on_line(self, obs: Observation) -> Iterable[Candidate]:
        return ()


async def start(section: dict[str, Any]) -> list[str]:
    settings = parse_settings({"plugins": {"openings": section}, "openings": {"notify": []}})

    async def send(network: str, target: str, text: str) -> None:
        del network, target, text

    async with temporary_database() as db:
        host = PluginHost(settings, db, send, plugin_classes={"openings": OpeningsPlugin})
        await host.start()
        try:
            plugin: Any = host.instance("openings")
            return [type(d).kind for d in plugin.engine.detectors]
        finally:
            await host.stop()


async def test_detectors_can_be_added_and_turned_off() -> None:
    kinds = await start({"detectors": [f"{__name__}:Everything"], "disabled": ["lull", "arrival"]})
    assert "everything" in kinds and "lull" not in kinds and "arrival" not in kinds
    assert "unanswered_question" in kinds


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"detectors": ["nowhere.at.all:Thing"]}, "cannot be imported"),
        ({"detectors": ["justaname"]}, "write it as package.module:ClassName"),
        ({"disabled": ["lul"]}, "unknown kind(s) lul; known:"),
    ],
)
async def test_a_wrong_section_is_a_clear_error(section: dict[str, Any], message: str) -> None:
    with pytest.raises(PluginError) as caught:
        await start(section)
    assert message in str(caught.value)
