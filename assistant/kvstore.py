"""A plugin's small persistent state: JSON values by key, scoped to the plugin.

Plugins that only need a few values (a counter, a last-run time, per-person settings)
use this instead of shipping tables. Every plugin sees only its own keys: the plugin name
is part of the primary key of the core ``plugin_kv`` table.
"""

from __future__ import annotations

import json
from typing import TypeAlias

from assistant.storage.database import Database

__all__ = ["JSONValue", "KeyValueStore"]

JSONValue: TypeAlias = "bool | int | float | str | list[JSONValue] | dict[str, JSONValue] | None"
"""A value that survives a JSON round trip (tuples come back as lists)."""


class KeyValueStore:
    """Async get/set/delete/keys of JSON values, visible only to one plugin."""

    def __init__(self, db: Database, plugin: str) -> None:
        self._db = db
        self.plugin = plugin

    def __repr__(self) -> str:
        return f"KeyValueStore(plugin={self.plugin!r})"

    async def get(self, key: str, default: JSONValue = None) -> JSONValue:
        """Return the value stored under ``key``, or ``default`` when there is none."""
        row = await self._db.fetchone(
            "SELECT value FROM plugin_kv WHERE plugin = ? AND key = ?", (self.plugin, key)
        )
        if row is None:
            return default
        value: JSONValue = json.loads(row[0])
        return value

    async def set(self, key: str, value: JSONValue) -> None:
        """Store ``value`` under ``key``, replacing what was there.

        Raises:
            TypeError: ``value`` is not made of JSON types.
            ValueError: ``value`` contains NaN or infinity, which JSON cannot hold.
        """
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
        await self._db.execute(
            "INSERT INTO plugin_kv (plugin, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT (plugin, key) DO UPDATE SET value = excluded.value",
            (self.plugin, key, text),
        )

    async def delete(self, key: str) -> None:
        """Forget ``key`` (nothing happens when it is not stored)."""
        await self._db.execute(
            "DELETE FROM plugin_kv WHERE plugin = ? AND key = ?", (self.plugin, key)
        )

    async def keys(self, prefix: str = "") -> list[str]:
        """Return the stored keys that start with ``prefix``, sorted."""
        rows = await self._db.fetchall(
            "SELECT key FROM plugin_kv WHERE plugin = ? AND substr(key, 1, length(?)) = ? "
            "ORDER BY key",
            (self.plugin, prefix, prefix),
        )
        return [str(row[0]) for row in rows]
