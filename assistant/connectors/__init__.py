"""Connectors: platform traffic in, platform-neutral events out (and text back out)."""

from assistant.connectors.base import Connector, Emit

__all__ = ["Connector", "Emit"]
