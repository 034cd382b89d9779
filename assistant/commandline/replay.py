"""``presence replay PATH...``: rebuild sessions, openings and summaries from chat logs.

The replay (spaCy, the whole assistant) is imported inside the handler: `presence --help`
stays fast.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from rich.table import Table

from assistant.commandline.importing import FORMAT_NAMES, add_log_options
from assistant.commandline.terminal import EXIT_CONFIG, EXIT_FAILURE, EXIT_OK, Terminal, config_arg
from assistant.commandline.types import Handler, Subcommands
from assistant.config import load_settings
from assistant.storage.database import MigrationError

if TYPE_CHECKING:
    from rich.console import Console

    from assistant.connectors.replay.runner import ReplayResult

__all__ = ["add_commands", "cmd_replay"]


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a speed; give a number above 0, e.g. 60")
    return value


def add_commands(sub: Subcommands) -> dict[str, Handler]:
    """Add ``presence replay``."""
    parser = sub.add_parser(
        "replay",
        help="play chat logs through Presence as if live: rebuild sessions, openings, summaries",
        description="Play chat logs through the real assistant (recorder, analysis, plugins, "
        "session tracker) on the log's own clock, so schedules, ad-hoc sessions, openings "
        "and summaries happen as they would have live. Lines already in the database (from "
        "an earlier replay or import) are not played again.",
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="log files")
    parser.add_argument(
        "--format",
        choices=("auto", *FORMAT_NAMES),
        default="auto",
        help="read every file as this format (default: detect it)",
    )
    pace = parser.add_mutually_exclusive_group()
    pace.add_argument(
        "--speed",
        type=_speed,
        default=None,
        metavar="N",
        help="play at N times the log's own pace (60: an hour of chat in a minute)",
    )
    pace.add_argument(
        "--fast",
        action="store_true",
        help="play as fast as possible, on the log's clock (the default)",
    )
    parser.add_argument(
        "--network",
        default=None,
        help="network to play on (default: the one configured network of the log's platform, "
        "else 'imported')",
    )
    add_log_options(parser, channel_help="channel to play in (default: from the file name)")
    config_arg(parser, ": database, analysis, plugins, schedules")
    return {"replay": cmd_replay}


def cmd_replay(args: argparse.Namespace, term: Terminal) -> int:
    """Replay the given logs into the configured database and print what was rebuilt."""

    from assistant.connectors.replay.runner import ReplayOptions, replay_logs
    from assistant.connectors.replay.translate import ReplayError
    from assistant.plugins import validate_plugin_settings

    missing = [path for path in args.paths if not path.is_file()]
    for path in missing:
        term.err.print(f"{path}: no such file", highlight=False, markup=False)
    if missing:
        return EXIT_CONFIG
    settings = load_settings(args.config)
    validate_plugin_settings(settings)
    options = ReplayOptions(
        format=args.format,
        network=args.network,
        channel=args.channel,
        day=args.date,
        zone=args.timezone,
        speed=args.speed,
    )
    try:
        result = asyncio.run(replay_logs(settings, args.paths, options))
    except ReplayError as exc:
        term.err.print(f"cannot replay: {exc}", highlight=False, markup=False, soft_wrap=True)
        return EXIT_CONFIG
    except (MigrationError, sqlite3.Error) as exc:
        term.err.print(f"cannot open the database: {exc}", highlight=False, markup=False)
        return EXIT_FAILURE
    _print_result(result, term.out, settings.resolve(settings.storage.path))
    return EXIT_OK


def _print_result(result: ReplayResult, console: Console, database: Path) -> None:
    if not result.played:
        console.print(
            f"Nothing to replay: all {result.events} events are already in {database} "
            "(from an earlier replay or import), so no session, opening or summary is rebuilt. "
            "To rebuild them, replay into a fresh database: copy the config and point its "
            "[storage] path at a new file.",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        console.print(
            f"replay: events={result.events} played=0 duplicates={result.duplicates} "
            f"sessions=0 openings=0 summaries=0 seconds={result.seconds:.1f}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        return
    if result.duplicates:
        console.print(
            f"{result.duplicates} of {result.events} events were already in {database}; "
            "only the others were played.",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    sessions = Table(title="Sessions rebuilt", title_justify="left")
    for column in ("id", "session", "origin", "when (UTC)"):
        sessions.add_column(column, overflow="fold")
    sessions.add_column("attended", justify="right")
    sessions.add_column("lines", justify="right")
    for s in result.sessions:
        ended = "still open" if s.ended is None else f"{s.ended:%H:%M}"
        if s.ended is not None and s.ended.date() != s.started.date():
            ended = f"{s.ended:%Y-%m-%d %H:%M}"
        sessions.add_row(
            str(s.id),
            f"{s.name} on {s.network}",
            s.origin,
            f"{s.started:%Y-%m-%d %H:%M} to {ended}",
            str(s.attendees),
            str(s.lines),
        )
    if result.sessions:
        console.print(sessions)
    else:
        console.print(
            "No session was found in the log (check [sessions] or the schedules).", markup=False
        )
    if result.openings:
        openings = Table(title="Openings surfaced", title_justify="left")
        for column in ("time (UTC)", "kind", "person", "channel", "message"):
            openings.add_column(column, overflow="fold")
        for opening in result.openings:
            openings.add_row(
                str(opening.get("time", ""))[:19].replace("T", " "),
                str(opening.get("kind", "")),
                str(opening.get("person", "")),
                str(opening.get("channel", "")),
                str(opening.get("message", "")),
            )
        console.print(openings)
    files = [line.removeprefix("wrote ") for line in result.delivered if line.startswith("wrote ")]
    if files:
        console.print("Summary files written:", highlight=False)
        for name in files:
            console.print(f"  {name}", highlight=False, markup=False, soft_wrap=True)
    for line in result.delivered:
        if not line.startswith("wrote "):
            console.print(f"Summary: {line}", highlight=False, markup=False, soft_wrap=True)
    console.print(
        f"replay: events={result.events} played={result.played} "
        f"duplicates={result.duplicates} sessions={len(result.sessions)} "
        f"openings={len(result.openings)} summaries={len(files)} "
        f"play_seconds={result.play_seconds:.2f} seconds={result.seconds:.1f}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
