"""``presence import PATH...``: record old chat logs; and the ``eval attendance`` runner.

What loads spaCy or the importer is imported inside the handlers: `presence --help` stays
fast.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from assistant.commandline.terminal import (
    EXIT_CONFIG,
    EXIT_FAILURE,
    EXIT_OK,
    Terminal,
    config_arg,
)
from assistant.commandline.types import Handler, Subcommands
from assistant.config import load_settings
from assistant.importers.progress import import_progress
from assistant.recorder import Recorder
from assistant.storage.database import Database, MigrationError
from assistant.storage.writer import StorageError

if TYPE_CHECKING:
    from rich.console import Console

    from assistant.config import Settings
    from assistant.importers.importer import FileReport, ImportOptions

__all__ = ["add_commands", "add_log_options", "cmd_import", "run_attendance"]

FORMAT_NAMES = (
    "irssi",
    "weechat",
    "znc",
    "hexchat",
    "meetbot",
    "ubuntu",
    "w3c",
    "gitter",
    "pidgin",
    "discord-json",
    "discord-csv",
    "discord-text",
    "discord-html",
    "slack",
)

NOT_A_LOG = "not a log format"
"""How a file's skip reason starts when no format recognised it (fine inside a folder)."""


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write YYYY-MM-DD") from None


def _zone(text: str) -> ZoneInfo:
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise argparse.ArgumentTypeError(
            f"unknown time zone {text!r}; use a name like Europe/Berlin or UTC"
        ) from None


def add_log_options(parser: argparse.ArgumentParser, *, channel_help: str) -> None:
    """Add how to read a log's lines: ``--channel``, ``--date`` and ``--timezone``.

    ``presence import`` and ``presence replay`` read logs the same way; ``--timezone``
    arrives parsed (a :class:`~zoneinfo.ZoneInfo`), so a wrong name is a usage error.
    """
    parser.add_argument("--channel", default=None, help=channel_help)
    parser.add_argument(
        "--date",
        type=_day,
        default=None,
        metavar="YYYY-MM-DD",
        help="the day a log without dates starts on (default: from a header or the file name)",
    )
    parser.add_argument(
        "--timezone",
        type=_zone,
        default="UTC",
        metavar="ZONE",
        help="zone of the log's local times, e.g. Europe/Berlin (default: UTC)",
    )


def add_commands(sub: Subcommands) -> dict[str, Handler]:
    """Add ``presence import``."""
    parser = sub.add_parser(
        "import",
        help="record chat logs (irssi, WeeChat, ZNC, HexChat, MeetBot, W3C, Discord exports...)",
        description="Record chat logs into the configured database. Formats are detected from "
        "each file's first lines; a bad line is reported and skipped; importing a file again "
        "adds nothing twice.",
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="log files or folders")
    parser.add_argument(
        "--format",
        choices=FORMAT_NAMES,
        default=None,
        help="skip detection: read every file as this",
    )
    parser.add_argument(
        "--network",
        default=None,
        help="network to record under (default: 'imported'; Discord: the guild)",
    )
    add_log_options(parser, channel_help="channel to record in (default: from the file name)")
    parser.add_argument(
        "--date-from",
        default=None,
        metavar="mtime|FILE",
        help="for logs without dates: 'mtime' (a file's last line is on the day it was last "
        "changed) or a file of 'NAME YYYY-MM-DD' lines naming the day each log starts",
    )
    config_arg(parser, " naming the database")
    return {"import": cmd_import}


def _expand(paths: list[Path]) -> tuple[list[Path], list[str]]:
    files, missing = [], []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file()
                    and not any(part.startswith(".") for part in p.relative_to(path).parts)
                )
            )
        elif path.is_file():
            files.append(path)
        else:
            missing.append(f"{path}: no such file or folder")
    return files, missing


def cmd_import(args: argparse.Namespace, term: Terminal) -> int:
    """Import the given logs into the configured database and report what happened."""

    zone = args.timezone
    settings = load_settings(args.config)
    files, missing = _expand(args.paths)
    for problem in missing:
        term.err.print(problem, highlight=False, markup=False)
    if not files:
        return EXIT_CONFIG
    from assistant.importers.importer import ImportOptions

    dates: dict[str, date] = {}
    if args.date_from not in (None, "mtime"):
        from assistant.importers.scene import read_dates

        try:
            dates = read_dates(Path(args.date_from))
        except (OSError, ValueError) as exc:
            term.err.print(
                f"--date-from: {exc}; give 'mtime' or a file of 'NAME YYYY-MM-DD' lines",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
            return EXIT_CONFIG
    date_from = "mtime" if args.date_from == "mtime" else None
    options = ImportOptions(
        args.format, args.network, args.channel, args.date, zone, date_from, dates
    )
    try:
        reports = asyncio.run(_import(settings, files, options, term.out))
    except (MigrationError, sqlite3.Error, ConnectionError, StorageError) as exc:
        term.err.print(f"cannot open the database: {exc}", highlight=False, markup=False)
        return EXIT_FAILURE
    failed = bool(missing)
    named = set(args.paths)
    undated = [r for r in reports if r.undated]
    for report in reports:
        if report.undated and len(undated) > 1:
            continue  # one message below for all of them
        failed |= _print_report(report, term.out) and (
            report.path in named or not report.skipped.startswith(NOT_A_LOG)
        )
    if len(undated) > 1:
        failed = True
        _print_undated(undated, term.out)
    lines = sum(r.lines for r in reports)
    recorded = sum(r.recorded for r in reports)
    duplicates = sum(r.duplicates for r in reports)
    bad_lines = sum(r.bad_lines for r in reports)
    unknown = sum(1 for r in reports if r.skipped.startswith(NOT_A_LOG))
    skipped = sum(1 for r in reports if r.skipped or r.error) - unknown
    term.out.print(
        f"import: files={len(reports)} lines={lines} recorded={recorded} "
        f"duplicates={duplicates} bad_lines={bad_lines} skipped={skipped} unknown={unknown}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    return EXIT_CONFIG if failed else EXIT_OK


async def _import(
    settings: Settings, files: list[Path], options: ImportOptions, console: Console
) -> list[FileReport]:
    from assistant.importers.importer import LogImporter

    storage = settings.storage
    private = [
        (name, channel.name)
        for name, network in settings.networks.items()
        for channel in network.channels
        if channel.private
    ]
    sizes = [path.stat().st_size for path in files]
    reports = []
    with import_progress(console) as progress:
        task = progress.add_task("importing", total=sum(sizes) or 1, files=len(files))
        # Big batches whichever the backend: an import is one long burst of writes.
        bulk = storage.model_copy(update={"batch_size": max(storage.batch_size, 2000)})
        async with await Database.open_configured(bulk, settings.resolve(storage.path)) as db:
            recorder = Recorder(db, ignore=settings.ignore, private_channels=private)
            done = lines_before = 0
            for number, (path, size) in enumerate(zip(files, sizes, strict=True), 1):
                progress.update(task, description=path.name, completed=done, file=number)

                def advance(
                    read: int,
                    total: int,
                    *,
                    base: int = done,
                    size: int = size,
                    before: int = lines_before,
                ) -> None:
                    progress.update(
                        task, completed=base + size * read // max(total, 1), lines=before + read
                    )

                importer = LogImporter(db, recorder, options, progress=advance)
                reports.append(await importer.import_file(path))
                done += size
                lines_before += reports[-1].lines
                progress.update(task, lines=lines_before)
    return reports


def _print_undated(reports: list[FileReport], console: Console) -> None:
    """One message for every log that stopped for want of a date, saying how to give one."""
    names = ", ".join(str(r.path.name) for r in reports[:3])
    more = f" and {len(reports) - 3} more" if len(reports) > 3 else ""
    console.print(
        f"{len(reports)} logs were not imported: their lines have times but no date (no date "
        f"header, no date in the file name): {names}{more}. Give the day with --date YYYY-MM-DD "
        "(every log starts that day), --date-from mtime (each log ends on the day its file was "
        "last changed) or --date-from FILE (lines of 'NAME YYYY-MM-DD'), then import again.",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )


def _print_report(report: FileReport, console: Console) -> bool:
    """Print one file's outcome; True when the file could not be imported."""
    where = str(report.path)
    if report.skipped:
        console.print(
            f"{where}: skipped: {report.skipped}", highlight=False, markup=False, soft_wrap=True
        )
        return not report.skipped.startswith("already imported")
    console.print(
        f"{where}: {report.format} → {report.network} {report.channel}: {report.lines} lines, "
        f"{report.recorded} events recorded, {report.duplicates} already there, "
        f"{report.bad_lines} bad lines",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    if report.replaced:
        console.print(
            f"{where}: {report.replaced} undecodable byte sequence(s) replaced by U+FFFD "
            f"(first on line {report.first_replaced_line}); the file is not valid UTF-8",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    for problem in report.problems:
        console.print(f"  {problem}", highlight=False, markup=False, soft_wrap=True)
    if report.bad_lines > len(report.problems):
        console.print(
            f"  ... and {report.bad_lines - len(report.problems)} more bad lines",
            highlight=False,
            markup=False,
        )
    if report.error:
        console.print(
            f"{where}: stopped: {report.error}", highlight=False, markup=False, soft_wrap=True
        )
        return True
    return False


def run_attendance(paths: list[Path], console: Console, errors: Console) -> int:
    """``presence eval attendance``: print per-meeting scores and the summary line."""

    from assistant.importers.attendance import AttendanceError, evaluate_attendance

    try:
        asyncio.run(evaluate_attendance(paths, console))
    except AttendanceError as exc:
        errors.print(f"Error {exc}", highlight=False, markup=False, soft_wrap=True)
        return EXIT_CONFIG
    return EXIT_OK
