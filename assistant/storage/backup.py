"""Consistent copies of the database, taken while Presence runs, and putting one back.

A backup uses SQLite's online backup API in one step: the copy is the database as of one
committed moment, and, the file being in WAL mode, writers (``presence run``) go on
writing meanwhile. The copy is written next to its destination under a temporary name,
checked, switched to a single-file journal, and only then renamed into place, so a failed
backup never leaves a half-written file at the path asked for. All of it runs in a worker
thread: an event loop that asks for a backup keeps running.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from assistant.storage.database import BUSY_TIMEOUT_MS

__all__ = ["BackupError", "BackupResult", "backup_database", "restore_database"]


class BackupError(Exception):
    """A backup or restore cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class BackupResult:
    """Where a copy was written, how big it is, and what it holds."""

    path: Path
    size: int
    tables: int
    messages: int
    kept: Path | None = None
    """On a restore: where the database as it was before was kept."""


def _connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    uri = f"{path.resolve().as_uri()}{'?mode=ro' if readonly else ''}"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def _check(conn: sqlite3.Connection, path: Path) -> tuple[int, int]:
    """Check that ``conn`` is a sound Presence database; return its tables and messages."""
    try:
        problems = [row[0] for row in conn.execute("PRAGMA quick_check")]
        names = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not an SQLite database ({exc})") from exc
    if problems != ["ok"]:
        raise BackupError(f"{path} is damaged: {'; '.join(problems[:3])}")
    if not {"schema_migrations", "messages"} <= names:
        raise BackupError(f"{path} is an SQLite database but not one of Presence's")
    messages = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
    return len(names), int(messages)


def _target(source: Path, path: Path, *, overwrite: bool) -> Path:
    if path.is_dir():
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        path = path / f"{source.stem}-{stamp}.sqlite3"
    if not path.parent.is_dir():
        raise BackupError(f"cannot write {path}: the folder {path.parent} does not exist")
    if path.exists() and not overwrite:
        raise BackupError(f"{path} already exists; choose another path or pass --force")
    if path.exists() and path.resolve() == source.resolve():
        raise BackupError(f"{path} is the database itself; back it up somewhere else")
    return path


def _copy(source: sqlite3.Connection, path: Path) -> None:
    """Write ``source`` to ``path`` as one self-contained file in rollback-journal mode."""
    target = sqlite3.connect(path, isolation_level=None)
    try:
        source.backup(target)  # pages=-1: one step, so one consistent snapshot
        target.execute("PRAGMA journal_mode = DELETE")  # no -wal file to carry along
    finally:
        target.close()


def _backup(source: Path, path: Path, overwrite: bool, *, check: bool = True) -> BackupResult:
    if not source.is_file():
        raise BackupError(f"there is no database at {source}; check [storage] path")
    path = _target(source, path, overwrite=overwrite)
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        conn = _connect(source)
        try:
            _copy(conn, partial)
        finally:
            conn.close()
        tables = messages = 0
        if check:
            copy = _connect(partial, readonly=True)
            try:
                tables, messages = _check(copy, partial)
            finally:
                copy.close()
        partial.replace(path)
    except sqlite3.Error as exc:
        raise BackupError(f"backing up {source} to {path} failed: {exc}") from exc
    except OSError as exc:
        raise BackupError(f"cannot write {path}: {exc.strerror or exc}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return BackupResult(path, path.stat().st_size, tables, messages)


async def backup_database(source: Path, path: Path, *, overwrite: bool = False) -> BackupResult:
    """Copy the database at ``source`` to ``path`` (a file, or a folder to name one in).

    Safe while another connection or process writes to ``source``: the copy holds every
    transaction committed when it started and nothing half-done.

    Raises:
        BackupError: ``source`` is missing, ``path`` is in a missing folder or exists
            (without ``overwrite``), or the copy failed or did not check out.
    """
    return await asyncio.to_thread(_backup, Path(source), Path(path), overwrite)


def _restore(backup: Path, database: Path) -> BackupResult:
    if not backup.is_file():
        raise BackupError(f"there is no backup at {backup}")
    if database.exists() and backup.resolve() == database.resolve():
        raise BackupError(f"{backup} is the database itself")
    if not database.parent.is_dir():
        raise BackupError(f"cannot restore to {database}: {database.parent} does not exist")
    try:
        source = _connect(backup, readonly=True)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot open {backup}: {exc}") from exc
    try:
        tables, messages = _check(source, backup)
        kept = None
        if database.exists():
            # Unchecked: a damaged database is what a restore is often for.
            before = database.with_name(f"{database.name}.before-restore")
            kept = _backup(database, before, True, check=False)
        target = _connect(database)
        try:
            # Written through SQLite rather than over the file: the live database's WAL
            # and shared memory stay consistent with what is restored.
            source.backup(target)
        finally:
            target.close()
    except sqlite3.Error as exc:
        raise BackupError(f"restoring {backup} to {database} failed: {exc}") from exc
    finally:
        source.close()
    size = database.stat().st_size
    return BackupResult(database, size, tables, messages, kept.path if kept else None)


async def restore_database(backup: Path, database: Path) -> BackupResult:
    """Put the backup at ``backup`` back as the database at ``database``.

    The backup is checked first; the database as it was is kept beside it as
    ``NAME.before-restore`` (replacing an older one). Stop ``presence run`` first: a
    running assistant would go on from what it had in memory.

    Raises:
        BackupError: the backup is missing, damaged or not Presence's, or the copy failed.
    """
    return await asyncio.to_thread(_restore, Path(backup), Path(database))
