"""Typed settings from one TOML file, validated at start-up.

Every field carries help text, which doubles as the "how to fix it" part of an error.
Secrets are never written in the file: a field named ``*_env`` holds the *name* of an
environment variable, resolved with :func:`secret` only when the value is needed, and the
value is wrapped so that it never reaches a log by accident.

Layout: :mod:`~assistant.config.base` (errors, the strict base, secrets),
:mod:`~assistant.config.networks` (networks, channels, schedules),
:mod:`~assistant.config.sections` (every other table) and
:mod:`~assistant.config.loading` (the whole file, and how its errors are worded).
"""

from assistant.config.base import ConfigError, IdentityRef, Section, secret
from assistant.config.identities import attributed_to_owner, missing_notables, ref_matches
from assistant.config.loading import (
    Settings,
    describe_error,
    load_settings,
    parse_settings,
    plugin_table,
)
from assistant.config.networks import (
    ChannelSettings,
    NetworkSettings,
    ScheduleSettings,
    SessionSettings,
)
from assistant.config.sections import (
    AliasSettings,
    AnalysisSettings,
    CommandSettings,
    OpeningsSettings,
    OwnerSettings,
    PacingThresholds,
    PrivacySettings,
    StorageSettings,
    SummariesSettings,
    WatchedMember,
    WebSettings,
)

__all__ = [
    "AliasSettings",
    "AnalysisSettings",
    "ChannelSettings",
    "CommandSettings",
    "ConfigError",
    "IdentityRef",
    "NetworkSettings",
    "OpeningsSettings",
    "OwnerSettings",
    "PacingThresholds",
    "PrivacySettings",
    "ScheduleSettings",
    "Section",
    "SessionSettings",
    "Settings",
    "StorageSettings",
    "SummariesSettings",
    "WatchedMember",
    "WebSettings",
    "attributed_to_owner",
    "describe_error",
    "load_settings",
    "missing_notables",
    "parse_settings",
    "plugin_table",
    "ref_matches",
    "secret",
]
