"""Where Presence goes: networks, their channels, and the weekly chats scheduled in them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from assistant.config.base import ZONE_HELP, Section, check_env_name, check_zone

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class ScheduleSettings(Section):
    """A weekly chat in a channel, at a local time in a time zone (daylight saving included)."""

    name: str = Field(min_length=1, description='the chat\'s name, e.g. "Aussie bloggers"')
    days: list[Weekday] = Field(
        min_length=1, description='weekdays it happens on, e.g. ["sunday"] (lower case)'
    )
    time: dt.time = Field(description='local start time, e.g. "19:30"')
    timezone: str = Field(description=ZONE_HELP)
    duration: int = Field(gt=0, le=24 * 60, description="length in minutes, e.g. 90")
    join_early: int = Field(
        default=10, ge=0, le=24 * 60, description="minutes before the start to join"
    )
    stay_after: int = Field(
        default=15, ge=0, le=24 * 60, description="minutes after the end to stay"
    )

    @field_validator("days", mode="before")
    @classmethod
    def _lower_days(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [day.strip().lower() if isinstance(day, str) else day for day in value]
        return value

    _zone = field_validator("timezone")(check_zone)


class SessionSettings(Section):
    """How chat sessions are found in always-on channels (ad hoc, from bursts of activity)."""

    adhoc: bool = Field(
        default=True,
        description="detect ad-hoc sessions from bursts of activity in channels without a "
        "schedule running",
    )
    burst_lines: int = Field(
        default=8, ge=2, description="lines within `burst_minutes` that start an ad-hoc session"
    )
    burst_speakers: int = Field(
        default=3, ge=2, description="distinct speakers among those lines needed to start one"
    )
    burst_minutes: float = Field(
        default=10, gt=0, le=24 * 60, description="the window the burst must fit in, in minutes"
    )
    quiet_minutes: float = Field(
        default=20,
        gt=0,
        le=24 * 60,
        description="minutes without a line that end an ad-hoc session (at its last line)",
    )


class ChannelSettings(Section):
    """One channel to attend."""

    name: str = Field(description='channel name, e.g. "#bloggers"')
    key_env: str | None = Field(
        default=None, description="environment variable holding the channel key, if any"
    )
    private: bool = Field(
        default=False,
        description="never reveal this channel's activity in answers given elsewhere",
    )
    schedules: list[ScheduleSettings] = Field(
        default_factory=list,
        description="weekly chats held here ([[networks.NAME.channels.schedules]])",
    )
    join_on_schedule: bool = Field(
        default=False,
        description="be in the channel only for its scheduled chats (from `join_early` before "
        "to `stay_after` after) instead of all the time",
    )
    retention_days: int | None = Field(
        default=None,
        ge=1,
        description="delete this channel's messages, analyses and stays older than this many "
        "days (a daily purge); omit to keep them",
    )

    _env = field_validator("key_env")(check_env_name)

    @model_validator(mode="after")
    def _schedule_to_join(self) -> ChannelSettings:
        if self.join_on_schedule and not self.schedules:
            raise ValueError(
                "join_on_schedule = true needs at least one [[networks.NAME.channels.schedules]]"
            )
        return self


class NetworkSettings(Section):
    """One chat network connection."""

    platform: Literal["irc", "discord"] = Field(
        default="irc", description='"irc" or "discord" (a Discord server, through a bot)'
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
    token_env: str | None = Field(
        default=None,
        description="Discord only: environment variable holding the bot token (required there)",
    )
    guild: str | None = Field(
        default=None,
        description="Discord only: the server (guild) to attend, by name or id; may be omitted "
        "when the bot is in exactly one server",
    )
    degrade_intents: bool = Field(
        default=False,
        description="Discord only: when Discord refuses a privileged intent, keep running "
        "without it (and the features it serves) instead of stopping this network",
    )
    backfill_limit: int = Field(
        default=500,
        ge=0,
        le=10_000,
        description="Discord only: after each (re)connect, fetch at most this many missed "
        "messages per channel (0 turns backfill off)",
    )
    send_channels: list[str] = Field(
        default_factory=list,
        description='Discord only: channels Presence may post in ("#name" or id); '
        "direct messages to a user id are always allowed",
    )

    shard_count: int | Literal["auto"] | None = Field(
        default=None,
        description="Discord only: split the bot's gateway connection into this many shards, "
        'or "auto" for the number Discord recommends; needed once the bot is in more '
        "servers than one connection may hold (2,500); unset: one connection",
    )

    _env = field_validator("sasl_password_env", "token_env")(check_env_name)

    @field_validator("shard_count", mode="before")
    @classmethod
    def _shard_count(cls, value: Any) -> Any:
        ok = value is None or value == "auto"
        ok = ok or (isinstance(value, int) and not isinstance(value, bool) and value >= 1)
        if not ok:
            raise ValueError(
                'must be a whole number of shards (1 or more), or "auto" for the number '
                "Discord recommends"
            )
        return value

    @model_validator(mode="after")
    def _platform_fields(self) -> NetworkSettings:
        if self.platform != "discord":
            misplaced = sorted(self.model_fields_set & _DISCORD_ONLY)
            if misplaced:
                raise ValueError(
                    f'{", ".join(misplaced)}: only for platform = "discord"; '
                    "remove them or set the platform"
                )
            return self
        if not self.token_env:
            raise ValueError(
                'platform = "discord" needs token_env: the NAME of the environment variable '
                "holding the bot token (Developer Portal -> your application -> Bot -> Token)"
            )
        for channel in self.channels:
            if not (channel.name.startswith("#") or channel.name.isdigit()):
                raise ValueError(
                    f'Discord channel {channel.name!r}: write it as "#name" or its id (digits)'
                )
            if channel.private and not channel.name.startswith("#"):
                raise ValueError(
                    f'Discord channel {channel.name!r} is private: name it as "#name" '
                    "(not by id), the name Presence records it under and keeps private"
                )
            if channel.key_env:
                raise ValueError(
                    f"Discord channel {channel.name!r}: key_env is IRC only; remove it"
                )
        for name in self.send_channels:
            if not (name.startswith("#") or name.isdigit()):
                raise ValueError(f'send_channels: write {name!r} as "#name" or its id (digits)')
        return self


_DISCORD_ONLY = frozenset(
    {"token_env", "guild", "degrade_intents", "backfill_limit", "send_channels", "shard_count"}
)


__all__ = ["ChannelSettings", "NetworkSettings", "ScheduleSettings", "SessionSettings", "Weekday"]
