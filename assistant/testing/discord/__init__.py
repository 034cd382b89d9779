"""A Discord gateway + REST emulator for tests: unmodified discord.py runs against it on 127.0.0.1.

``async with DiscordEmulator() as discord_server, discord_server.point_discord_py_here():`` then
script a guild and start a ``discord.Client``; see :class:`DiscordEmulator` for the scripting API.
"""

from __future__ import annotations

from assistant.testing.discord.emulator import DiscordEmulator, SentMessage
from assistant.testing.discord.world import UnknownObjectError

__all__ = ["DiscordEmulator", "SentMessage", "UnknownObjectError"]
