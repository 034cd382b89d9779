"""Channel MODE lines read the way the server meant them: which member gained or lost which status.

A MODE line mixes member statuses (``+o alice``) with channel settings (``+k key``, ``+b mask``),
and which letters consume a parameter depends on the server's CHANMODES and PREFIX; reading it
with a fixed table would hand the ban mask to the op that follows it. Only member statuses
matter to Presence (ops and voices are notability hints), so only those are returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.connectors.irc.isupport import ServerFeatures

__all__ = ["MemberMode", "apply_status", "member_modes"]


@dataclass(frozen=True, slots=True)
class MemberMode:
    """One member status change in a MODE line: the sign, the letter, its symbol, the nick."""

    sign: str
    mode: str
    symbol: str
    nick: str

    @property
    def change(self) -> str:
        """The change as written in a MODE line, e.g. ``+o``."""
        return self.sign + self.mode


def member_modes(arguments: Sequence[str], features: ServerFeatures) -> list[MemberMode]:
    """Parse the arguments of a channel MODE (mode string, then parameters) into status changes.

    Parameters are consumed as CHANMODES says (list and always-parameter modes take one, the
    set-only class only when setting), so a ``+bo mask nick`` gives the op to ``nick``. A line
    missing a parameter stops the parse rather than guessing.
    """
    if not arguments:
        return []
    params = list(arguments[1:])
    lists, always, when_set, _ = features.chanmodes
    changes: list[MemberMode] = []
    sign = "+"
    for letter in arguments[0]:
        if letter in "+-":
            sign = letter
            continue
        symbol = features.symbol(letter)
        takes_param = (
            symbol is not None
            or letter in lists
            or letter in always
            or (letter in when_set and sign == "+")
        )
        if not takes_param:
            continue
        if not params:
            break
        param = params.pop(0)
        if symbol is not None and param:
            changes.append(MemberMode(sign, letter, symbol, param))
    return changes


def apply_status(status: str, change: MemberMode, order: str) -> str:
    """Return a member's status symbols (e.g. ``@+``) after ``change``, kept in ``order``."""
    held = set(status)
    if change.sign == "+":
        held.add(change.symbol)
    else:
        held.discard(change.symbol)
    return "".join(symbol for symbol in order if symbol in held)
