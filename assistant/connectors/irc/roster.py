"""Who is in each channel Presence is in, kept so that one QUIT or NICK maps to every channel.

IRC says "alice quit" once, not once per channel, and NAMES replies repeat people already
known; the roster answers "which channels was alice in" and "is this member new". Pure state,
fed the same library events as :mod:`translate`, so it is unit-tested without sockets.
"""

from __future__ import annotations

from collections.abc import Iterable

from assistant.connectors.irc.translate import IrcEventLike, is_user_source, split_source
from assistant.events import Event, MemberJoined, irc_casefold

__all__ = ["Rosters"]


class _Channel:
    """One channel: its display name and members keyed by case-folded nick."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.members: dict[str, str] = {}


class Rosters:
    """Channel memberships as seen from Presence's connection."""

    def __init__(self) -> None:
        self._channels: dict[str, _Channel] = {}

    def clear(self) -> None:
        """Forget everything (the connection is gone, so is our knowledge)."""
        self._channels.clear()

    @property
    def channels(self) -> list[str]:
        """The channels Presence is in."""
        return [channel.name for channel in self._channels.values()]

    def members(self, channel: str) -> list[str]:
        """The nicks in ``channel`` (Presence excluded), sorted; empty when we are not in it."""
        found = self._channels.get(irc_casefold(channel))
        return sorted(found.members.values()) if found else []

    def update(self, ev: IrcEventLike, own_nick: str) -> list[str]:
        """Apply a JOIN/PART/KICK/QUIT/NICK and return the channels the source was in before.

        The returned list is what one QUIT fans out to; for other events it is informational.
        """
        if not is_user_source(ev.source):
            return []
        nick, _ = split_source(ev.source)
        who = irc_casefold(nick)
        before = [c.name for c in self._channels.values() if who in c.members]
        is_self = who == irc_casefold(own_nick)
        target = str(ev.target or "")
        channel = self._channels.get(irc_casefold(target))
        kind = ev.type
        if kind == "join":
            if is_self:
                self._channels[irc_casefold(target)] = _Channel(target)
            elif channel is not None:
                channel.members[who] = nick
        elif kind == "part":
            if is_self:
                self._channels.pop(irc_casefold(target), None)
            elif channel is not None:
                channel.members.pop(who, None)
        elif kind == "kick" and ev.arguments:
            victim = irc_casefold(str(ev.arguments[0]))
            if victim == irc_casefold(own_nick):
                self._channels.pop(irc_casefold(target), None)
            elif channel is not None:
                channel.members.pop(victim, None)
        elif kind == "quit":
            for each in self._channels.values():
                each.members.pop(who, None)
        elif kind == "nick":
            for each in self._channels.values():
                if each.members.pop(who, None) is not None:
                    each.members[irc_casefold(target)] = target
        return before

    def add_present(self, events: Iterable[Event]) -> list[Event]:
        """Record NAMES entries; keep those for channels we are in and members not yet known."""
        fresh: list[Event] = []
        for event in events:
            if not isinstance(event, MemberJoined) or event.channel is None:
                continue
            channel = self._channels.get(irc_casefold(event.channel))
            key = irc_casefold(event.actor.nick)
            if channel is None or key in channel.members:
                continue
            channel.members[key] = event.actor.nick
            fresh.append(event)
        return fresh
