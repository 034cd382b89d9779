"""The whole configuration, read from one TOML file, and errors a person can act on."""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar, get_origin

from pydantic import (
    BaseModel,
    Field,
    ValidationError,
)

from assistant.config.base import ConfigError, Section
from assistant.config.networks import (
    NetworkSettings,
    SessionSettings,
)
from assistant.config.sections import (
    AliasSettings,
    AnalysisSettings,
    CommandSettings,
    OwnerSettings,
    PrivacySettings,
    StorageSettings,
    SummariesSettings,
    WatchedMember,
    WebSettings,
)


class Settings(Section):
    """The whole configuration file."""

    owner: OwnerSettings = Field(default_factory=OwnerSettings, description="[owner] table")
    networks: dict[str, NetworkSettings] = Field(
        default_factory=dict, description="[networks.NAME] tables"
    )
    storage: StorageSettings = Field(default_factory=StorageSettings, description="[storage]")
    commands: CommandSettings = Field(default_factory=CommandSettings, description="[commands]")
    analysis: AnalysisSettings = Field(default_factory=AnalysisSettings, description="[analysis]")
    summaries: SummariesSettings = Field(
        default_factory=SummariesSettings, description="[summaries]"
    )
    sessions: SessionSettings = Field(default_factory=SessionSettings, description="[sessions]")
    watchlist: list[WatchedMember] = Field(
        default_factory=list, description="[[watchlist]] entries"
    )
    interests: list[str] = Field(
        default_factory=list, description='topics you can add value on, e.g. ["podcasting"]'
    )
    ignore: list[str] = Field(
        default_factory=list, description="nicks never recorded (bots, relays)"
    )
    aliases: list[AliasSettings] = Field(
        default_factory=list,
        description="[[aliases]] entries: identities that are one person (a watchlist "
        "entry's identities already are)",
    )
    privacy: PrivacySettings = Field(default_factory=PrivacySettings, description="[privacy]")
    web: WebSettings = Field(default_factory=WebSettings, description="[web] the dashboard")
    plugins: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="[plugins.NAME] tables; `enabled = false` turns a plugin off",
    )
    source: Path | None = Field(default=None, exclude=True, description="internal")

    def resolve(self, path: Path) -> Path:
        """Resolve ``path`` relative to the directory of the config file."""
        if path.is_absolute() or self.source is None:
            return path
        return self.source.parent / path


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")

# Top-level tables that became a plugin's own ``[plugins.NAME]`` table: old name -> plugin.
_MOVED_TO_PLUGINS = {"openings": "openings"}

_M = TypeVar("_M", bound=BaseModel)


def _loc(loc: tuple[int | str, ...]) -> str:
    """The dotted path to a value, with keys TOML would quote quoted (a key may hold a newline)."""
    parts = (
        str(part) if isinstance(part, int) or _BARE_KEY.fullmatch(part) else json.dumps(part)
        for part in loc
    )
    return ".".join(parts) or "(top level)"


def _unwrap(annotation: Any, key_step: bool) -> Any:
    """Step into a container annotation: the value type of a dict/list, the model of an Optional."""
    args = [a for a in getattr(annotation, "__args__", ()) if a is not type(None)]
    if get_origin(annotation) in (dict, list):
        return args[-1] if key_step else annotation
    models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
    return models[0] if models else annotation


def _field_help(model: type[BaseModel], loc: tuple[int | str, ...]) -> tuple[str, list[str]]:
    """Walk ``loc`` through the model to the field's help text and its sibling key names."""
    current: Any = model
    description, siblings = "", list(model.model_fields)
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel):
            siblings = list(current.model_fields)
            info = current.model_fields.get(str(part))
            if info is None:
                break
            description = info.description or ""
            current = _unwrap(info.annotation, key_step=False)
        else:
            current = _unwrap(current, key_step=True)
    return description, siblings


def describe_error(
    error: Any,
    source: str,
    model: type[BaseModel] = Settings,
    *,
    prefix: tuple[str, ...] = (),
    extra_keys: Sequence[str] = (),
) -> str:
    """Phrase one pydantic error for the person editing the file: where, what, how to fix.

    ``model`` is validated at ``prefix`` in the file (a plugin's ``Config`` lives at
    ``plugins.NAME``); ``extra_keys`` are keys its section also accepts (``enabled``).
    """
    loc = tuple(error["loc"])
    where = f"{source}: {_loc((*prefix, *loc))}"
    if error["type"] == "extra_forbidden":
        _, siblings = _field_help(model, (*loc[:-1], "__none__"))
        known = [*extra_keys, *siblings] if len(loc) == 1 else siblings
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f'did you mean "{close[0]}"?' if close else "remove it"
        return f"{where}: unknown key ({hint}; known keys: {', '.join(known)})"
    description, _ = _field_help(model, loc)
    message = error["msg"].removeprefix("Value error, ")
    got = error.get("input")
    shown = "" if isinstance(got, dict | list) or got is None else f" (got {got!r})"
    fix = f" Expected: {description}." if description else ""
    return f"{where}: {message}{shown}.{fix}"


def _moved_table(old: str, plugin: str, data: dict[str, Any], source: str) -> str:
    """Say where each key of an old top-level ``[old]`` table now lives, in ``[plugins.PLUGIN]``."""
    table = data[old]
    new = f"plugins.{plugin}"
    moves = [f"[{old}] to [{new}]"]
    keys: list[str] = []
    if isinstance(table, dict):
        for key, value in table.items():
            if isinstance(value, dict):
                moves.append(f"[{old}.{key}] to [{new}.{key}]")
                keys += [f"{old}.{key}.{sub} -> {new}.{key}.{sub}" for sub in value]
            else:
                keys.append(f"{old}.{key} -> {new}.{key}")
    plugins = data.get("plugins")
    already = plugins.get(plugin) if isinstance(plugins, dict) else None
    merge = (
        f"; merge them into the [{new}] table already there ({', '.join(already)})"
        if isinstance(already, dict) and already
        else ""
    )
    moved = f" (here: {', '.join(keys)})" if keys else ""
    return (
        f"{source}: [{old}] moved to [{new}], the {plugin} plugin's own table: rename "
        f"{' and '.join(moves)}; the keys are the same{moved}{merge}"
    )


def parse_settings(data: dict[str, Any], source: str = "<config>") -> Settings:
    """Validate already-parsed TOML data.

    Raises:
        ConfigError: with one readable line per problem; a table that moved under
            ``[plugins.NAME]`` is one, saying where each of its keys went.
    """
    problems = [
        _moved_table(old, plugin, data, source)
        for old, plugin in _MOVED_TO_PLUGINS.items()
        if old in data
    ]
    rest = {key: value for key, value in data.items() if key not in _MOVED_TO_PLUGINS}
    try:
        settings = Settings.model_validate(rest)
    except ValidationError as exc:
        problems += [describe_error(err, source) for err in exc.errors()]
    if problems:
        raise ConfigError(problems)
    return settings


def plugin_table(settings: Settings, name: str, model: type[_M]) -> _M:
    """The keys of ``[plugins.NAME]`` that ``model`` declares, validated into it.

    For core code that reads part of a plugin's settings outside the plugin (the dashboard
    and ``presence relationship`` read the openings' pacing); the plugin validates its
    whole table, its other keys too, when it is loaded.

    Raises:
        ConfigError: those keys do not validate; each problem names ``plugins.NAME.key``.
    """
    table = settings.plugins.get(name, {})
    known = {key: value for key, value in table.items() if key in model.model_fields}
    try:
        return model.model_validate(known)
    except ValidationError as exc:
        source = str(settings.source) if settings.source is not None else "<config>"
        raise ConfigError(
            [describe_error(e, source, model, prefix=("plugins", name)) for e in exc.errors()]
        ) from None


def load_settings(path: Path) -> Settings:
    """Read and validate a TOML configuration file.

    Raises:
        ConfigError: the file is missing, is not valid TOML, or does not validate.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            [f"{path}: no such file; create one with `presence init {path}`"]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot read: {exc}"]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: not valid TOML: {exc}"]) from None
    settings = parse_settings(data, str(path)).model_copy(update={"source": path.resolve()})
    networks = {
        name: network.model_copy(update={"ca_file": settings.resolve(network.ca_file)})
        if network.ca_file is not None
        else network
        for name, network in settings.networks.items()
    }
    return settings.model_copy(update={"networks": networks})


__all__ = ["Settings", "describe_error", "load_settings", "parse_settings", "plugin_table"]
