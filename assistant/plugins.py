"""Plugins: the base class, what each one is given, and the host that loads and drives them.

This module gathers the plugin machinery under one name: finding plugins through the
``assistant.plugins`` entry points and checking them before they run is
:mod:`assistant.plugin_loading` (with the ``Plugin`` base class); building them with a
``PluginContext``, feeding them events and calling their hooks is
:mod:`assistant.plugin_host`. Plugins themselves import from :mod:`assistant`.
"""

from __future__ import annotations

from assistant.plugin_host import CallHook, PluginContext, PluginHost
from assistant.plugin_loading import (
    ENTRY_POINT_GROUP,
    Plugin,
    PluginConfig,
    PluginError,
    check_plugin_class,
    discover_plugins,
    plugin_command_modules,
    plugin_dashboard_modules,
    plugin_migrations,
    validate_plugin_settings,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "CallHook",
    "Plugin",
    "PluginConfig",
    "PluginContext",
    "PluginError",
    "PluginHost",
    "check_plugin_class",
    "discover_plugins",
    "plugin_command_modules",
    "plugin_dashboard_modules",
    "plugin_migrations",
    "validate_plugin_settings",
]
