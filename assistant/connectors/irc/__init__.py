"""The IRC connector: jaraco ``irc`` on asyncio, translated into Presence events."""

from assistant.connectors.irc.connector import IrcConnector

__all__ = ["IrcConnector"]
