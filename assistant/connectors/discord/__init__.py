"""The Discord connector: discord.py on Presence's event loop, translated into Presence events."""

from assistant.connectors.discord.connector import DiscordConnector

__all__ = ["DiscordConnector"]
