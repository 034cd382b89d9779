"""Render a summary as JSON with a stable schema, and read it back.

The document is the :class:`~assistant.summaries.model.Summary` tree with field names as
keys, times as ISO 8601 UTC strings and ``"schema": "presence.summary/1"`` at the top. New
fields may be added within version 1; a field is never renamed or repurposed without a new
version. :func:`load_summary` turns a document back into the same ``Summary``, so other
tools (and tests) can rely on the round trip.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from datetime import datetime
from functools import cache
from typing import Any, TypeVar, get_args, get_origin, get_type_hints

from assistant.summaries import model
from assistant.summaries.model import SCHEMA, Summary

__all__ = ["SchemaError", "dump_summary", "load_summary", "render_json", "to_jsonable"]

T = TypeVar("T")


class SchemaError(ValueError):
    """The document is not a Presence summary of a schema version this code reads."""


def to_jsonable(value: object) -> Any:
    """Turn a summary (or any part of it) into plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [to_jsonable(v) for v in value]
    return value


def dump_summary(summary: Summary) -> dict[str, Any]:
    """The JSON document of ``summary`` as a dict, with its schema name first."""
    return {"schema": SCHEMA, **to_jsonable(summary)}


def render_json(summary: Summary, *, indent: int | None = 2) -> str:
    """Return the summary as a JSON document."""
    return json.dumps(dump_summary(summary), ensure_ascii=False, indent=indent) + "\n"


@cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls, vars(model))


def _load(kind: Any, value: Any, where: str) -> Any:
    origin = get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in get_args(kind) if a is not type(None)]
        if value is None:
            return None
        return _load(options[0], value, where)
    if origin is tuple:
        if not isinstance(value, list):
            raise SchemaError(f"{where}: expected a list, got {type(value).__name__}")
        args = get_args(kind)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_load(args[0], v, f"{where}[{i}]") for i, v in enumerate(value))
        return tuple(
            _load(a, v, f"{where}[{i}]") for i, (a, v) in enumerate(zip(args, value, strict=True))
        )
    if kind is datetime:
        try:
            return datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise SchemaError(f"{where}: expected an ISO 8601 time, got {value!r}") from None
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        if not isinstance(value, dict):
            raise SchemaError(f"{where}: expected an object, got {type(value).__name__}")
        hints = _hints(kind)
        fields = {f.name for f in dataclasses.fields(kind)}
        return kind(
            **{
                name: _load(hints[name], item, f"{where}.{name}")
                for name, item in value.items()
                if name in fields  # newer minor additions are ignored, not an error
            }
        )
    if kind is float and isinstance(value, int):
        return float(value)
    if kind in (int, float, str, bool) and not isinstance(value, kind):
        raise SchemaError(f"{where}: expected {kind.__name__}, got {value!r}")
    return value


def load_summary(document: str | dict[str, Any]) -> Summary:
    """Read a summary back from its JSON document (text or parsed).

    Raises:
        SchemaError: it is not a ``presence.summary/1`` document, or a field has the
            wrong type (the message names the field).
    """
    data = json.loads(document) if isinstance(document, str) else dict(document)
    schema = data.pop("schema", None)
    if schema != SCHEMA:
        raise SchemaError(
            f"not a Presence summary of schema {SCHEMA!r} (found {schema!r}); "
            "regenerate it with `presence summary --format json`"
        )
    loaded: Summary = _load(Summary, data, "summary")
    return loaded
