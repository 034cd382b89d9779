"""Who is in each channel Presence is in, and with what status, so one QUIT or NICK maps to all.

IRC says "alice quit" once, not once per channel, and NAMES replies repeat people already
known; the roster answers "which channels was alice in", "is this member new" and "is she an
op". Members listed by NAMES can be held back until the WHO reply that follows has told their
accounts and hosts, so they are reported once and completely. Pure state, fed the same library
events as :mod:`translate`, so it is unit-tested without sockets.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from assistant.connectors.irc.text import casefold
from assistant.connectors.irc.translate import IrcEventLike, is_user_source, split_source
from assistant.events import Event, MemberJoined

__all__ = ["Rosters"]


class _Channel:
    """One channel: its display name, members and statuses by case-folded nick, held NAMES."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.members: dict[str, str] = {}
        self.status: dict[str, str] = {}
        self.held: list[MemberJoined] = []
        self.awaiting_who = False

    def remove(self, key: str) -> None:
        self.members.pop(key, None)
        self.status.pop(key, None)


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
        found = self._channels.get(casefold(channel))
        return sorted(found.members.values()) if found else []

    def everyone(self) -> set[str]:
        """Every nick sharing at least one channel with Presence."""
        return {nick for channel in self._channels.values() for nick in channel.members.values()}

    def channels_of(self, nick: str) -> list[str]:
        """The channels ``nick`` is in, as far as Presence can see."""
        key = casefold(nick)
        return [c.name for c in self._channels.values() if key in c.members]

    def status(self, channel: str, nick: str) -> str:
        """``nick``'s status symbols in ``channel`` (``"@"`` for an op), ``""`` when none."""
        found = self._channels.get(casefold(channel))
        return found.status.get(casefold(nick), "") if found else ""

    def set_status(self, channel: str, nick: str, status: str) -> None:
        """Record ``nick``'s status in ``channel`` after a MODE change."""
        found = self._channels.get(casefold(channel))
        key = casefold(nick)
        if found is not None and key in found.members:
            found.status[key] = status

    def update(self, ev: IrcEventLike, own_nick: str) -> list[str]:
        """Apply a JOIN/PART/KICK/QUIT/NICK and return the channels the source was in before.

        The returned list is what one QUIT fans out to; for other events it is informational.
        """
        if not is_user_source(ev.source):
            return []
        nick, _ = split_source(ev.source)
        who = casefold(nick)
        before = [c.name for c in self._channels.values() if who in c.members]
        is_self = who == casefold(own_nick)
        target = str(ev.target or "")
        channel = self._channels.get(casefold(target))
        kind = ev.type
        if kind == "join":
            if is_self:
                self._channels[casefold(target)] = _Channel(target)
            elif channel is not None:
                channel.members[who] = nick
        elif kind == "part":
            if is_self:
                self._channels.pop(casefold(target), None)
            elif channel is not None:
                channel.remove(who)
        elif kind == "kick" and ev.arguments:
            victim = casefold(str(ev.arguments[0]))
            if victim == casefold(own_nick):
                self._channels.pop(casefold(target), None)
            elif channel is not None:
                channel.remove(victim)
        elif kind == "quit":
            for each in self._channels.values():
                each.remove(who)
        elif kind == "nick":
            new = casefold(target)
            for each in self._channels.values():
                if each.members.pop(who, None) is not None:
                    each.members[new] = target
                    each.status[new] = each.status.pop(who, "")
                # A member renamed before the WHO ended is reported under the new nick.
                each.held = [
                    replace(held, actor=replace(held.actor, nick=target))
                    if casefold(held.actor.nick) == who
                    else held
                    for held in each.held
                ]
        return before

    def expect_who(self, channel: str) -> None:
        """Hold the coming NAMES entries of ``channel`` until :meth:`release` (the WHO ended)."""
        found = self._channels.get(casefold(channel))
        if found is not None:
            found.awaiting_who = True

    def awaiting_who(self, channel: str) -> bool:
        """True while NAMES entries of ``channel`` are held for the WHO reply."""
        found = self._channels.get(casefold(channel))
        return found is not None and found.awaiting_who

    def add_present(self, events: Iterable[Event]) -> list[Event]:
        """Record NAMES entries; return those to report now (new members of joined channels).

        While the channel awaits its WHO reply the new entries are held instead.
        """
        fresh: list[Event] = []
        for event in events:
            if not isinstance(event, MemberJoined) or event.channel is None:
                continue
            channel = self._channels.get(casefold(event.channel))
            key = casefold(event.actor.nick)
            if channel is None:
                continue
            channel.status[key] = event.modes
            if key in channel.members:
                continue
            channel.members[key] = event.actor.nick
            if channel.awaiting_who:
                channel.held.append(event)
            else:
                fresh.append(event)
        return fresh

    def release(self, channel: str) -> list[MemberJoined]:
        """End the wait for ``channel``'s WHO: the held entries of members still there."""
        found = self._channels.get(casefold(channel))
        if found is None:
            return []
        held, found.held, found.awaiting_who = found.held, [], False
        return [event for event in held if casefold(event.actor.nick) in found.members]

    def release_all(self) -> list[MemberJoined]:
        """End every wait for WHO (the server refused it): all held entries still present."""
        return [
            event
            for channel in self._channels.values()
            if channel.awaiting_who
            for event in self.release(channel.name)
        ]
