"""Finding plugins and checking them before they run: the ``Plugin`` base class and its rules.

Plugins are found only through the ``assistant.plugins`` entry-point group (built-in ones
too). Each enabled plugin's ``[plugins.NAME]`` section is validated against its ``Config``
(every problem reported at once), and its class is checked before it runs: its migrations
create and write only its own prefixed tables, in the database's dialect, every config field
has help text, and every ``assistant_*`` method is marked ``@hookimpl``. Running the plugins
is :mod:`assistant.plugin_host`.
"""

from __future__ import annotations

import difflib
import importlib.metadata
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from assistant import hookspecs
from assistant.config import ConfigError, Settings, describe_error
from assistant.events import Event
from assistant.storage.database import MigrationError
from assistant.storage.schema import DIALECTS, Migrations, migrations_for

if TYPE_CHECKING:
    from assistant.plugin_host import PluginContext

__all__ = [
    "ENTRY_POINT_GROUP",
    "Plugin",
    "PluginConfig",
    "PluginError",
    "check_plugin_class",
    "discover_plugins",
    "plugin_command_modules",
    "plugin_dashboard_modules",
    "plugin_migrations",
    "resolve_plugins",
    "validate_plugin_settings",
]

ENTRY_POINT_GROUP = "assistant.plugins"

_PLUGIN_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
# Names a migration creates, alters or drops, and the table a CREATE INDEX/TRIGGER is ON.
_DDL_NAME = re.compile(
    r"\b(?:CREATE|ALTER|DROP)\s+(?:TEMP(?:ORARY)?\s+|UNIQUE\s+|VIRTUAL\s+)*"
    r"(?:TABLE|INDEX|VIEW|TRIGGER)\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?"
    r"(?:\w+\s*\.\s*)?[\"`\[]?(\w+)",
    re.IGNORECASE,
)
# Tables a migration writes rows into (directly or from a trigger body).
_DML_NAME = re.compile(
    r"\b(?:INSERT|REPLACE)\s+(?:OR\s+\w+\s+)?INTO\s+(?:\w+\s*\.\s*)?[\"`\[]?(\w+)"
    r"|\bDELETE\s+FROM\s+(?:\w+\s*\.\s*)?[\"`\[]?(\w+)"
    r"|\bUPDATE\s+(?:OR\s+\w+\s+)?(?:\w+\s*\.\s*)?[\"`\[]?(\w+)[\"`\]]?\s+SET\b",
    re.IGNORECASE,
)
_ON_TABLE = re.compile(
    r"\bCREATE\s+(?:UNIQUE\s+)?INDEX\b[^;]*?\bON\s+[\"`\[]?(\w+)"
    r"|\bCREATE\s+(?:TEMP(?:ORARY)?\s+)?TRIGGER\b[^;]*?\bON\s+[\"`\[]?(\w+)",
    re.IGNORECASE,
)


class PluginError(ConfigError):
    """A plugin cannot be loaded or started; the message names it and says what to do."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__([f"plugin {name!r}: {problem}"])
        self.plugin = name


class PluginConfig(BaseModel):
    """Base of a plugin's ``Config``: unknown keys are errors, values are read-only."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Plugin:
    """Base class of every plugin: declare ``Config`` and ``migrations``, implement hooks.

    Hooks are methods marked ``@hookimpl`` and named after ``assistant.hookspecs``;
    chat commands are methods marked ``@command``. Tables and indexes created by
    ``migrations`` must be named ``<plugin name>_...``. ``migrations`` is a list of
    SQLite scripts, or a list per dialect (``{"sqlite": [...], "postgresql": [...]}``,
    version for version) for a plugin that also runs on PostgreSQL.

    ``assistant_event`` is given only the event types named by ``handles`` or, when that
    is ``None``, by the annotation of its ``event`` parameter (``Event``: all of them).
    ``must_deliver`` adds types that are never skipped when the plugin falls behind, to
    the lifecycle events that never are (sessions starting and ending, connections).
    ``commandline`` names the module that adds the plugin's own ``presence`` subcommands.
    """

    Config: ClassVar[type[BaseModel]] = PluginConfig
    migrations: ClassVar[Migrations] = ()
    handles: ClassVar[tuple[type[Event], ...] | None] = None
    must_deliver: ClassVar[tuple[type[Event], ...]] = ()
    commandline: ClassVar[str | None] = None
    """The module (dotted name, in the plugin's package) whose ``add_commands(sub)`` adds the
    plugin's subcommands to ``presence`` and returns their handlers, as each of the core's
    command modules does (:mod:`assistant.commandline`); ``None``: it adds none."""
    dashboard: ClassVar[str | None] = None
    """The module (dotted name, in the plugin's package) the dashboard asks for the plugin's
    parts of its pages (``docs/web.md``: ``person_panel``, ``record_outcome``); ``None``: none."""

    def __init__(self, ctx: PluginContext) -> None:
        self.ctx = ctx


def _entry_points() -> dict[str, importlib.metadata.EntryPoint]:
    found: dict[str, importlib.metadata.EntryPoint] = {}
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in found and found[ep.name].value != ep.value:
            raise PluginError(
                ep.name,
                f"registered twice ({found[ep.name].value} and {ep.value}); uninstall one",
            )
        found[ep.name] = ep
    return found


def _load(ep: importlib.metadata.EntryPoint) -> type[Plugin]:
    source = f"{ep.value} from {ep.dist.name if ep.dist else 'an unknown distribution'}"
    try:
        loaded = ep.load()
    except Exception as exc:
        raise PluginError(
            ep.name,
            f"entry point {source} failed to load ({type(exc).__name__}: {exc}); "
            f"reinstall it, or set `enabled = false` in [plugins.{ep.name}]",
        ) from exc
    if not (isinstance(loaded, type) and issubclass(loaded, Plugin)):
        raise PluginError(ep.name, f"entry point {source} is not an assistant.Plugin subclass")
    return loaded


def discover_plugins() -> dict[str, type[Plugin]]:
    """Load every plugin class registered in the ``assistant.plugins`` entry-point group."""
    return {name: _load(ep) for name, ep in sorted(_entry_points().items())}


def _declared_modules(attribute: str) -> dict[str, str]:
    """Plugin name → the module its class names in ``attribute``, for every installed plugin.

    Every installed plugin's class is loaded, enabled or not (no configuration is read). One
    that fails to load is left out here; loading the plugins for a run (or ``presence config
    check``) reports it.
    """
    modules = {}
    for name, ep in sorted(_entry_points().items()):
        try:
            cls = _load(ep)
        except PluginError:
            continue
        module = getattr(cls, attribute)
        if module is not None:
            modules[name] = module
    return modules


def plugin_command_modules() -> list[str]:
    """The ``commandline`` module of every installed plugin that declares one, by plugin name.

    Read while ``presence``'s parser is built, before any configuration.
    """
    return list(_declared_modules("commandline").values())


def plugin_dashboard_modules() -> dict[str, str]:
    """Plugin name → its ``dashboard`` module, for every installed plugin that declares one."""
    return _declared_modules("dashboard")


def resolve_plugins(
    settings: Settings, plugin_classes: Mapping[str, type[Plugin]] | None
) -> dict[str, tuple[type[Plugin], BaseModel]]:
    """Return each enabled plugin's class and validated config, or raise every problem at once.

    ``plugin_classes`` stands in for the entry points (tests, and callers that pick plugins).
    """
    source = str(settings.source) if settings.source is not None else "<config>"
    available: Mapping[str, type[Plugin] | importlib.metadata.EntryPoint] = (
        plugin_classes if plugin_classes is not None else _entry_points()
    )
    problems: list[str] = []
    for name in settings.plugins:
        if name not in available:
            close = difflib.get_close_matches(name, list(available), n=1)
            hint = f'did you mean "{close[0]}"? ' if close else ""
            problems.append(
                f"{source}: plugins.{name}: no plugin named {name!r} is installed "
                f"({hint}installed: {', '.join(sorted(available)) or 'none'})"
            )
    resolved: dict[str, tuple[type[Plugin], BaseModel]] = {}
    for name in sorted(available):
        section = dict(settings.plugins.get(name, {}))
        enabled = section.pop("enabled", True)
        if not isinstance(enabled, bool):
            problems.append(
                f"{source}: plugins.{name}.enabled: must be true or false (got {enabled!r})."
            )
            continue
        if not enabled:
            continue
        if not _PLUGIN_NAME.match(name):
            raise PluginError(name, "plugin names must be lowercase letters, digits and _")
        entry = available[name]
        cls = _load(entry) if isinstance(entry, importlib.metadata.EntryPoint) else entry
        try:
            resolved[name] = (cls, cls.Config.model_validate(section))
        except ValidationError as exc:
            problems.extend(
                describe_error(
                    err, source, cls.Config, prefix=("plugins", name), extra_keys=("enabled",)
                )
                for err in exc.errors()
            )
    if problems:
        raise ConfigError(problems)
    return resolved


def validate_plugin_settings(
    settings: Settings, plugin_classes: Mapping[str, type[Plugin]] | None = None
) -> dict[str, BaseModel]:
    """Check every ``[plugins.NAME]`` section; return the validated config of each enabled plugin.

    Raises:
        ConfigError: a section names no installed plugin, or does not validate; the
            message names ``plugins.NAME.key``, what is wrong and the field's help text.
        PluginError: an enabled plugin cannot be loaded.
    """
    return {name: config for name, (_, config) in resolve_plugins(settings, plugin_classes).items()}


def _migrations_by_dialect(cls: type[Plugin]) -> Mapping[str, Sequence[str]]:
    """``cls.migrations`` per dialect: a plain list is SQLite's, no migrations suit all."""
    migrations = cls.migrations
    if isinstance(migrations, Mapping):
        return migrations
    if not migrations:
        return dict.fromkeys(DIALECTS, ())
    return {"sqlite": migrations}


def plugin_migrations(name: str, cls: type[Plugin], dialect: str) -> list[str]:
    """The scripts of plugin ``name``'s migrations to apply on a ``dialect`` database.

    Raises:
        PluginError: the plugin has none in ``dialect`` (a plain list is SQLite's only),
            or its lists per dialect are malformed; the message says what to write.
    """
    try:
        return migrations_for(f"plugin:{name}", _migrations_by_dialect(cls), dialect)
    except MigrationError as exc:
        raise PluginError(
            name,
            f"{exc}; write its migrations per dialect, version for version "
            f"(migrations = {{{', '.join(f'{d!r}: [...]' for d in DIALECTS)}}}), "
            f"or set `enabled = false` in [plugins.{name}]",
        ) from None


def check_plugin_class(name: str, cls: type[Plugin]) -> None:
    """Check what can be checked before a plugin runs: migrations' names and config help.

    Raises:
        PluginError: a migration creates an unprefixed name, or a config field has no help.
    """
    prefix = f"{name}_"
    by_dialect = _migrations_by_dialect(cls)
    for dialect in by_dialect:
        scripts = plugin_migrations(name, cls, dialect)
        shown = "" if not isinstance(cls.migrations, Mapping) else f" ({dialect})"
        for number, sql in enumerate(scripts, 1):
            names = [m.group(1) for m in _DDL_NAME.finditer(sql)]
            names += [m.group(1) or m.group(2) for m in _ON_TABLE.finditer(sql)]
            names += [next(g for g in m.groups() if g) for m in _DML_NAME.finditer(sql)]
            for table in names:
                if not table.lower().startswith(prefix):
                    raise PluginError(
                        name,
                        f"migration {number}{shown} uses {table!r}; a plugin's migrations may "
                        "create and write only its own tables, indexes, views and triggers, "
                        f"named {prefix}...",
                    )
    for field_name, info in cls.Config.model_fields.items():
        if not info.description:
            raise PluginError(
                name,
                f"Config field {field_name!r} needs help text: Field(description=...)",
            )
    for attr in dir(cls):
        marked = hasattr(getattr(cls, attr), f"{hookspecs.PROJECT}_impl")
        if attr.startswith("assistant_") and not marked:
            raise PluginError(name, f"method {attr} is not marked @hookimpl")
