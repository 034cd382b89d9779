"""The repository's shape matches its promises: plugin folders ↔ entry points, a sorted API."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path

import assistant
from assistant.plugins import ENTRY_POINT_GROUP, Plugin

ROOT = Path(__file__).resolve().parent.parent


def declared_entry_points() -> dict[str, str]:
    """Return the plugin entry points declared in pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    table: dict[str, str] = project["entry-points"][ENTRY_POINT_GROUP]
    return table


def test_every_plugin_folder_has_an_entry_point_and_vice_versa() -> None:
    folders = {p.name for p in (ROOT / "plugins").glob("assistant_*") if p.is_dir()}
    modules = {value.partition(":")[0] for value in declared_entry_points().values()}
    assert folders == modules


def test_entry_point_names_are_the_folder_names_without_prefix() -> None:
    for name, value in declared_entry_points().items():
        assert value.partition(":")[0] == f"assistant_{name}"


def test_plugins_is_a_source_root_not_a_package() -> None:
    assert not (ROOT / "plugins" / "__init__.py").exists()


def test_installed_entry_points_match_pyproject() -> None:
    installed = {
        ep.name: ep.value for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    }
    assert installed == declared_entry_points(), "stale install: pip install -e '.[dev]'"


def test_every_entry_point_loads_a_plugin_class() -> None:
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        loaded = ep.load()
        assert isinstance(loaded, type)
        assert issubclass(loaded, Plugin), ep.value


def test_public_api_is_sorted_and_resolves() -> None:
    assert assistant.__all__ == sorted(assistant.__all__)
    assert len(set(assistant.__all__)) == len(assistant.__all__)
    for name in assistant.__all__:
        assert getattr(assistant, name) is not None, name


def test_public_api_exports_what_plugins_need() -> None:
    needed = {
        "Database",
        "Event",
        "HookResult",
        "Identity",
        "KeyValueStore",
        "MessageReceived",
        "Plugin",
        "PluginContext",
        "SeenRecord",
        "Settings",
        "command",
        "hookimpl",
        "last_seen",
    }
    assert needed <= set(assistant.__all__)


def test_built_in_plugins_import_only_the_public_api() -> None:
    for source in (ROOT / "plugins").glob("assistant_*/**/*.py"):
        for line in source.read_text(encoding="utf-8").splitlines():
            if re.match(r"\s*(from|import)\s+assistant(\.|\s|$)", line):
                assert line.strip().startswith("from assistant import"), f"{source}: {line}"
