"""The owner's copies of what Presence holds: ``presence export``, ``backup`` and ``restore``.

One of :data:`assistant.commandline.COMMAND_MODULES`.
``export`` writes one person's data as JSON (the other half of ``presence forget``);
``backup`` copies the database consistently while ``presence run`` writes to it;
``restore`` puts a backup back once Presence is stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.commandline.people import _resolve, _with_db
from assistant.commandline.terminal import (
    EXIT_FAILURE,
    EXIT_OK,
    Terminal,
    config_arg,
    load_config,
)
from assistant.commandline.types import Handler, Subcommands
from assistant.config import ConfigError
from assistant.events import utcnow
from assistant.people.directory import resolve_person
from assistant.people.linking import configured_groups
from assistant.storage.backup import BackupError, backup_database, restore_database
from assistant.storage.export import person_export

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.storage.backup import BackupResult
    from assistant.storage.database import Database

__all__ = ["add_commands"]


def add_commands(sub: Subcommands) -> dict[str, Handler]:
    """Add the export, backup and restore commands to ``presence``; return their handlers."""
    export = sub.add_parser(
        "export",
        help="write everything stored about PERSON as JSON (identities, messages, presence, "
        "attendance, analyses, openings, relationship, watchlist entry)",
    )
    export.add_argument("name", metavar="PERSON", help="a nick, user id, configured name or id")
    export.add_argument(
        "--output", "-o", type=Path, default=None, help="write to this file (default: stdout)"
    )
    export.add_argument("--force", action="store_true", help="overwrite an existing file")
    config_arg(export)

    backup = sub.add_parser(
        "backup", help="copy the database to PATH consistently, even while `presence run` writes"
    )
    backup.add_argument(
        "path", metavar="PATH", type=Path, help="the copy's file, or a folder to name one in"
    )
    backup.add_argument("--force", action="store_true", help="overwrite an existing file")
    config_arg(backup)

    restore = sub.add_parser(
        "restore", help="put a backup back as the database (stop `presence run` first)"
    )
    restore.add_argument("backup", metavar="BACKUP", type=Path, help="a file `backup` wrote")
    restore.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    config_arg(restore)
    return {"export": cmd_export, "backup": cmd_backup, "restore": cmd_restore}


def _size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def _database_path(args: argparse.Namespace) -> Path:
    """The SQLite file to back up or restore.

    Raises:
        ConfigError: the history is in PostgreSQL, whose own tools copy it.
    """

    settings = load_config(args.config)
    if settings.storage.backend != "sqlite":
        raise ConfigError(
            [
                f"{args.config}: [storage] backend = {settings.storage.backend!r}: "
                f"`presence {args.command}` copies an SQLite file; back a PostgreSQL "
                "database up with pg_dump and put it back with pg_restore"
            ]
        )
    return settings.resolve(settings.storage.path)


def _watched(settings: Settings, conn: Any, person: int) -> list[dict[str, Any]]:
    """The person's [[watchlist]] and [[aliases]] entries, as configured."""

    groups = configured_groups(settings)
    entries: list[dict[str, Any]] = []
    for kind, members in (("watchlist", settings.watchlist), ("aliases", settings.aliases)):
        for member in members:
            if resolve_person(conn, member.name, groups) == person:
                entries.append({"section": kind, **member.model_dump(mode="json")})
    return entries


def cmd_export(args: argparse.Namespace, term: Terminal) -> int:
    """Write everything stored about a person as JSON."""

    output: Path | None = args.output
    if output is not None:
        if not output.parent.is_dir():
            return term.fail(f"cannot write {output}: the folder {output.parent} does not exist")
        if output.exists() and not args.force:
            return term.fail(f"{output} already exists; choose another file or pass --force")

    async def export(settings: Settings, db: Database) -> int:
        person = await _resolve(settings, db, args.name)
        if person is None:
            return term.fail(f"nobody called {args.name!r}; `presence people` lists everyone")

        def gather(conn: Any) -> dict[str, Any] | None:
            data = person_export(conn, person)
            if data is not None:
                data["configured"] = _watched(settings, conn, person)
            return data

        data = await db.run_in_thread(gather)
        if data is None:
            return term.fail(f"person {person} is gone; `presence people` lists everyone")
        data = {"asked_for": args.name, "exported_at": utcnow().isoformat(), **data}
        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        if output is None:
            sys.stdout.write(text)
            return EXIT_OK
        await asyncio.to_thread(output.write_text, text, encoding="utf-8")
        rows = sum(len(rows) for rows in data["tables"].values())
        term.err.print(
            f"Wrote {output}: person {person}, {rows} rows from {len(data['tables'])} tables, "
            f"{_size(len(text.encode()))}.",
            highlight=False,
            markup=False,
        )
        return EXIT_OK

    return _with_db(args, export)


def _report(verb: str, result: BackupResult) -> str:
    return (
        f"{verb} {result.path}: {_size(result.size)}, {result.tables} tables, "
        f"{result.messages} messages."
    )


def cmd_backup(args: argparse.Namespace, term: Terminal) -> int:
    """Copy the database consistently to a file."""

    source = _database_path(args)
    try:
        result = asyncio.run(backup_database(source, args.path, overwrite=args.force))
    except BackupError as exc:
        return term.fail(str(exc))
    term.out.print(_report(f"Backed up {source} to", result), markup=False)
    term.out.print(
        f"To restore it: stop Presence, then run presence restore {result.path}", markup=False
    )
    return EXIT_OK


def cmd_restore(args: argparse.Namespace, term: Terminal) -> int:
    """Put a backup back as the database."""

    database = _database_path(args)
    if not args.yes:
        answer = input(f"Replace {database} with {args.backup}? Stop `presence run` first. [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            term.out.print("Nothing restored.")
            return EXIT_FAILURE
    try:
        result = asyncio.run(restore_database(args.backup, database))
    except BackupError as exc:
        return term.fail(str(exc))
    term.out.print(_report("Restored", result), markup=False)
    if result.kept is not None:
        term.out.print(f"The database as it was is kept in {result.kept}", markup=False)
    return EXIT_OK
