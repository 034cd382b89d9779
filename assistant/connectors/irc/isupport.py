"""What a server announced about itself in ISUPPORT (005), parsed once and kept immutable.

The library's own ``FeatureSet`` drops value-less tokens such as ``WHOX`` (it returns early
when a token has no ``=``), so WHOX support would never be seen; and translation needs the
mode letters behind each status symbol and the CHANMODES classes to read MODE lines right.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

__all__ = ["DEFAULT_CHANTYPES", "DEFAULT_PREFIXES", "ServerFeatures"]

DEFAULT_CHANTYPES = "#&+!"
DEFAULT_PREFIXES = "~&@%+"
DEFAULT_PREFIX_MODES = "qaohv"
# RFC 2811's classes: list modes, modes with a parameter always, only when set, never.
DEFAULT_CHANMODES = ("beI", "k", "l", "imnpst")

_PREFIX = re.compile(r"^\(([A-Za-z]*)\)(\S*)$")


@dataclass(frozen=True, slots=True)
class ServerFeatures:
    """The server's channel prefixes, member statuses, channel mode classes and WHOX support.

    ``prefixes`` are the status symbols, highest first (``@`` for op); ``prefix_modes`` are the
    mode letters in the same order (``o`` for ``@``).
    """

    chantypes: str = DEFAULT_CHANTYPES
    prefixes: str = DEFAULT_PREFIXES
    prefix_modes: str = DEFAULT_PREFIX_MODES
    chanmodes: tuple[str, str, str, str] = DEFAULT_CHANMODES
    whox: bool = False
    network: str | None = None

    def symbol(self, mode: str) -> str | None:
        """The status symbol for a member mode letter (``o`` → ``@``), or None for other modes."""
        index = self.prefix_modes.find(mode)
        return self.prefixes[index] if index >= 0 and len(mode) == 1 else None

    def updated(self, tokens: Iterable[str]) -> ServerFeatures:
        """Return these features with one 005 line's tokens applied (``-TOKEN`` resets one)."""
        changes: dict[str, object] = {}
        for token in tokens:
            negated = token.startswith("-")
            name, _, value = token.removeprefix("-").partition("=")
            name = name.upper()
            if name == "CHANTYPES":
                changes["chantypes"] = DEFAULT_CHANTYPES if negated else value
            elif name == "PREFIX":
                match = _PREFIX.match(value)
                if negated:
                    changes["prefix_modes"] = DEFAULT_PREFIX_MODES
                    changes["prefixes"] = DEFAULT_PREFIXES
                elif match is not None and len(match[1]) == len(match[2]):
                    changes["prefix_modes"], changes["prefixes"] = match[1], match[2]
            elif name == "CHANMODES":
                classes = [*value.split(","), "", "", ""][:4]
                changes["chanmodes"] = DEFAULT_CHANMODES if negated else tuple(classes)
            elif name == "WHOX":
                changes["whox"] = not negated
            elif name == "NETWORK":
                changes["network"] = None if negated else value
        return replace(self, **changes) if changes else self  # type: ignore[arg-type]
