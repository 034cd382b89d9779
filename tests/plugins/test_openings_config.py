"""Any plugin adds detectors and notifiers; ``[plugins.openings]`` turns kinds off, clearly."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import pytest
from assistant_openings import OpeningsPlugin

from assistant import Candidate, ConfigError, Detector, Observation, Opening, Plugin, hookimpl
from assistant.config import parse_settings
from assistant.plugins import PluginError, PluginHost
from assistant.testing.database import temporary_database


class Everything(Detector):
    """A test detector: every notable line is an opening."""

    kind = "everything"

    def on_line(self, obs: Observation) -> Iterable[Candidate]:
        return ()


class Kept:
    """A notifier that keeps what it is given."""

    name = "kept"

    def __init__(self) -> None:
        self.openings: list[Opening] = []

    async def notify(self, opening: Opening) -> None:
        self.openings.append(opening)


class Extras(Plugin):
    """A third plugin's detectors and notifier, through the hooks."""

    offered: ClassVar[tuple[Any, ...]] = (Everything,)

    @hookimpl
    def assistant_opening_detectors(self) -> list[Any]:
        return list(self.offered)

    @hookimpl
    def assistant_opening_notifiers(self) -> list[Kept]:
        return [Kept()]


class NotADetector(Extras):
    offered = (str,)


async def start(
    section: dict[str, Any], others: Mapping[str, type[Plugin]] | None = None
) -> tuple[list[str], list[str]]:
    """Start the openings plugin (and ``others``); its detectors' kinds and notifiers' names."""
    settings = parse_settings({"plugins": {"openings": {"notify": [], **section}}})

    async def send(network: str, target: str, text: str) -> None:
        del network, target, text

    async with temporary_database() as db:
        classes = {"openings": OpeningsPlugin, **(others or {})}
        host = PluginHost(settings, db, send, plugin_classes=classes)
        await host.start()
        try:
            plugin = host.instance("openings")
            assert isinstance(plugin, OpeningsPlugin)
            engine = plugin.engine
            return [type(d).kind for d in engine.detectors], [n.name for n in engine.notifiers]
        finally:
            await host.stop()


async def test_another_plugin_adds_detectors_and_notifiers_and_kinds_can_be_turned_off() -> None:
    kinds, notifiers = await start({"disabled": ["lull", "arrival"]}, {"extras": Extras})
    assert kinds[-1] == "everything", "the built-in detectors come first"
    assert "lull" not in kinds and "arrival" not in kinds
    assert "unanswered_question" in kinds
    assert notifiers == ["kept"]


async def test_a_contributed_kind_can_be_turned_off_too() -> None:
    kinds, _ = await start({"disabled": ["everything"]}, {"extras": Extras})
    assert "everything" not in kinds and "unanswered_question" in kinds


async def test_a_contribution_that_is_no_detector_stops_start_up_naming_the_plugin() -> None:
    with pytest.raises(PluginError) as caught:
        await start({}, {"extras": NotADetector})
    assert "plugin 'extras': assistant_opening_detectors:" in str(caught.value)
    assert "is not a Detector with a kind" in str(caught.value)


async def test_an_unknown_disabled_kind_stops_start_up() -> None:
    with pytest.raises(PluginError) as caught:
        await start({"disabled": ["lul"]})
    assert "unknown kind(s) lul; known:" in str(caught.value)


async def test_a_detector_named_by_import_path_says_how_to_ship_it_as_a_plugin() -> None:
    with pytest.raises(ConfigError) as caught:
        await start({"detectors": ["my_package.detectors:LinkToMyProduct"]})
    message = str(caught.value)
    assert "plugins.openings.detectors" in message
    assert "no longer loaded by name (my_package.detectors:LinkToMyProduct)" in message
    assert "assistant_opening_detectors" in message and '"assistant.plugins" entry' in message
