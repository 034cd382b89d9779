"""``presence sessions`` and ``presence attendance PERSON``: the owner's session questions.

Both read the database named by the configuration (or ``--database``) and print Rich
tables; times are shown in each session's own time zone (its schedule's; UTC otherwise).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from assistant.commandline.terminal import EXIT_CONFIG, EXIT_OK, Terminal, config_arg
from assistant.commandline.types import Handler, Subcommands
from assistant.config import ConfigError, load_settings
from assistant.sessions.queries import (
    SeriesRecord,
    SessionSummary,
    person_attendance,
    recent_sessions,
    zone,
)
from assistant.storage.database import Database, missing_history
from assistant.storage.people import find_person

__all__ = ["add_commands"]


def _source_args(parser: argparse.ArgumentParser) -> None:
    config_arg(parser, " naming the database")
    parser.add_argument(
        "--database", type=Path, default=None, help="read this database file instead"
    )


def add_commands(sub: Subcommands) -> dict[str, Handler]:
    """Add ``sessions`` and ``attendance`` to the ``presence`` subcommands."""
    sessions = sub.add_parser("sessions", help="recent chat sessions, with attendance counts")
    _source_args(sessions)
    sessions.add_argument("--limit", type=int, default=20, help="how many (default 20)")
    attendance = sub.add_parser(
        "attendance", help="a person's attendance across recurring chats, e.g. 7 of the last 8"
    )
    _source_args(attendance)
    attendance.add_argument("person", metavar="PERSON", help="a nick they use or used")
    attendance.add_argument(
        "--network", default=None, help="the network of the nick (needed if several know it)"
    )
    attendance.add_argument(
        "--last", type=int, default=8, help="sessions of each chat to look at (default 8)"
    )
    return {"sessions": cmd_sessions, "attendance": cmd_attendance}


def _opener(args: argparse.Namespace) -> Callable[[], Awaitable[Database]]:
    """How to open what the command reads: ``--database FILE``, else what the config names."""

    if args.database is not None:
        path: Path = args.database
        missing = None if path.exists() else path
        settings = None
    else:
        settings = load_settings(args.config)
        missing = missing_history(settings)
    if missing is not None:
        raise ConfigError(
            [f"{missing}: no such database; run `presence run` first, or pass --database PATH"]
        )
    if settings is None:
        return lambda: Database.open(path)
    return lambda: Database.open_settings(settings)


def cmd_sessions(args: argparse.Namespace, term: Terminal) -> int:
    """Print the latest sessions with their attendance counts."""

    open_database = _opener(args)

    async def ask() -> list[SessionSummary]:
        async with await open_database() as db:
            return list(await recent_sessions(db, args.limit))

    found = asyncio.run(ask())
    if not found:
        term.out.print("No sessions recorded yet.")
        return EXIT_OK
    table = Table(title="Recent sessions")
    for column in ("When", "Chat", "Channel", "Kind", "Length", "People", "Lines"):
        table.add_column(column, justify="right" if column in ("People", "Lines") else "left")
    for item in found:
        local = item.started.astimezone(zone(item.timezone))
        if item.ended is None:
            length = "under way"
        else:
            length = f"{round((item.ended - item.started).total_seconds() / 60)} min"
        table.add_row(
            f"{local:%a %Y-%m-%d %H:%M} {local.tzname()}",
            item.name,
            f"{item.channel} ({item.network})",
            {"schedule": "scheduled", "event": "event", "adhoc": "ad hoc"}.get(
                item.origin, item.origin
            ),
            length,
            str(item.attendees),
            str(item.lines),
        )
    term.out.print(table)
    return EXIT_OK


def cmd_attendance(args: argparse.Namespace, term: Terminal) -> int:
    """Print a person's record at each recurring chat they came to."""

    open_database = _opener(args)

    async def ask() -> tuple[list[str], list[SeriesRecord]]:
        async with await open_database() as db:
            networks = (
                [args.network]
                if args.network
                else [
                    row[0] for row in await db.fetchall("SELECT name FROM networks ORDER BY name")
                ]
            )
            people = await db.run_in_thread(
                lambda conn: {
                    net: found
                    for net in networks
                    if (found := find_person(conn, net, args.person)) is not None
                }
            )
            if len(set(people.values())) != 1:
                return sorted(people), []
            return sorted(people), await person_attendance(
                db, next(iter(people.values())), args.last
            )

    networks, records = asyncio.run(ask())
    if not networks:
        term.err.print(f"Nobody called {escape(args.person)} was ever seen.", highlight=False)
        return EXIT_CONFIG
    if len(networks) > 1 and not records:
        term.err.print(
            f"{escape(args.person)} is known on several networks ({', '.join(networks)}): "
            "say which with --network NAME",
            highlight=False,
        )
        return EXIT_CONFIG
    if not records:
        term.out.print(f"{escape(args.person)} has not attended any session yet.", highlight=False)
        return EXIT_OK
    for record in records:
        title = record.series or "ad-hoc sessions"
        term.out.print(
            f"[bold]{escape(args.person)}[/] at [bold]{escape(title)}[/] "
            f"({escape(record.channel)} on {escape(record.network)}): {record.sentence()}",
            highlight=False,
        )
        local = zone(record.timezone)
        table = Table()
        for column in ("Session", "Arrived", "Left", "Present", "Lines", "First words"):
            table.add_column(column)
        for visit in record.visits:
            start = visit.started.astimezone(local)
            if not visit.attended:
                table.add_row(f"{start:%a %Y-%m-%d %H:%M}", "—", "—", "—", "0", "")
                continue
            arrived = visit.arrived.astimezone(local) if visit.arrived else None
            left = visit.left.astimezone(local) if visit.left else None
            table.add_row(
                f"{start:%a %Y-%m-%d %H:%M}",
                f"{arrived:%H:%M}" if arrived else "?",
                f"{left:%H:%M}" if left else "to the end",
                f"{round(visit.present.total_seconds() / 60)} min",
                str(visit.lines),
                escape(visit.first_words or ""),
            )
        term.out.print(table)
    return EXIT_OK
