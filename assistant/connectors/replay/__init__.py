"""The replay connector: a recorded chat log played through the live code path, as if live."""

from assistant.connectors.replay.connector import ReplayConnector
from assistant.connectors.replay.translate import ReplayError, read_replay

__all__ = ["ReplayConnector", "ReplayError", "read_replay"]
