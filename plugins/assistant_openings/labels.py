"""Label files for ``presence eval openings``: judged moments in real chat logs.

One JSON file per labelled log (the format is written down in ``docs/openings-labels.md``):
the logs replayed as one chat, the owner, notables and interests to replay them with, and the
moments judged by the rubric, each named by a log file and a message number, never by its text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["KINDS", "VERDICTS", "LabelError", "LabelFile", "Moment", "label_paths", "load_labels"]

KINDS = frozenset(
    {
        "addressed_you",
        "arrival",
        "interest",
        "lull",
        "ready",
        "request",
        "shared_work",
        "unanswered_question",
        "other",
    }
)
"""The detectors' kinds, and ``other`` for a good moment no detector kind describes."""

VERDICTS = frozenset({"good", "bad"})


class LabelError(ValueError):
    """A label file is wrong; the message names the file and the moment."""


@dataclass(frozen=True, slots=True)
class Moment:
    """A judged moment: the message that makes it, whose it is, its kind and the verdict."""

    file: str
    n: int
    notable: str
    kind: str
    verdict: str
    why: str = ""


@dataclass(frozen=True, slots=True)
class LabelFile:
    """One label file: what to replay, with whom, and the moments judged in it."""

    path: Path
    logs: tuple[str, ...]
    owner: str
    notables: tuple[str, ...]
    interests: tuple[str, ...]
    moments: tuple[Moment, ...]
    labeller: str = ""


def label_paths(paths: list[Path]) -> Iterator[Path]:
    """The label files named, a folder standing for the ``*.json`` files in it (sorted)."""
    for path in paths:
        if path.is_dir():
            yield from sorted(path.glob("*.json"))
        else:
            yield path


def _strings(raw: dict[str, Any], key: str, where: str, *, required: bool = True) -> list[str]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise LabelError(f"{where}: {key!r} must be a list of names")
    if required and not value:
        raise LabelError(f"{where}: {key!r} is empty")
    return value


def load_labels(path: Path) -> LabelFile:
    """Read and check one label file (moments are checked against the logs later).

    Raises:
        LabelError: the file cannot be read, or a field or a moment is wrong.
    """
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LabelError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise LabelError(f"{path}: not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise LabelError(f"{path}: expected a JSON object")
    logs = _strings(raw, "logs", str(path))
    notables = _strings(raw, "notables", str(path))
    interests = _strings(raw, "interests", str(path), required=False)
    owner = raw.get("owner")
    if not isinstance(owner, str) or not owner:
        raise LabelError(f"{path}: 'owner' must be a name")
    moments_raw = raw.get("moments", [])
    if not isinstance(moments_raw, list):
        raise LabelError(f"{path}: 'moments' must be a list")
    moments = [_moment(item, i, path, logs) for i, item in enumerate(moments_raw)]
    labeller = raw.get("labeller", "")
    return LabelFile(
        path,
        tuple(logs),
        owner,
        tuple(notables),
        tuple(interests),
        tuple(moments),
        labeller if isinstance(labeller, str) else "",
    )


def _moment(item: object, index: int, path: Path, logs: list[str]) -> Moment:
    where = f"{path}: moment {index}"
    if not isinstance(item, dict):
        raise LabelError(f"{where}: expected a JSON object")
    file, n = item.get("file"), item.get("n")
    if isinstance(file, str) and isinstance(n, int):
        where = f"{path}: moment {index} ({file} n={n})"
    if file not in logs:
        raise LabelError(f"{where}: 'file' must be one of the label file's logs")
    assert isinstance(file, str)
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise LabelError(f"{where}: 'n' must be a message number from 0")
    notable, kind, verdict = item.get("notable"), item.get("kind"), item.get("verdict")
    if not isinstance(notable, str) or not notable:
        raise LabelError(f"{where}: 'notable' must be a name")
    if kind not in KINDS:
        raise LabelError(f"{where}: unknown kind {kind!r} (one of {', '.join(sorted(KINDS))})")
    if verdict not in VERDICTS:
        raise LabelError(f"{where}: unknown verdict {verdict!r} (good or bad)")
    why = item.get("why", "")
    return Moment(file, n, notable, str(kind), str(verdict), why if isinstance(why, str) else "")
