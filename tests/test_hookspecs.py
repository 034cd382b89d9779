"""The plugin contract is complete: every hook is prefixed, typed and documented."""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Callable
from pathlib import Path

import pytest

import assistant
from assistant import hookspecs

SPECS = [
    obj
    for name, obj in sorted(vars(hookspecs).items())
    if callable(obj) and hasattr(obj, f"{hookspecs.PROJECT}_spec")
]
PARTS = ("Called:", "Returns:", "Awaited:")


def contract_problems(spec: Callable[..., object]) -> list[str]:
    """List what a hook specification lacks: prefix, type hints, the documented parts."""
    problems = []
    name = spec.__name__
    if not name.startswith("assistant_"):
        problems.append(f"{name}: not prefixed assistant_")
    # The contract imports its types only for type checkers: each must be public API.
    public = {name: getattr(assistant, name) for name in assistant.__all__}
    hints = typing.get_type_hints(spec, {**vars(hookspecs), **public})
    params = list(inspect.signature(spec).parameters)
    problems += [f"{name}: argument {p} has no type" for p in params if p not in hints]
    if "return" not in hints:
        problems.append(f"{name}: no return type")
    doc = inspect.getdoc(spec) or ""
    summary = doc.split("\n", 1)[0]
    if not summary.endswith("."):
        problems.append(f"{name}: no one-line summary ending in a period")
    problems += [f"{name}: docstring lacks {part!r}" for part in PARTS if part not in doc]
    if params:
        args = re.search(r"^Args:\n((?:(?:    .*)?\n)+)", doc + "\n", re.MULTILINE)
        documented = re.findall(r"^    (\w+):", args.group(1), re.MULTILINE) if args else []
        problems += [f"{name}: argument {p} undocumented" for p in params if p not in documented]
    return problems


def test_the_hooks_the_app_calls_are_specified() -> None:
    names = {spec.__name__ for spec in SPECS}
    assert {"assistant_startup", "assistant_shutdown", "assistant_event"} <= names


def test_every_assistant_function_in_the_contract_is_marked_as_a_spec() -> None:
    unmarked = [
        name
        for name, obj in vars(hookspecs).items()
        if name.startswith("assistant_") and obj not in SPECS
    ]
    assert unmarked == []


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.__name__)
def test_hook_is_prefixed_typed_and_documented(spec: Callable[..., object]) -> None:
    assert contract_problems(spec) == []


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.__name__)
def test_hook_does_not_use_firstresult_or_history(spec: Callable[..., object]) -> None:
    opts = getattr(spec, f"{hookspecs.PROJECT}_spec")
    assert not opts.get("firstresult"), "first answer wins is done by assistant.hooks"
    assert not opts.get("historic")


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.__name__)
def test_hook_is_really_called_by_the_core(spec: Callable[..., object]) -> None:
    # By the core, or by the built-in plugin that documents calling it (the openings plugin
    # asks every plugin for detectors and notifiers): called by name, as a string.
    package = Path(assistant.__file__).parent
    built_in = package.parent / "plugins"
    callers = [
        path
        for path in [*package.rglob("*.py"), *built_in.rglob("*.py")]
        if path.name != "hookspecs.py" and f'"{spec.__name__}"' in path.read_text(encoding="utf-8")
    ]
    assert callers, f"{spec.__name__} is specified but nothing calls it"


def test_an_undocumented_hook_is_caught() -> None:
    def assistant_untyped(event):  # type: ignore[no-untyped-def]
        """Do something"""

    def forgotten(event: int) -> None:
        """Do something.

        Called: sometimes.
        Args:
            other: not the argument.
        Returns:
            Nothing.
        """

    assert contract_problems(assistant_untyped) == [
        "assistant_untyped: argument event has no type",
        "assistant_untyped: no return type",
        "assistant_untyped: no one-line summary ending in a period",
        "assistant_untyped: docstring lacks 'Called:'",
        "assistant_untyped: docstring lacks 'Returns:'",
        "assistant_untyped: docstring lacks 'Awaited:'",
        "assistant_untyped: argument event undocumented",
    ]
    assert contract_problems(forgotten) == [
        "forgotten: not prefixed assistant_",
        "forgotten: docstring lacks 'Awaited:'",
        "forgotten: argument event undocumented",
    ]
