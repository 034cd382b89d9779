"""Versioned, checksummed migrations: the scripts, how they are split and fingerprinted.

Engine-neutral bookkeeping shared by the backends; each backend applies the scripts in its
own transactions (:meth:`assistant.storage.backend.Backend.apply_migrations`).
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import TypeAlias

from assistant.storage.backend import Connection

__all__ = [
    "CORE_NAMESPACE",
    "DIALECTS",
    "SCHEMA_MIGRATIONS",
    "MigrationError",
    "Migrations",
    "checksum",
    "core_migrations",
    "migrations_for",
    "pending_migrations",
    "split_statements",
    "table_exists",
]

DIALECTS = ("sqlite", "postgresql")
"""The SQL dialects migrations can be written in: one per storage backend, by its name."""

Migrations: TypeAlias = Sequence[str] | Mapping[str, Sequence[str]]
"""A namespace's migrations: one list of scripts, or a list per dialect, version for version
(``{"sqlite": [...], "postgresql": [...]}``)."""

CORE_NAMESPACE = "core"
"""The migration namespace of the core schema; plugins use ``plugin:NAME``."""

SCHEMA_MIGRATIONS = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    namespace TEXT NOT NULL,
    version INTEGER NOT NULL,
    applied_at REAL NOT NULL,
    checksum TEXT NOT NULL,
    PRIMARY KEY (namespace, version)
)
"""
"""The table recording which migration of which namespace was applied, when, with what text."""

_AROUND_PUNCTUATION = re.compile(r"\s*([(),;])\s*")


class MigrationError(Exception):
    """A migration could not be applied, or the database does not match the code."""


def core_migrations(dialect: str = "sqlite") -> list[str]:
    """Return the core migration scripts of ``dialect`` shipped in the package, in order.

    SQLite's are ``migrations/NNNN_name.sql``, PostgreSQL's ``migrations/postgresql/``,
    version for version. Files are numbered from 0001 without gaps, so that a missing or
    misnamed file is caught at start-up rather than skipped.
    """
    folder = resources.files("assistant.storage").joinpath("migrations")
    if dialect != "sqlite":
        folder = folder.joinpath(dialect)
    files = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".sql")),
        key=lambda entry: entry.name,
    )
    scripts = []
    for version, entry in enumerate(files, 1):
        if not entry.name.startswith(f"{version:04d}_"):
            raise MigrationError(f"core migration {entry.name}: expected number {version:04d}")
        scripts.append(entry.read_text(encoding="utf-8"))
    return scripts


def migrations_for(namespace: str, migrations: Migrations, dialect: str) -> list[str]:
    """The scripts of ``migrations`` to apply on a ``dialect`` database.

    A plain list is taken as it is; a mapping gives each dialect its own list.

    Raises:
        MigrationError: the mapping names an unknown dialect, its lists differ in length
            (they must be version for version), or it has no list for ``dialect``.
    """
    if not isinstance(migrations, Mapping):
        return list(migrations)
    unknown = sorted(set(migrations) - set(DIALECTS))
    if unknown:
        raise MigrationError(
            f"{namespace}: migrations for unknown dialect {', '.join(unknown)} "
            f"(known: {', '.join(DIALECTS)})"
        )
    lengths = {name: len(scripts) for name, scripts in migrations.items()}
    if len(set(lengths.values())) > 1:
        counts = ", ".join(f"{count} for {name}" for name, count in sorted(lengths.items()))
        raise MigrationError(
            f"{namespace}: each dialect needs the same versions, one script each ({counts})"
        )
    if dialect not in migrations:
        raise MigrationError(
            f"{namespace} has no {dialect} migrations "
            f"(only {', '.join(sorted(migrations)) or 'none'})"
        )
    return list(migrations[dialect])


def pending_migrations(
    namespace: str, known: dict[int, str], scripts: Sequence[str]
) -> list[tuple[int, str, str]]:
    """Check ``known`` (version → checksum, as recorded) against ``scripts``; list the rest.

    Returns ``(version, script, checksum)`` for every script not applied yet, in order.

    Raises:
        MigrationError: the database is newer than ``scripts``, or an applied migration's
            text was changed since.
    """
    newest = max(known, default=0)
    if newest > len(scripts):
        raise MigrationError(
            f"{namespace}: the database is at version {newest} but this code knows only "
            f"{len(scripts)}; upgrade Presence (or the plugin) instead of downgrading"
        )
    missing = []
    for version, script in enumerate(scripts, 1):
        fingerprint = checksum(script)
        if version not in known:
            missing.append((version, script, fingerprint))
        elif known[version] != fingerprint:
            raise MigrationError(
                f"{namespace} migration {version} was changed after it was applied; "
                "add a new migration instead of editing an applied one"
            )
    return missing


def split_statements(script: str) -> list[str]:
    """Split an SQL script into statements, keeping trigger bodies and literals whole."""
    statements, buffer = [], ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if _has_code(buffer):
                statements.append(buffer.strip())
            buffer = ""
    if _has_code(buffer):
        raise MigrationError(f"incomplete SQL statement: {buffer.strip()[:60]!r}")
    return statements


def _has_code(sql: str) -> bool:
    lines = (line.split("--", 1)[0] for line in sql.splitlines())
    return any(line.strip(" \t;") for line in lines)


def table_exists(conn: Connection, name: str) -> bool:
    """Whether the database has a table called ``name`` (a plugin's may not be installed)."""
    if isinstance(conn, sqlite3.Connection):
        sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    else:  # PostgreSQL's catalogue, in the schema the connection uses
        sql = (
            "SELECT 1 FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_name = ?"
        )
    return conn.execute(sql, (name,)).fetchone() is not None


def checksum(script: str) -> str:
    """Fingerprint a migration, insensitive to layout (re-indenting is not an edit)."""
    canonical = _AROUND_PUNCTUATION.sub(r"\1", " ".join(script.split()).strip())
    return hashlib.sha256(canonical.encode()).hexdigest()
