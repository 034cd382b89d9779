"""The repository's shape matches its promises: plugin folders ↔ entry points, a sorted API."""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
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
    # The plugin API is ``assistant`` itself, plus an area's curated surface for the built-in
    # plugins of that area (``from assistant.openings import Detector``): names in the
    # package's ``__all__``, never a module inside it.
    for source in (ROOT / "plugins").glob("assistant_*/**/*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert alias.name.split(".")[0] != "assistant", f"{source}: import {alias.name}"
            if not isinstance(node, ast.ImportFrom) or node.module is None:
                continue
            if node.module.split(".")[0] != "assistant":
                continue
            assert node.module.count(".") <= 1, f"{source}: from {node.module} (a module)"
            package = importlib.import_module(node.module)
            assert hasattr(package, "__path__"), f"{source}: from {node.module} (not a package)"
            for alias in node.names:
                assert alias.name in getattr(package, "__all__", ()), (
                    f"{source}: {alias.name} is not in {node.module}.__all__"
                )
