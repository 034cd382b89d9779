"""``presence doctor``: can this install do what the README promises? One line per concern.

Each check returns :class:`Finding` values: ✓ fine, ✗ something to fix (with the fix), or
• advice that cannot be checked from here. Nothing on the network is contacted unless the
user passes ``--online``; secrets are looked up by variable name and never printed.
"""

from __future__ import annotations

import asyncio
import os
import platform
import socket
import sqlite3
import ssl
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

# Rich is loaded by the ``presence`` command anyway (it prints with it).
from rich.console import Console
from rich.text import Text

if TYPE_CHECKING:
    from assistant.config import NetworkSettings, Settings

__all__ = ["Finding", "run_doctor", "secret_names"]

Status = Literal["ok", "fix", "note"]

MIN_PYTHON = (3, 11)
DISCORD_GATEWAY = ("gateway.discord.gg", 443)
"""Where a Discord network connects; the configured ``host`` is IRC only."""
CONNECT_TIMEOUT = 10.0
"""Seconds ``--online`` waits for one server before calling it unreachable."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One line of the report: what was found and, when it needs fixing, how."""

    status: Status
    what: str
    fix: str = ""


def run_doctor(console: Console, config: Path | None, *, online: bool = False) -> int:
    """Run every check and print its lines; return 0 when all is well, 1 otherwise."""
    from assistant.version import presence_version

    console.print(Text(f"presence {presence_version()}", style="bold"))
    settings, findings = _config(config)
    checks: list[Iterator[Finding]] = [iter(findings), _python(), _pipeline(settings)]
    if settings is not None:
        checks += [
            _networks(settings, online),
            _secrets(settings),
            _database(settings, online),
            _discord(settings),
        ]
    checks.append(_ircd())
    problems = 0
    for check in checks:
        for finding in check:
            problems += finding.status == "fix"
            console.print(_line(finding), soft_wrap=True)
    if problems:
        console.print(Text(f"{problems} to fix.", style="bold red"))
        return 1
    console.print(Text("All is well.", style="bold green"))
    return 0


def _line(finding: Finding) -> Text:
    mark = {"ok": ("✓", "green"), "fix": ("✗", "red"), "note": ("•", "cyan")}[finding.status]
    line = Text.assemble((mark[0], mark[1]), " ", finding.what)
    if finding.fix:
        line.append(f" — {finding.fix}", style="yellow" if finding.status == "fix" else "")
    return line


def _config(path: Path | None) -> tuple[Settings | None, list[Finding]]:
    """Load the configuration: the one given, else $PRESENCE_CONFIG, else presence.toml if any."""
    from assistant.config import ConfigError, load_settings
    from assistant.plugins import PluginError, validate_plugin_settings

    given = path is not None or "PRESENCE_CONFIG" in os.environ
    path = path or Path(os.environ.get("PRESENCE_CONFIG", "presence.toml"))
    if not given and not path.exists():
        return None, [
            Finding(
                "note",
                f"no configuration ({path} not found): `presence demo` needs none",
                "to attend your chats, `presence init` writes one; then "
                f"`presence doctor -c {path}` checks its networks, secrets and database",
            )
        ]
    try:
        settings = load_settings(path)
        validate_plugin_settings(settings)
    except ConfigError as exc:
        more = f" (and {len(exc.problems) - 1} more)" if len(exc.problems) > 1 else ""
        return None, [
            Finding(
                "fix",
                f"configuration: {exc.problems[0]}{more}",
                f"`presence config check -c {path}` lists every problem",
            )
        ]
    except PluginError as exc:
        return None, [Finding("fix", f"configuration {path}: {exc}", "fix or disable the plugin")]
    channels = sum(len(n.channels) for n in settings.networks.values())
    return settings, [
        Finding(
            "ok",
            f"configuration {path} is valid: {len(settings.networks)} network(s), "
            f"{channels} channel(s)",
        )
    ]


def _python() -> Iterator[Finding]:
    version = platform.python_version()
    if sys.version_info >= MIN_PYTHON:
        yield Finding("ok", f"Python {version} ({platform.python_implementation()})")
    else:
        needed = ".".join(map(str, MIN_PYTHON))
        yield Finding("fix", f"Python {version}", f"Presence needs Python {needed} or later")


def _pipeline(settings: Settings | None) -> Iterator[Finding]:
    """The spaCy pipeline `presence run` and `presence demo` would load, loaded to be sure."""
    if settings is not None and not settings.analysis.enabled:
        yield Finding("note", "analysis is off ([analysis] enabled = false): no pipeline used")
        return
    from assistant.nlp.pipeline import FALLBACK, best_installed, fallback_costs, install_hint

    configured = settings.analysis.pipeline if settings is not None else ""
    costs = "; ".join(fallback_costs())
    if configured == FALLBACK:
        yield Finding("ok", f"spaCy pipeline: the rule-based fallback, as configured ({costs})")
        return
    if configured:
        import spacy

        try:
            nlp = spacy.load(configured, exclude=["ner"])
        except Exception as exc:  # any failure to load is what the user must hear about
            yield Finding(
                "fix",
                f"spaCy pipeline {configured!r} ([analysis] pipeline) does not load: {exc}",
                f"install it, or empty the setting (the pinned one installs with: "
                f"{install_hint()})",
            )
            return
        yield Finding("ok", f"spaCy pipeline {configured} {nlp.meta.get('version', '')}".strip())
        return
    best = best_installed()
    if best is None:
        yield Finding(
            "fix",
            f"no English spaCy pipeline: the rule-based fallback is used ({costs})",
            f"install one with: {install_hint()}",
        )
        return
    name, nlp = best
    yield Finding("ok", f"spaCy pipeline {name} {nlp.meta.get('version', '')}".rstrip())


def _networks(settings: Settings, online: bool) -> Iterator[Finding]:
    if not settings.networks:
        yield Finding("note", "no network configured", "add a [networks.NAME] table to attend")
    for name, network in settings.networks.items():
        if network.platform == "discord":
            where = "Discord gateway {}:{}".format(*DISCORD_GATEWAY)
        else:
            where = f"{network.host}:{network.port}{' TLS' if network.tls else ''}"
        if not online:
            yield Finding("ok", f"network {name}: {where} (not contacted; --online checks it)")
            continue
        problem = _reach(network)
        if problem is None:
            yield Finding("ok", f"network {name}: {where} is reachable")
        else:
            yield Finding("fix", f"network {name}: {where}: {problem[0]}", problem[1])


def _reach(network: NetworkSettings) -> tuple[str, str] | None:
    """Resolve and connect (and shake hands, with TLS); the problem and its fix, if any."""
    discord = network.platform == "discord"
    host, port = DISCORD_GATEWAY if discord else (network.host, network.port)
    try:
        sock = socket.create_connection((host, port), timeout=CONNECT_TIMEOUT)
    except socket.gaierror as exc:
        fix = "check your DNS" if discord else "check the host name and your DNS"
        return f"{host} does not resolve ({exc.strerror})", fix
    except OSError as exc:
        return (
            f"cannot connect ({exc.strerror or exc})",
            "check the host and port, and that a firewall lets the connection out",
        )
    with sock:
        if not (discord or network.tls):
            return None
        context = ssl.create_default_context()
        if discord or network.verify_tls:
            if network.ca_file is not None:
                context.load_verify_locations(network.ca_file)
        else:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        try:
            with context.wrap_socket(sock, server_hostname=host):
                return None
        except ssl.SSLCertVerificationError as exc:
            return (
                f"the TLS certificate is not trusted ({exc.verify_message})",
                "for a private CA set ca_file; check the host name",
            )
        except (ssl.SSLError, OSError) as exc:
            return f"TLS handshake failed ({exc})", "check the port is the server's TLS port"


def secret_names(settings: Settings) -> list[str]:
    """The environment variables the configuration names for its secrets, in file order.

    A plugin's are the string values of its ``[plugins.NAME]`` keys named ``*_env`` (the
    openings' ``webhook_url_env``), as every table's are.
    """
    names = [settings.storage.dsn_env] + [
        name
        for network in settings.networks.values()
        for name in [
            network.sasl_password_env,
            network.token_env,
            *(c.key_env for c in network.channels),
        ]
    ]
    names += [
        value
        for table in settings.plugins.values()
        for key, value in table.items()
        if key.endswith("_env") and isinstance(value, str)
    ]
    names.append(settings.summaries.webhook_url_env)
    return list(dict.fromkeys(name for name in names if name is not None))


def _secrets(settings: Settings) -> Iterator[Finding]:
    names = secret_names(settings)
    if not names:
        yield Finding("ok", "secrets: the configuration names none")
        return
    missing = [name for name in names if not os.environ.get(name)]
    if missing:
        yield Finding(
            "fix",
            f"secrets: {', '.join(missing)} not set in the environment",
            "export them before `presence run` (values are never printed)",
        )
    else:
        yield Finding("ok", f"secrets: {', '.join(names)} set (values not shown)")


def _database(settings: Settings, online: bool) -> Iterator[Finding]:
    from assistant.storage.database import CORE_NAMESPACE, core_migrations

    if settings.storage.backend == "postgresql":
        yield from _postgresql(settings, online)
        return
    path = settings.resolve(settings.storage.path)
    latest = len(core_migrations())
    folder = path.parent
    if not path.exists():
        if not folder.is_dir():
            yield Finding(
                "fix",
                f"database {path}: folder {folder} does not exist",
                "create it, or set [storage] path",
            )
        elif not os.access(folder, os.W_OK | os.X_OK):
            yield Finding(
                "fix",
                f"database {path}: folder {folder} is not writable",
                "make it writable, or set [storage] path",
            )
        else:
            yield Finding("ok", f"database {path}: created at first run (schema {latest})")
        return
    # SQLite writes its journal beside the file, so the folder must be writable too.
    if not (os.access(path, os.R_OK | os.W_OK) and os.access(folder, os.W_OK | os.X_OK)):
        yield Finding(
            "fix",
            f"database {path} is not writable (the file and its folder must be)",
            "fix the permissions, or set [storage] path",
        )
        return
    try:
        with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as conn:
            row = conn.execute(
                "SELECT MAX(version) FROM schema_migrations WHERE namespace = ?",
                (CORE_NAMESPACE,),
            ).fetchone()
    except sqlite3.Error as exc:
        yield Finding(
            "fix",
            f"database {path} is not a Presence database ({exc})",
            "point [storage] path at another file",
        )
        return
    yield _schema(f"database {path}", int(row[0] or 0), latest, "writable")


def _schema(what: str, version: int, latest: int, state: str) -> Finding:
    if version > latest:
        return Finding(
            "fix",
            f"{what}: schema {version} is newer than this Presence knows ({latest})",
            "upgrade Presence",
        )
    if version < latest:
        return Finding("ok", f"{what}: schema {version}, brought to {latest} by the next run")
    return Finding("ok", f"{what}: {state}, schema {version} (current)")


def _postgresql(settings: Settings, online: bool) -> Iterator[Finding]:
    """The PostgreSQL database ``[storage]`` names: contacted with ``--online`` only."""
    from assistant.storage.database import POSTGRESQL_INSTALL_HINT, core_migrations

    variable = settings.storage.dsn_env
    assert variable is not None  # the settings' validator makes sure
    dsn = os.environ.get(variable)
    if dsn is None:
        yield Finding("note", f"database: PostgreSQL, its DSN in {variable} (not set; see above)")
        return
    try:
        import asyncpg

        from assistant.storage.postgresql import redact_dsn
    except ImportError:
        yield Finding("fix", "database: PostgreSQL needs asyncpg", POSTGRESQL_INSTALL_HINT)
        return
    shown = redact_dsn(dsn)
    if not online:
        yield Finding("ok", f"database PostgreSQL at {shown} (not contacted; --online checks it)")
        return
    try:
        version = asyncio.run(_postgresql_schema(dsn))
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        reason = str(exc).replace(dsn, shown)
        yield Finding(
            "fix",
            f"database PostgreSQL at {shown}: cannot connect ({reason})",
            f"check {variable}, the server, and that the role may log in",
        )
        return
    latest = len(core_migrations())
    what = f"database PostgreSQL at {shown}"
    if version is None:
        yield Finding("ok", f"{what}: reachable, migrated at first run (schema {latest})")
    else:
        yield _schema(what, version, latest, "reachable")


async def _postgresql_schema(dsn: str) -> int | None:
    """The core schema version (None: not migrated yet), read without writing anything."""
    import asyncpg

    from assistant.storage.database import CORE_NAMESPACE

    conn = await asyncpg.connect(dsn, timeout=CONNECT_TIMEOUT)
    try:
        if await conn.fetchval("SELECT to_regclass('schema_migrations')") is None:
            return None
        version = await conn.fetchval(
            "SELECT max(version) FROM schema_migrations WHERE namespace = $1", CORE_NAMESPACE
        )
        return int(version or 0)
    finally:
        await conn.close()


def _discord(settings: Settings) -> Iterator[Finding]:
    from assistant.connectors.discord.intents import PRIVILEGED

    switches = ", ".join(p.switch for p in PRIVILEGED)
    portal = "Developer Portal -> your application -> Bot -> Privileged Gateway Intents"
    for name, network in settings.networks.items():
        if network.platform != "discord":
            continue
        refused = (
            "Presence carries on without a refused one (degrade_intents = true)"
            if network.degrade_intents
            else "the network stays off while one is refused"
        )
        yield Finding(
            "note",
            f"Discord network {name}: the bot needs the privileged intents {switches}",
            f"turn them on at {portal}; {refused}",
        )


def _ircd() -> Iterator[Finding]:
    from assistant.testing.ircd import NgircdNotFoundError, find_ngircd

    try:
        found = find_ngircd()
    except NgircdNotFoundError as exc:
        yield Finding("fix", "IRC daemon for `presence demo`: ngircd not found", str(exc))
        return
    yield Finding("ok", f"IRC daemon for `presence demo`: ngircd ({found})")
