"""Backfill: what was said while Presence was away, fetched from channel history.

After each (re)connect the connector asks each attended channel (and its active threads) for
the messages after the last one Presence recorded there, newest first and at most ``limit``,
and emits them oldest first marked ``backfill=True``. The mark comes from the database when
the connector starts (the app hands over a lookup; a connector never touches storage) and
from what the connector itself emitted when a running connection drops. Message ids are
time-ordered snowflakes, so "after the mark" is a comparison of ids.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping

import discord

__all__ = ["LastRecorded", "Marks", "RecentIds", "missed_messages"]

log = logging.getLogger(__name__)

LastRecorded = Callable[[str], Awaitable[Mapping[str, str]]]
"""``await last_recorded(network)``: the last recorded message id per channel key (the
case-folded channel name, e.g. ``"#general"``), for the channels of ``network``."""


class Marks:
    """The newest message id known per channel: by channel id, and by name from the database."""

    def __init__(self, by_name: Mapping[str, str] | None = None) -> None:
        self.by_id: dict[int, int] = {}
        self.by_name: dict[str, int] = {
            name: int(value) for name, value in (by_name or {}).items() if value.isdigit()
        }

    def note(self, channel_id: int, message_id: int) -> None:
        """Remember that ``message_id`` was seen in ``channel_id``."""
        if message_id > self.by_id.get(channel_id, 0):
            self.by_id[channel_id] = message_id

    def snapshot(self) -> Marks:
        """A copy that later notes do not change (taken when a connection drops)."""
        copy = Marks()
        copy.by_id = dict(self.by_id)
        copy.by_name = dict(self.by_name)
        return copy

    def get(self, channel_id: int, key: str) -> int | None:
        """The mark of a channel known by id and by name key; None when nothing is known."""
        found = max(self.by_id.get(channel_id, 0), self.by_name.get(key, 0))
        return found or None


class RecentIds:
    """The ids of the last ``size`` messages emitted, so backfill never repeats a live one."""

    def __init__(self, size: int = 20_000) -> None:
        self._size = size
        self._ids: OrderedDict[int, None] = OrderedDict()

    def add(self, message_id: int) -> bool:
        """Remember ``message_id``; False when it was already there."""
        if message_id in self._ids:
            return False
        self._ids[message_id] = None
        if len(self._ids) > self._size:
            self._ids.popitem(last=False)
        return True


async def missed_messages(
    channel: discord.abc.Messageable, after: int, limit: int, *, where: str = ""
) -> list[discord.Message]:
    """The messages in ``channel`` newer than id ``after``, at most ``limit``, oldest first.

    The newest ``limit`` are kept when more were missed (the current conversation matters
    most), and the hole before them is logged.
    """
    if limit <= 0:
        return []
    found: list[discord.Message] = []
    reached = False
    async for message in channel.history(limit=limit):
        if message.id <= after:
            reached = True
            break
        found.append(message)
    if not reached and len(found) >= limit:
        log.warning(
            "%s: more than %d messages were missed; only the newest %d are backfilled "
            "(raise backfill_limit to fetch more)",
            where or "backfill",
            limit,
            limit,
        )
    found.reverse()
    return found
