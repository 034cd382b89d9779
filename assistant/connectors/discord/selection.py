"""Which server and channels a Discord network attends, from names or ids in the config."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import discord

from assistant.events import irc_casefold

__all__ = ["find_guild", "named", "select_channels"]


def named(channel: discord.abc.GuildChannel | discord.Thread, spec: str) -> bool:
    """Whether ``spec`` (``"#name"``, compared case-folded, or an id) names ``channel``."""
    if spec.isdigit():
        return channel.id == int(spec)
    return irc_casefold(channel.name) == irc_casefold(spec.removeprefix("#"))


def find_guild(
    guilds: Iterable[discord.Guild], wanted: str | None
) -> tuple[discord.Guild | None, str]:
    """The server to attend (by name or id; the only one when none is named), or why not."""
    found = list(guilds)
    if wanted is None and len(found) == 1:
        return found[0], ""
    for guild in found:
        if wanted is not None and wanted in (str(guild.id), guild.name):
            return guild, ""
    names = ", ".join(f"{g.name!r} ({g.id})" for g in found) or "none"
    if wanted is None:
        problem = "set `guild` to the server to attend (name or id)"
    else:
        problem = f"the bot is not in server {wanted!r}: invite it (OAuth2 URL, scope bot)"
    return None, f"{problem}; the bot is in: {names}"


def select_channels(guild: discord.Guild, specs: Sequence[str]) -> tuple[set[int], list[str]]:
    """The ids of the channels ``specs`` name (every channel when none), and the specs unmatched.

    Categories are never attended: they hold channels, not talk.
    """
    channels = [c for c in guild.channels if not isinstance(c, discord.CategoryChannel)]
    selected = {c.id for c in channels if not specs or any(named(c, spec) for spec in specs)}
    missing = [spec for spec in specs if not any(named(c, spec) for c in channels)]
    return selected, missing
