"""The distribution Presence is installed as, and its version (``presence --version``)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["DISTRIBUTION", "presence_version"]

DISTRIBUTION = "chat-presence-assistant"
"""The name Presence is installed by (``pip install chat-presence-assistant``)."""


def presence_version() -> str:
    """The installed version, or ``"unknown"`` when run from a source tree never installed."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown"
