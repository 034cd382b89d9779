"""Which gateway intents Presence asks Discord for, and what to tell the owner when refused.

Three intents are privileged: a bot gets them only when its owner turned them on in the
Developer Portal. Discord refuses a connection asking for one that is off (close code 4014)
without saying which, so the connector probes each one alone and then names exactly the
switches to turn on, and what Presence cannot do until they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import discord

__all__ = [
    "PRIVILEGED",
    "Privileged",
    "bad_token_message",
    "refused_message",
    "requested_intents",
    "with_privileged",
]


@dataclass(frozen=True, slots=True)
class Privileged:
    """A privileged intent: its discord.py flag, its portal switch, and what is lost without it."""

    flag: str
    switch: str
    lost: str


PRIVILEGED = (
    Privileged(
        "message_content",
        "Message Content Intent",
        "members' messages are recorded with empty text, attachments and embeds (except "
        "messages that mention Presence, and direct messages)",
    ),
    Privileged(
        "members",
        "Server Members Intent",
        "member joins, leaves and nickname changes are not seen, nor who is in each channel",
    ),
    Privileged("presences", "Presence Intent", "online/idle/dnd/offline changes are not seen"),
)

_PORTAL = (
    "https://discord.com/developers/applications -> your application -> Bot -> "
    "Privileged Gateway Intents"
)


def requested_intents() -> discord.Intents:
    """Every intent the connector's features use, privileged ones included."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.voice_states = True
    intents.guild_scheduled_events = True
    return with_privileged(intents, (p.flag for p in PRIVILEGED))


def with_privileged(base: discord.Intents, flags: Iterable[str]) -> discord.Intents:
    """``base`` without any privileged intent, plus the privileged ``flags`` given."""
    intents = discord.Intents(base.value)
    for privileged in PRIVILEGED:
        setattr(intents, privileged.flag, False)
    for flag in flags:
        setattr(intents, flag, True)
    return intents


def refused_message(network: str, refused: Iterable[Privileged], *, degrade: bool) -> str:
    """Tell the owner which portal switches to turn on, and what is missing meanwhile."""
    missing = list(refused)
    switches = " and ".join(f'"{p.switch}"' for p in missing) or "the privileged intents"
    lines = [
        f"network {network}: Discord refused the bot's privileged intents. "
        f"Turn on {switches} at {_PORTAL}, then restart Presence."
    ]
    lines += [f"  without {p.switch}: {p.lost}" for p in missing]
    if degrade:
        lines.append("  degrade_intents = true: Presence carries on without them.")
    else:
        lines.append(
            "  This network stays off until then (or set degrade_intents = true to carry on "
            "without them)."
        )
    return "\n".join(lines)


def bad_token_message(network: str, token_env: str, detail: str) -> str:
    """Tell the owner the token was refused and how to get a good one."""
    return (
        f"network {network}: Discord refused the bot token in ${token_env} ({detail}). Copy "
        "the token from https://discord.com/developers/applications -> your application -> "
        f"Bot -> Reset Token, export it as {token_env} and restart Presence. This network "
        "stays off until then."
    )
