"""Small helpers every part of a summary shares: local times, durations, counts, stored lists.

Times are stored in UTC and shown in the session's display time zone.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

__all__ = ["clock", "day_and_time", "json_list", "minutes", "plural", "span"]


def json_list(value: object) -> list[str]:
    """A stored analysis list (topics, acts, addressees, links, reply links) as strings.

    The analysis columns hold JSON arrays; an empty, missing or unreadable value is no list.
    """
    if not value or not isinstance(value, str):
        return []
    return list(_decoded(value))


@lru_cache(maxsize=16384)
def _decoded(value: str) -> tuple[str, ...]:
    """``value`` decoded once: a summary reads the same columns many times over."""
    try:
        loaded = json.loads(value)
    except ValueError:
        return ()
    return tuple(str(v) for v in loaded) if isinstance(loaded, list) else ()


def clock(at: datetime | None, zone: ZoneInfo) -> str:
    """``19:42`` in ``zone`` (``—`` when unknown)."""
    return "—" if at is None else at.astimezone(zone).strftime("%H:%M")


def day_and_time(at: datetime, zone: ZoneInfo) -> str:
    """``Sun 7 Jan 2024 19:30 AEDT``."""
    local = at.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y %H:%M} {local.tzname() or ''}".rstrip()


def minutes(value: float) -> str:
    """``1 h 05 min`` or ``42 min``."""
    total = round(value)
    hours, rest = divmod(total, 60)
    return f"{hours} h {rest:02d} min" if hours else f"{rest} min"


def plural(count: int, word: str, words: str | None = None) -> str:
    """``1 line``, ``3 lines``."""
    return f"{count} {word if count == 1 else (words or word + 's')}"


def span(start: datetime, end: datetime | None, zone: ZoneInfo) -> str:
    """The session's local date and times: ``Sun 7 Jan 2024 19:30-21:00 AEDT``."""
    local = start.astimezone(zone)
    until = "(still running)" if end is None else clock(end, zone)
    zone_name = f" {local.tzname()}" if local.tzname() else ""
    return f"{local:%a} {local.day} {local:%b %Y %H:%M}-{until}{zone_name}"
