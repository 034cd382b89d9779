"""Who is in which channel, as the analyzer tells its workers: rosters and system lines.

Joins, parts, quits and nick changes reach the analysis workers two ways. The pipeline
worker keeps each channel's roster (only nicks present in a message's channel can be its
addressees), so every change becomes a
:data:`~assistant.nlp.worker_messages.RosterChange`. The reply linker learned from IRC logs
in which those events are written as system lines ("=== alice [~a@host]  has joined
#ubuntu"), and a join or a nick change is often what the next message answers or names; so
each one also becomes a system line in that channel, written the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from assistant.events import Event, MemberJoined, MemberLeft, NickChanged, irc_casefold
from assistant.nlp.worker_messages import RosterChange

__all__ = ["ChannelRosters", "SystemLine"]


@dataclass(frozen=True, slots=True)
class SystemLine:
    """A join, part, quit or nick change in one channel, worded as the linker's logs word it."""

    network: str
    channel: str
    """The channel's case-folded key."""
    nick: str
    """Whom it is about (the old nick for a nick change)."""
    text: str


class ChannelRosters:
    """Each channel's nicks, kept from events; the changes not yet sent to the pipeline worker."""

    def __init__(self) -> None:
        self._rosters: dict[tuple[str, str], set[str]] = {}
        self._changes: list[RosterChange] = []

    @property
    def has_changes(self) -> bool:
        """Whether changes wait to be sent."""
        return bool(self._changes)

    def take_changes(self) -> tuple[RosterChange, ...]:
        """The changes since the last call, oldest first."""
        changes, self._changes = tuple(self._changes), []
        return changes

    def everything(self) -> tuple[RosterChange, ...]:
        """Every channel's whole roster, for a worker that starts with nothing."""
        return tuple(
            ("reset", network, channel, tuple(sorted(nicks)))
            for (network, channel), nicks in self._rosters.items()
        )

    def spoke(self, network: str, channel: str, nick: str) -> None:
        """``nick`` said something in ``channel`` (a key): they are here even if the join was
        missed. A change to send like a join: every pipeline worker must know them, not only
        the one that parses their line."""
        self._change((network, channel), "add", nick)

    def apply(self, event: Event) -> list[SystemLine]:
        """Keep the rosters from ``event``; return the system lines it makes (often none).

        Presence already there when the assistant joined, and voice or stage attendance, change
        rosters but are no lines: the logs the linker learned from show arrivals only.
        """
        if isinstance(event, MemberJoined):
            if event.channel is None:
                return []
            nick = event.actor.nick
            key = (event.network, irc_casefold(event.channel))
            self._change(key, "add", nick)
            if event.already_present or event.via != "channel":
                return []
            text = f"{nick} [{event.actor.userhost or ''}]  has joined {event.channel}"
            return [SystemLine(key[0], key[1], nick, text)]
        if isinstance(event, MemberLeft):
            nick = event.actor.nick
            if event.channel is not None:
                names = {(event.network, irc_casefold(event.channel)): event.channel}
            else:
                names = {key: key[1] for key in self._where(event.network, nick)}
            lines = []
            for key, name in names.items():
                present = nick in self._rosters.get(key, ())
                self._change(key, "remove", nick)
                if present and event.via == "channel":
                    reason = event.reason.replace("\n", " ")
                    text = f"{nick} [{event.actor.userhost or ''}]  has left {name} [{reason}]"
                    lines.append(SystemLine(key[0], key[1], nick, text))
            return lines
        if isinstance(event, NickChanged):
            old, new = event.actor.nick, event.new_nick
            lines = []
            for key in self._where(event.network, old):
                self._change(key, "remove", old)
                self._change(key, "add", new)
                lines.append(SystemLine(key[0], key[1], old, f"{old} is now known as {new}"))
            return lines
        return []

    def _where(self, network: str, nick: str) -> Iterable[tuple[str, str]]:
        return [key for key, nicks in self._rosters.items() if key[0] == network and nick in nicks]

    def _change(self, key: tuple[str, str], op: str, nick: str) -> None:
        nicks = self._rosters.setdefault(key, set())
        if op == "add":
            if nick not in nicks:
                nicks.add(nick)
                self._changes.append(("add", key[0], key[1], (nick,)))
        elif nick in nicks:
            nicks.discard(nick)
            self._changes.append(("remove", key[0], key[1], (nick,)))
