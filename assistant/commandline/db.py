"""The owner's copies of what Presence holds: ``presence export``, ``backup``, ``restore``, ``db``.

One of :data:`assistant.commandline.COMMAND_MODULES`.
``export`` writes one person's data as JSON (the other half of ``presence forget``);
``backup`` copies the database consistently while ``presence run`` writes to it;
``restore`` puts a backup back once Presence is stopped;
``db copy`` moves a whole history from SQLite to PostgreSQL or back
(:mod:`assistant.storage.copy`), resuming where an interrupted copy stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

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
from assistant.storage.copy import BATCH_SIZE, CopyError, CopyResult, copy_history
from assistant.storage.database import Database, MigrationError
from assistant.storage.export import person_export
from assistant.storage.schema import DIALECTS
from assistant.storage.writer import StorageError

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.storage.backup import BackupResult

__all__ = ["add_commands"]


def add_commands(sub: Subcommands) -> dict[str, Handler]:
    """Add the export, backup, restore and db commands to ``presence``; return their handlers."""
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

    db = sub.add_parser(
        "db", help="work with the history's database: copy it to PostgreSQL or back"
    )
    actions = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    copy = actions.add_parser(
        "copy",
        help="copy the whole history into PostgreSQL (or back into SQLite), checking the "
        "rows of every table; run it again to resume",
        description="Copy every table of the history into another database, row for row, "
        "then count each table on both sides (exit status 1 if any differ). Stop `presence "
        "run` first. An interrupted copy goes on where it stopped when run again; a target "
        "that holds another history is refused.",
    )
    copy.add_argument(
        "--to", required=True, choices=("postgresql", "sqlite"), help="the target's backend"
    )
    copy.add_argument(
        "--from",
        dest="source",
        type=Path,
        metavar="FILE",
        default=None,
        help="copy this SQLite file (default: the history the configuration names)",
    )
    copy.add_argument(
        "--to-dsn-env",
        metavar="VAR",
        default=None,
        help="with --to postgresql: the environment variable holding the target's DSN "
        "(default: [storage] dsn_env)",
    )
    copy.add_argument(
        "--to-path",
        type=Path,
        metavar="FILE",
        default=None,
        help="with --to sqlite: the SQLite file to copy into (default: [storage] path)",
    )
    copy.add_argument(
        "--batch-size",
        type=int,
        default=BATCH_SIZE,
        metavar="ROWS",
        help=f"rows per transaction (default: {BATCH_SIZE})",
    )
    config_arg(copy, " naming the history to copy")
    return {"export": cmd_export, "backup": cmd_backup, "restore": cmd_restore, "db": cmd_db}


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


@dataclass(frozen=True, slots=True)
class _Place:
    """One side of a copy: an SQLite file or a PostgreSQL DSN, and how to show it."""

    shown: str
    path: Path | None = None
    dsn: str | None = None

    async def open(self, batch_size: int) -> Database:
        if self.path is not None:
            return await Database.open(self.path, batch_size=batch_size)
        assert self.dsn is not None
        return await Database.open_postgresql(self.dsn, batch_size=batch_size)


def _dsn_from(variable: str, what: str) -> _Place:
    """The PostgreSQL database whose DSN ``variable`` holds; ConfigError if it is not set."""
    from assistant.storage.postgresql import redact_dsn  # needs asyncpg: only when asked

    dsn = os.environ.get(variable)
    if not dsn:
        raise ConfigError(
            [
                f"environment variable {variable} is not set: export it with the {what}'s DSN, "
                "postgresql://user:password@host:port/database"
            ]
        )
    return _Place(redact_dsn(dsn), dsn=dsn)


def _copy_places(args: argparse.Namespace, settings: Settings) -> tuple[_Place, _Place]:
    """The source and target ``presence db copy`` was asked for.

    Raises:
        ConfigError: a file or DSN variable is missing, or source and target are one.
    """
    storage = settings.storage
    configured = settings.resolve(storage.path)
    if args.source is not None or storage.backend == "sqlite":
        path = args.source if args.source is not None else configured
        if not path.is_file():
            raise ConfigError([f"{path} does not exist: there is no history to copy"])
        source = _Place(str(path), path=path)
    else:
        assert storage.dsn_env is not None  # the settings' validator makes sure
        source = _dsn_from(storage.dsn_env, "source")
    if args.to == "postgresql":
        variable = args.to_dsn_env or storage.dsn_env
        if variable is None:
            raise ConfigError(
                [
                    "--to postgresql needs the environment variable holding the target's DSN: "
                    "--to-dsn-env VAR (or [storage] dsn_env)"
                ]
            )
        target = _dsn_from(variable, "target")
    else:
        path = args.to_path if args.to_path is not None else configured
        if not path.parent.is_dir():
            raise ConfigError([f"cannot write {path}: the folder {path.parent} does not exist"])
        target = _Place(str(path), path=path)
    same_file = (
        source.path is not None
        and target.path is not None
        and source.path.resolve() == target.path.resolve()
    )
    if same_file or (source.dsn is not None and source.dsn == target.dsn):
        raise ConfigError(
            [f"the source and the target are the same database ({source.shown}): name another"]
        )
    return source, target


def _plugin_migrations() -> dict[str, dict[str, list[str]]]:
    """Each installed plugin's migrations in every dialect it has them in."""
    # Loads every plugin's module: not for --help (as load_config does).
    from assistant.plugins import PluginError, discover_plugins, plugin_migrations

    found: dict[str, dict[str, list[str]]] = {}
    for name, cls in discover_plugins().items():
        found[name] = {}
        for dialect in DIALECTS:
            try:
                found[name][dialect] = plugin_migrations(name, cls, dialect)
            except PluginError:
                continue  # applying them there says the dialect is missing
    return found


class _Bars:
    """A Rich progress bar per table, fed by the copier's progress reports."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}

    def __call__(self, table: str, done: int, total: int) -> None:
        task = self._tasks.get(table)
        if task is None:
            self._tasks[table] = self._progress.add_task(table, total=total, completed=done)
        else:
            self._progress.update(task, completed=done)


def _counts_table(result: CopyResult) -> Table:
    table = Table(title="Rows per table", title_justify="left")
    table.add_column("table")
    table.add_column("source", justify="right")
    table.add_column("target", justify="right")
    table.add_column("copied now", justify="right")
    for row in result.tables:
        style = None if row.equal else "bold red"
        copied = "empty" if row.source == 0 else f"{row.copied:,}"
        if row.skipped and row.source:
            copied = "complete already"
        table.add_row(row.name, f"{row.source:,}", f"{row.target:,}", copied, style=style)
    return table


def cmd_db(args: argparse.Namespace, term: Terminal) -> int:
    """Work with the history's database (one action so far: copy)."""
    return cmd_db_copy(args, term)


def cmd_db_copy(args: argparse.Namespace, term: Terminal) -> int:
    """Copy the whole history into PostgreSQL or SQLite, then compare the counts."""
    if args.batch_size < 1:
        return term.fail("--batch-size must be at least 1")
    settings = load_config(args.config)
    source, target = _copy_places(args, settings)
    plugins = _plugin_migrations()
    columns = (TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn())

    async def run() -> CopyResult:
        async with (
            await source.open(args.batch_size) as from_db,
            await target.open(args.batch_size) as to_db,
        ):
            with Progress(*columns, console=term.err) as progress:
                return await copy_history(
                    from_db,
                    to_db,
                    plugins=plugins,
                    batch_size=args.batch_size,
                    progress=_Bars(progress),
                )

    started = time.monotonic()
    try:
        result = asyncio.run(run())
    except KeyboardInterrupt:
        term.err.print(
            "Stopped. Run the same command again to go on where the copy stopped.",
            highlight=False,
        )
        return EXIT_FAILURE
    except (CopyError, MigrationError, ConnectionError, StorageError) as exc:
        return term.fail(str(exc), EXIT_FAILURE)
    elapsed = max(time.monotonic() - started, 1e-9)
    term.out.print(_counts_table(result))
    summary = (
        f"Copied {result.copied:,} rows from {source.shown} to {target.shown} in "
        f"{elapsed:.1f} s ({result.copied / elapsed:,.0f} rows/s)."
    )
    if not result.copied:
        summary = f"Nothing to copy: {target.shown} holds every row of {source.shown} already."
    term.out.print(summary, highlight=False, markup=False)
    if not result.complete:
        differ = [row.name for row in result.tables if not row.equal]
        return term.fail(
            f"the target's counts differ from the source's in {', '.join(differ)}; "
            "was the source written to meanwhile? Stop `presence run` and copy again",
            EXIT_FAILURE,
        )
    if args.to == "postgresql" and settings.storage.backend == "sqlite":
        variable = args.to_dsn_env
        term.out.print(
            f'To use it, set [storage] backend = "postgresql" and dsn_env = "{variable}" '
            f"in {args.config}.",
            highlight=False,
            markup=False,
        )
    return EXIT_OK
