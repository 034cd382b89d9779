"""Importing log files: read, detect, parse, and record through the real recorder path.

Events go to :class:`~assistant.recorder.Recorder` in file order, as fast as the writer
takes them, exactly as a connector's would (marked ``backfill``). A bad line is counted
and reported (file, line number, why), never fatal. Importing again adds nothing twice: a
file whose content hash was imported is skipped, and every recorded event leaves a digest
so that a longer or overlapping log adds only its new lines.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache
from pathlib import Path

from assistant.connectors.irc.text import casefold
from assistant.events import (
    ChannelEvent,
    Event,
    MemberJoined,
    MemberLeft,
    MessageReceived,
    NickChanged,
    TopicChanged,
)
from assistant.importers.digests import digest as digest_of
from assistant.importers.digests import identity_digest, known_digests, message_digest
from assistant.importers.formats import LogFormat, detect_format, format_named, score_formats
from assistant.importers.reading import LogFile, read_log
from assistant.importers.scene import BadLine, LogCalendar, MissingDate, Scene, date_from_name
from assistant.recorder import Recorder
from assistant.storage.database import Database

__all__ = ["FileReport", "ImportOptions", "LogImporter", "Problem", "channel_from_name"]

DEFAULT_NETWORK = "imported"
"""The network imported IRC logs are recorded under unless ``--network`` names one."""

KEEP_PROBLEMS = 20
"""Bad lines reported in detail per file; the rest are only counted."""

_CHUNK = 2000  # events checked against earlier imports with one query
_MAX_PENDING = 50_000  # writes queued before the importer waits for the writer

_IMPORTED_FILE = "SELECT path, format, network, imported_at FROM import_files WHERE sha256 = ?"
_RECORD_FILE = (
    "INSERT OR IGNORE INTO import_files (sha256, path, format, network, channel, lines, "
    "recorded, duplicates, bad_lines, replaced_bytes, imported_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_ZNC_DAY_SUFFIX = re.compile(r"_\d{8}$")
_EXPORTER_NAME = re.compile(r"(.+) - (.+?)(?: \[\d+\])?$")


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """What the user told ``presence import`` (None: detect or derive it)."""

    format: str | None = None
    network: str | None = None
    channel: str | None = None
    day: date | None = None
    zone: tzinfo = UTC
    date_from: str | None = None
    """``"mtime"``: an undated log's last line is on the day its file was last changed."""
    dates: Mapping[str, date] = field(default_factory=dict)
    """Days undated logs start on, by file name or path (``--date-from FILE``)."""


@dataclass(frozen=True, slots=True)
class Problem:
    """A line that was not imported, and why."""

    path: Path
    number: int
    unit: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.number}: {self.reason}"


@dataclass
class FileReport:
    """What importing one file did."""

    path: Path
    format: str = ""
    network: str = ""
    channel: str = ""
    lines: int = 0
    events: int = 0
    recorded: int = 0
    duplicates: int = 0
    bad_lines: int = 0
    problems: list[Problem] = field(default_factory=list)
    replaced: int = 0
    """Undecodable byte sequences replaced by U+FFFD."""
    first_replaced_line: int | None = None
    skipped: str = ""
    """Why nothing was imported (already imported, unreadable, unrecognised), else ''."""
    error: str = ""
    """A problem that stopped the file part-way (e.g. no date known), else ''."""
    undated: bool = False
    """The file stopped because its lines have times but nothing gave their date."""


def channel_from_name(path: Path) -> str:
    """The channel a log file's name suggests: ``#chan.2021-04-12.log`` → ``#chan``."""
    name = path.name
    if "#" in name:
        channel = name[name.index("#") :].split(".")[0]
        return _ZNC_DAY_SUFFIX.sub("", channel)
    if path.parent.name.startswith("#"):  # ZNC: network/#chan/…; Pidgin: #chan.chat/…
        return path.parent.name.removesuffix(".chat")
    stem = name.split(".")[0]
    exporter = _EXPORTER_NAME.fullmatch(path.stem)  # "Guild - Category - channel [id]"
    if exporter is not None:
        return "#" + exporter[2].strip()
    return "#" + stem


def _guild_from_name(path: Path) -> str | None:
    exporter = _EXPORTER_NAME.fullmatch(path.stem)
    return exporter[1].split(" - ")[0].strip() if exporter else None


@lru_cache(maxsize=256)
def _folded(channel: str) -> str:
    """A channel name case-folded, remembered: a log's lines are all in one or a few."""
    return casefold(channel)


def _base_key(event: Event, timestamp: float | None = None) -> str | None:
    """What makes an event the same event when a log is imported again.

    ``timestamp`` is the event's POSIX time when the caller has it already.
    """
    at = f"{event.timestamp.timestamp() if timestamp is None else timestamp:.3f}"
    parts: tuple[str, ...]
    if isinstance(event, MessageReceived):
        channel = _folded(event.channel or "")
        parts = ("m", event.network, channel, event.actor.key, event.kind, at, event.text)
    elif isinstance(event, MemberJoined | MemberLeft | TopicChanged):
        detail = event.kind if isinstance(event, MemberLeft) else ""
        text = event.topic if isinstance(event, TopicChanged) else ""
        channel = casefold(event.channel or "")
        kind = type(event).__name__
        parts = (kind, event.network, channel, event.actor.key, detail, at, text)
    elif isinstance(event, NickChanged):
        parts = ("n", event.network, event.actor.key, event.new_nick, at)
    else:
        return None
    return "\x1f".join(parts)


def _closest(log: LogFile) -> str:
    """``; closest: FORMAT (why it is not that)`` for a file no format recognised."""
    score, log_format = score_formats(log)[0]
    if score <= 0:
        return " (no line looks like any of them)"
    sample = LogFile(log.path, log.lines[:60])
    why = f"only {score:.0%} of its first lines look like it"
    try:
        for number, parsed in log_format.read(
            sample, Scene("", "", log_format.platform), LogCalendar(date(2000, 1, 1), UTC)
        ):
            if isinstance(parsed, BadLine):
                why = f"{log_format.unit} {number}: {parsed}"
                break
    except (MissingDate, ValueError):
        pass
    return f"; closest: {log_format.name} ({log_format.title}), {why}"


def _start_from_mtime(log: LogFile, log_format: LogFormat, zone: tzinfo) -> date | None:
    """The day an undated log starts on, if its last line was written on its file's last change.

    The log is read once on that day to count the midnights it crosses, which are then taken
    back off; None when the file's time cannot be read.
    """
    try:
        end = datetime.fromtimestamp(log.path.stat().st_mtime, zone).date()
    except (OSError, ValueError):
        return None
    last: datetime | None = None
    for _, parsed in log_format.read(
        log, Scene("", "", log_format.platform), LogCalendar(end, zone)
    ):
        if not isinstance(parsed, BadLine) and parsed:
            last = parsed[-1].timestamp
    if last is None:
        return end
    try:
        return end - (last.astimezone(zone).date() - end)
    except OverflowError:  # a line dated near year 9999: no day before year 1 to start on
        return end


def _read_and_hash(path: Path) -> tuple[LogFile, str]:
    log = read_log(path)
    return log, hashlib.sha256(log.data).hexdigest()


class LogImporter:
    """Imports log files into one database through one recorder."""

    def __init__(
        self,
        db: Database,
        recorder: Recorder,
        options: ImportOptions,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self._db = db
        self._recorder = recorder
        self._options = options
        self._progress = progress
        self._seen: set[str] = set()
        self._check_known: bool | None = None

    async def import_file(self, path: Path) -> FileReport:
        """Import one file; every problem ends up in the report, none is raised."""
        report = FileReport(path)
        try:
            log, sha256 = await asyncio.to_thread(_read_and_hash, path)
        except OSError as exc:
            report.skipped = f"cannot read: {exc.strerror or exc}"
            return report
        report.lines, report.replaced = len(log.lines), log.replaced
        report.first_replaced_line = log.first_bad_line
        before = await self._db.fetchone(_IMPORTED_FILE, (sha256,))
        if before is not None:
            when = datetime.fromtimestamp(before["imported_at"], UTC).strftime("%Y-%m-%d %H:%M")
            report.skipped = (
                f"already imported ({before['format']} into {before['network']} on {when} UTC, "
                f"as {before['path']}); nothing added"
            )
            self._advance(report.lines, report.lines)
            return report
        log_format = self._format_for(log, report)
        if log_format is None:
            return report
        scene, clock = self._scene(path, log_format)
        if clock.day is None and self._options.date_from == "mtime":
            clock.day = await asyncio.to_thread(_start_from_mtime, log, log_format, clock.zone)
        report.format = log_format.name
        pending: list[tuple[int, Event]] = []
        counts: Counter[str] = Counter()
        try:
            for number, parsed in log_format.read(log, scene, clock):
                if isinstance(parsed, BadLine):
                    report.bad_lines += 1
                    if len(report.problems) < KEEP_PROBLEMS:
                        report.problems.append(Problem(path, number, log_format.unit, str(parsed)))
                    continue
                for event in parsed:
                    pending.append((number, event))
                if len(pending) >= _CHUNK:
                    await self._record(pending, counts, report)
                    self._advance(number, report.lines)
                    pending = []
        except MissingDate:
            report.undated = True
            report.error = (
                "the log's lines have times but no date (no date header, no date in the file "
                "name); pass --date YYYY-MM-DD or --date-from mtime"
            )
        await self._record(pending, counts, report)
        self._advance(report.lines, report.lines)
        report.network, report.channel = scene.network, scene.channel
        if not report.error and (report.events or not report.bad_lines):
            await self._db.flush()
            params = (
                sha256,
                str(path),
                report.format,
                scene.network,
                scene.channel,
                report.lines,
                report.recorded,
                report.duplicates,
                report.bad_lines,
                report.replaced,
                datetime.now(UTC).timestamp(),
            )
            await self._db.execute(_RECORD_FILE, params)
        return report

    def _advance(self, done: int, total: int) -> None:
        if self._progress is not None:
            self._progress(done, total)

    def _format_for(self, log_file: LogFile, report: FileReport) -> LogFormat | None:
        if self._options.format is not None:
            return format_named(self._options.format)
        found = detect_format(log_file)
        if found is None:
            report.skipped = (
                f"not a log format Presence knows{_closest(log_file)}; name one with --format"
            )
        return found

    def _scene(self, path: Path, log_format: LogFormat) -> tuple[Scene, LogCalendar]:
        options = self._options
        if log_format.platform in ("discord", "slack"):
            # An export names its guild and channel; the reader fills in what is empty.
            network = options.network or _guild_from_name(path) or ""
            channel = options.channel or ""
            if log_format.name == "discord-csv":  # no guild or channel inside
                network = network or "discord"
                channel = channel or channel_from_name(path)
        else:
            network = options.network or DEFAULT_NETWORK
            channel = options.channel or (
                "#ubuntu" if log_format.name == "ubuntu" else channel_from_name(path)
            )
        day = (
            options.day
            or date_from_name(path)
            or options.dates.get(str(path))
            or options.dates.get(path.name)
        )
        return Scene(network, channel, log_format.platform), LogCalendar(day, options.zone)

    async def _record(
        self,
        pending: list[tuple[int, Event]],
        counts: Counter[str],
        report: FileReport,
    ) -> None:
        if not pending:
            return
        keyed: list[tuple[Event, float, str | None]] = []
        for _, event in pending:
            at = event.timestamp.timestamp()
            key = _base_key(event, at)
            if key is None:
                keyed.append((event, at, None))
                continue
            occurrence = counts[key] = counts.get(key, 0) + 1
            keyed.append((event, at, digest_of(key, occurrence)))
        known = await self._known([(at, digest) for _, at, digest in keyed if digest is not None])
        record, submit, skips = (
            self._recorder.record,
            self._db.writer.submit,
            self._recorder.skips,
        )
        seen = self._seen
        recorded = duplicates = 0
        for event, at, digest in keyed:
            if digest is not None:
                if digest in seen or digest in known:
                    duplicates += 1
                    continue
                seen.add(digest)
            record(event)
            recorded += 1
            if digest is None:
                continue
            if isinstance(event, MessageReceived):
                if not skips(event.actor):  # else not recorded: no row for a digest to refer to
                    submit(message_digest(self._db, digest, at))
            elif isinstance(event, ChannelEvent | NickChanged) and not skips(event.actor):
                submit(identity_digest(digest, event.network, event.actor.key, at))
        report.events += len(keyed)
        report.recorded += recorded
        report.duplicates += duplicates
        if self._db.writer.pending > _MAX_PENDING:
            await self._db.flush()
        else:
            await asyncio.sleep(0)  # let the writer start a batch while the next chunk parses

    async def _known(self, digests: list[tuple[float, str]]) -> set[str]:
        """The digests (with their event times) that earlier imports already recorded."""
        if self._check_known is None:
            row = await self._db.fetchone("SELECT 1 FROM imported_events LIMIT 1")
            self._check_known = row is not None
        if not self._check_known or not digests:
            return set()
        return await known_digests(self._db, digests)
