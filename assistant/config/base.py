"""What every configuration table shares: errors, the strict base, secrets, identities."""

from __future__ import annotations

import difflib
import os
import re
import zoneinfo
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
)

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ConfigError(Exception):
    """A configuration problem, phrased for the person who edits the file."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def check_env_name(value: str | None) -> str | None:
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


class IdentityRef(Section):
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


ZONE_HELP = (
    'an IANA time zone name such as "Australia/Sydney" or "Europe/London"; list them with '
    '`python -c "import zoneinfo; print(*sorted(zoneinfo.available_timezones()))"`'
)


def check_zone(value: str) -> str:
    """Accept an IANA time zone name; refuse anything else with the closest valid name."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        close = difflib.get_close_matches(value, zoneinfo.available_timezones(), n=1)
        hint = f' (did you mean "{close[0]}"?)' if close else ""
        raise ValueError(f"unknown time zone {value!r}{hint}; use an IANA name") from None
    return value


__all__ = [
    "ZONE_HELP",
    "ConfigError",
    "IdentityRef",
    "Section",
    "check_env_name",
    "check_zone",
    "secret",
]
