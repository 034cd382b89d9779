"""Sharding's part of the configuration story: Discord's refusal explained, probes sharded alike."""

from __future__ import annotations

from typing import Any

import discord

from assistant.config import NetworkSettings

__all__ = ["SHARDING_REQUIRED", "probe_options", "sharding_message"]

SHARDING_REQUIRED = 4011
"""Gateway close code: the bot is in too many servers for one connection (or one shard)."""


def sharding_message(network: str, settings: NetworkSettings) -> str:
    """Why Discord closed with 4011 and what to set in the configuration."""
    shards = settings.shard_count
    if shards is None:
        fix = f'set shard_count = "auto" under [networks.{network}]'
    else:
        fix = f'shard_count = {shards} is too few: raise it, or set shard_count = "auto"'
    return (
        f"network {network}: Discord refused the connection (close code 4011, sharding "
        f"required): the bot is in more servers than one connection may hold (2,500); {fix}"
    )


def probe_options(client: discord.Client | None, options: dict[str, Any]) -> dict[str, Any]:
    """Client options for the intent probes: shard 0 of the same count when ``client`` shards.

    An unsharded probe of a bot that needs sharding would be refused for that, not its intents.
    """
    if isinstance(client, discord.AutoShardedClient) and client.shard_count is not None:
        return options | {"shard_id": 0, "shard_count": client.shard_count}
    return options
