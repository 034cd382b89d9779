"""Where Presence may speak on Discord, and delivering text there in valid pieces.

Channel messages go only to the channels listed in ``send_channels``; a user id gets a
direct message (how the owner hears from Presence). Text over Discord's 2,000-character
limit is split at line, then word boundaries and sent in order. Mentions in what Presence
sends never ping anyone (a summary quoting ``@everyone`` must not notify a server), and
rate limits are left to discord.py, which waits out Discord's 429 answers.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import discord

from assistant.connectors.discord.translate import MAX_MESSAGE, split_message

__all__ = ["Outgoing", "deliver", "resolve_target"]

log = logging.getLogger(__name__)

_QUIET = discord.AllowedMentions.none()

Outgoing = discord.abc.Messageable


def _matches(channel: discord.abc.GuildChannel | discord.Thread, spec: str) -> bool:
    if spec.isdigit():
        return channel.id == int(spec)
    return channel.name.casefold() == spec.removeprefix("#").casefold()


def resolve_target(
    guild: discord.Guild | None, target: str, send_channels: Sequence[str]
) -> tuple[discord.abc.GuildChannel | discord.Thread | None, int | None, str]:
    """Resolve ``target`` to (channel, None, "") or (None, user id, "") or a refusal reason.

    ``target`` is ``"#name"`` or a channel id for a channel, or a user id for a direct message.
    """
    if guild is not None and (target.startswith("#") or target.isdigit()):
        found = next(
            (c for c in [*guild.channels, *guild.threads] if _matches(c, target)),
            None,
        )
        if found is not None:
            home = found.parent if isinstance(found, discord.Thread) else found
            allowed = any(
                _matches(found, spec) or (home is not None and _matches(home, spec))
                for spec in send_channels
            )
            if not allowed:
                return (
                    None,
                    None,
                    (
                        f"{target} is not in send_channels (Presence speaks in a channel only "
                        "where configured)"
                    ),
                )
            return found, None, ""
    if target.isdigit():
        return None, int(target), ""
    return None, None, f"no channel {target} in the server"


async def deliver(destination: Outgoing, text: str) -> int:
    """Send ``text`` to ``destination`` in pieces of at most 2,000 characters; return how many."""
    pieces = split_message(text, MAX_MESSAGE)
    for piece in pieces:
        await destination.send(piece, allowed_mentions=_QUIET)
    return len(pieces)
