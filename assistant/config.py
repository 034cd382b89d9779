"""Typed settings from one TOML file, validated at start-up.

Every field carries help text, which doubles as the "how to fix it" part of an error.
Secrets are never written in the file: a field named ``*_env`` holds the *name* of an
environment variable, resolved with :func:`secret` only when the value is needed, and the
value is wrapped so that it never reaches a log by accident.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, get_origin

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

__all__ = [
    "AnalysisSettings",
    "ChannelSettings",
    "CommandSettings",
    "ConfigError",
    "IdentityRef",
    "NetworkSettings",
    "OwnerSettings",
    "Settings",
    "StorageSettings",
    "WatchedMember",
    "describe_error",
    "load_settings",
    "parse_settings",
    "secret",
]

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ConfigError(Exception):
    """A configuration problem, phrased for the person who edits the file."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_env_name(value: str | None) -> str | None:
    if value is not None and not _ENV_NAME.match(value):
        raise ValueError(
            "must be the NAME of an environment variable (letters, digits, _), "
            "not the secret itself"
        )
    return value


def secret(env_name: str) -> SecretStr:
    """Read a secret from the environment variable ``env_name``.

    Raises:
        ConfigError: the variable is not set.
    """
    value = os.environ.get(env_name)
    if value is None:
        raise ConfigError(
            [f"environment variable {env_name} is not set: export it before starting Presence"]
        )
    return SecretStr(value)


class IdentityRef(_Section):
    """Where to recognise a person: an IRC account or nick on a network, or a Discord user id."""

    platform: Literal["irc", "discord"] = Field(description='"irc" or "discord"')
    network: str | None = Field(
        default=None, description="network name from [networks.NAME]; omit to match any network"
    )
    account: str | None = Field(
        default=None, description="IRC services account (verified by the server)"
    )
    nick: str | None = Field(default=None, description="IRC nick (never trusted for privileges)")
    user_id: str | None = Field(default=None, description="Discord user id (digits)")


class OwnerSettings(_Section):
    """Who Presence works for; only these verified identities may run privileged commands."""

    name: str = Field(default="owner", description="how summaries and notices address you")
    identities: list[IdentityRef] = Field(
        default_factory=list,
        description="your verified identities: IRC accounts and/or Discord user ids",
    )

    @field_validator("identities")
    @classmethod
    def _verified_only(cls, refs: list[IdentityRef]) -> list[IdentityRef]:
        for ref in refs:
            if ref.platform == "irc" and not ref.account:
                raise ValueError(
                    "an IRC owner identity needs `account` (a nick alone can be taken by anyone)"
                )
            if ref.platform == "discord" and not ref.user_id:
                raise ValueError("a Discord owner identity needs `user_id`")
        return refs


class ChannelSettings(_Section):
    """One channel to attend."""

    name: str = Field(description='channel name, e.g. "#bloggers"')
    key_env: str | None = Field(
        default=None, description="environment variable holding the channel key, if any"
    )
    private: bool = Field(
        default=False,
        description="never reveal this channel's activity in answers given elsewhere",
    )

    _env = field_validator("key_env")(_check_env_name)


class NetworkSettings(_Section):
    """One chat network connection."""

    platform: Literal["irc", "discord"] = Field(
        default="irc", description='"irc" (Discord arrives in a later release)'
    )
    host: str = Field(default="127.0.0.1", description="server host name")
    port: int = Field(default=6697, ge=1, le=65535, description="server port (1-65535)")
    tls: bool = Field(default=True, description="connect with TLS")
    verify_tls: bool = Field(
        default=True, description="verify the server certificate (only turn off for testing)"
    )
    ca_file: Path | None = Field(
        default=None,
        description="PEM file of CA certificates trusted for this server, besides the system's "
        "(for a private or self-signed CA; a relative path is relative to the config file)",
    )
    nick: str = Field(default="presence", description="nick to register with")
    alt_nicks: list[str] = Field(
        default_factory=list, description="nicks to try when `nick` is taken"
    )
    username: str = Field(default="presence", description="IRC user name (ident)")
    realname: str = Field(default="Presence assistant", description="IRC real name")
    sasl_username: str | None = Field(default=None, description="SASL PLAIN account name")
    sasl_password_env: str | None = Field(
        default=None, description="environment variable holding the SASL password"
    )
    nickserv_fallback: bool = Field(
        default=True,
        description="when the server offers no SASL PLAIN, identify with "
        "`PRIVMSG NickServ :IDENTIFY account password` after connecting",
    )
    quit_message: str = Field(default="Presence signing off", description="said when leaving")
    channels: list[ChannelSettings] = Field(
        default_factory=list, description="channels to join ([[networks.NAME.channels]])"
    )

    _env = field_validator("sasl_password_env")(_check_env_name)


class StorageSettings(_Section):
    """Where and how Presence records."""

    path: Path = Field(
        default=Path("presence.sqlite3"),
        description="SQLite database file (relative paths are relative to the config file)",
    )
    batch_size: int = Field(default=500, ge=1, description="flush after this many pending writes")
    flush_interval: float = Field(
        default=0.25, gt=0, le=60, description="flush at least this often, in seconds"
    )


class AnalysisSettings(_Section):
    """Understanding the talk with spaCy, in a worker process off the event loop."""

    enabled: bool = Field(
        default=True, description="analyse channel messages (topics, questions, replies)"
    )
    pipeline: str = Field(
        default="",
        description='spaCy pipeline package or directory; "" picks the best installed one',
    )
    batch_size: int = Field(
        default=64, ge=1, le=10_000, description="messages sent to the worker at once (at most)"
    )
    batch_wait: float = Field(
        default=0.05,
        gt=0,
        le=10,
        description="longest wait, in seconds, for a batch to fill before it is sent anyway",
    )


class CommandSettings(_Section):
    """Chat commands."""

    prefix: str = Field(default="!", min_length=1, max_length=3, description='e.g. "!" or "."')


class WatchedMember(_Section):
    """A notable member the owner hopes to get to know."""

    name: str = Field(description="a name for this person")
    identities: list[IdentityRef] = Field(
        default_factory=list, description="their nicks/accounts/user ids"
    )
    notes: str = Field(default="", description="who they are, what they care about")
    tags: list[str] = Field(default_factory=list, description="free-form tags")
    priority: int = Field(default=1, ge=1, le=5, description="1 (nice) to 5 (most wanted)")


class Settings(_Section):
    """The whole configuration file."""

    owner: OwnerSettings = Field(default_factory=OwnerSettings, description="[owner] table")
    networks: dict[str, NetworkSettings] = Field(
        default_factory=dict, description="[networks.NAME] tables"
    )
    storage: StorageSettings = Field(default_factory=StorageSettings, description="[storage]")
    commands: CommandSettings = Field(default_factory=CommandSettings, description="[commands]")
    analysis: AnalysisSettings = Field(default_factory=AnalysisSettings, description="[analysis]")
    watchlist: list[WatchedMember] = Field(
        default_factory=list, description="[[watchlist]] entries"
    )
    interests: list[str] = Field(
        default_factory=list, description='topics you can add value on, e.g. ["podcasting"]'
    )
    ignore: list[str] = Field(
        default_factory=list, description="nicks never recorded (bots, relays)"
    )
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


def _loc(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


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


def parse_settings(data: dict[str, Any], source: str = "<config>") -> Settings:
    """Validate already-parsed TOML data.

    Raises:
        ConfigError: with one readable line per problem.
    """
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError([describe_error(err, source) for err in exc.errors()]) from None


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
