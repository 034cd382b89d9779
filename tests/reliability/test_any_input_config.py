"""Any TOML in the configuration file: a valid Settings, or ConfigError lines, never a traceback.

Documents follow the shape of the settings (their sections, keys and nested tables, read from
the models themselves) with values of every TOML type in every place, unknown keys among
them; others are arbitrary text or bytes. ``presence`` reports a ``ConfigError`` as its lines
and exits 2; anything else escaping the loader would be a traceback. Each line names the file
first, and for a decoding error the line and column. Fixed, derandomised example budget.
"""

from __future__ import annotations

import math
import types
import typing
from datetime import date, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from assistant.config import ConfigError, Settings, load_settings

PROPERTY = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)

SCALARS = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", "#chan", "irc.libera.chat", "Australia/Sydney", "Sunday", "19:30", "x"]),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.sampled_from([0, 1, -1, 6667, 2**31]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def toml_string(text: str) -> str:
    """A TOML basic string: quotes and backslashes escaped, control characters as ``\\uXXXX``."""
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char < " " or char == "\x7f":
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def toml_value(value: Any) -> str:
    """One TOML value, inline (tables as inline tables)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f"{toml_string(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def model_of(annotation: Any) -> tuple[str, type[BaseModel] | None]:
    """How a field nests: ("model", M), ("dict", M), ("list", M) or ("value", None)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "model", annotation
    if origin in (typing.Union, types.UnionType):
        for arg in args:
            kind, model = model_of(arg)
            if model is not None:
                return kind, model
    if origin is dict and len(args) == 2:
        kind, model = model_of(args[1])
        if kind == "model":
            return "dict", model
    if origin is list and args:
        kind, model = model_of(args[0])
        if kind == "model":
            return "list", model
    return "value", None


@st.composite
def tables(draw: st.DrawFn, model: type[BaseModel], depth: int = 0) -> dict[str, Any]:
    """A table shaped like ``model``: some of its keys (and maybe an unknown one)."""
    fields = list(model.model_fields.items())
    chosen = draw(st.lists(st.sampled_from(fields), max_size=5, unique_by=lambda f: f[0]))
    table: dict[str, Any] = {}
    for name, info in chosen:
        kind, inner = model_of(info.annotation)
        if inner is None or depth > 3 or draw(st.integers(0, 5)) == 0:
            table[name] = draw(VALUES)
        elif kind == "model":
            table[name] = draw(tables(inner, depth + 1))
        elif kind == "dict":
            names = st.sampled_from(["libera", "club", ""]) | st.text(max_size=6)
            table[name] = draw(st.dictionaries(names, tables(inner, depth + 1), max_size=2))
        else:
            table[name] = draw(st.lists(tables(inner, depth + 1), max_size=2))
    if draw(st.integers(0, 4)) == 0:
        table[draw(st.text(max_size=10))] = draw(VALUES)
    return table


def check(path: Path) -> None:
    try:
        loaded = load_settings(path)
    except ConfigError as error:
        assert error.problems
        for problem in error.problems:
            assert "\n" not in problem, problem
            assert problem.startswith(f"{path}: "), problem
    else:
        assert isinstance(loaded, Settings)


@PROPERTY
@given(tables(Settings))
def test_any_settings_shaped_toml_loads_or_says_what_is_wrong(document: dict[str, Any]) -> None:
    text = "".join(f"{toml_string(key)} = {toml_value(value)}\n" for key, value in document.items())
    with TemporaryDirectory() as tmp:
        path = Path(tmp) / "presence.toml"
        path.write_text(text, encoding="utf-8")
        check(path)


@PROPERTY
@given(st.one_of(st.binary(max_size=400), st.text(max_size=400).map(str.encode)))
def test_any_file_at_all_loads_or_says_what_is_wrong(data: bytes) -> None:
    with TemporaryDirectory() as tmp:
        path = Path(tmp) / "presence.toml"
        path.write_bytes(data)
        check(path)
