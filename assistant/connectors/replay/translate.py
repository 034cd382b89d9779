"""Turn a chat log file into live-looking events for a replay (pure: no sockets, no storage).

Formats are detected and read by the importers (``#ubuntu`` raw lines, MeetBot
``.log.txt``, irssi, WeeChat, ZNC, ...). An imported line is history (``backfill``); a
replay plays it as if it happened now, so the flag is cleared. Logs carry no services
accounts, so each nick is given its own name as account: ``--owner NICK`` can then be
recognised the same way a verified owner is live.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, date, tzinfo
from pathlib import Path

from assistant.events import ChannelEvent, Event, Identity, MessageReceived
from assistant.importers.formats import detect_format, format_named
from assistant.importers.importer import channel_from_name
from assistant.importers.reading import read_log
from assistant.importers.scene import BadLine, LogCalendar, MissingDate, Scene, date_from_name

__all__ = ["ReplayError", "read_replay", "read_replay_records"]

_NO_DATE = date(1970, 1, 1)


class ReplayError(ValueError):
    """The log cannot be replayed; the message says why and what to do."""


def _live(identity: Identity) -> Identity:
    return dataclasses.replace(identity, account=identity.account or identity.nick)


def _as_live(event: Event) -> Event:
    if isinstance(event, MessageReceived):
        return dataclasses.replace(event, actor=_live(event.actor), backfill=False)
    if isinstance(event, ChannelEvent):
        return dataclasses.replace(event, actor=_live(event.actor))
    return event


def read_replay(
    path: Path,
    *,
    log_format: str = "auto",
    network: str = "replay",
    channel: str | None = None,
    day: date | None = None,
    zone: tzinfo = UTC,
) -> Iterator[Event]:
    """Yield the events of the log at ``path`` in file order, as live events.

    ``day`` is the date a log without dates starts on (default: from the file's name or a
    header); ``zone`` the zone of the log's local times.

    Raises:
        ReplayError: the file cannot be read, its format is unknown, or it has no date.
    """
    for _, events in read_replay_records(
        path, log_format=log_format, network=network, channel=channel, day=day, zone=zone
    ):
        yield from events


def read_replay_records(
    path: Path,
    *,
    log_format: str = "auto",
    network: str = "replay",
    channel: str | None = None,
    day: date | None = None,
    zone: tzinfo = UTC,
) -> Iterator[tuple[int, tuple[Event, ...]]]:
    """Yield each record the format reads (a line, a CSV row) as its number and live events.

    The number is the 1-based line the record starts on (a message's number in a JSON
    export); a record that is not a message, or cannot be read, comes with no events, so
    records can be counted. Arguments and errors are those of :func:`read_replay`.
    """
    try:
        log = read_log(path)
    except OSError as exc:
        raise ReplayError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if log_format == "auto":
        found = detect_format(log)
        if found is None:
            raise ReplayError(
                f"{path}: not a chat log format Presence knows; name one with --format"
            )
    else:
        try:
            found = format_named(log_format)
        except KeyError:
            raise ReplayError(f"{path}: no log format named {log_format!r}") from None
    if channel is None:
        channel = "#ubuntu" if found.name == "ubuntu" else channel_from_name(path)
    scene = Scene(network, channel, found.platform)
    # A log without a date still replays: its times fall on 1970-01-01.
    clock = LogCalendar(day or date_from_name(path) or _NO_DATE, zone)
    try:
        for number, parsed in found.read(log, scene, clock):
            if isinstance(parsed, BadLine):
                yield number, ()
                continue
            yield number, tuple(_as_live(event) for event in parsed)
    except MissingDate:
        raise ReplayError(f"{path}: the log has no date") from None
