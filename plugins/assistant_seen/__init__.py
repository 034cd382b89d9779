"""The ``!seen`` command: when and where someone was last seen, and what they last said.

The first built-in plugin, and the example of one: it uses only ``from assistant import``
names, records nothing itself (recording is the core's job), and never reveals a private
channel in an answer given elsewhere (``last_seen`` is asked where the question came from).
"""

from __future__ import annotations

import re
from datetime import datetime

from assistant import CommandContext, Plugin, SeenRecord, command, last_seen

__all__ = ["SeenPlugin", "describe", "relative_time"]

_QUOTE_MAX = 80

# (upper bound in seconds, phrase): each phrase covers the spans below its bound.
_SPANS: tuple[tuple[float, str], ...] = (
    (45, "just now"),
    (90, "a minute ago"),
    (45 * 60, "{minutes} minutes ago"),
    (90 * 60, "an hour ago"),
    (22 * 3600, "{hours} hours ago"),
    (36 * 3600, "a day ago"),
    (25 * 86400, "{days} days ago"),
    (45 * 86400, "a month ago"),
    (320 * 86400, "{months} months ago"),
    (548 * 86400, "a year ago"),
)


_MENTION = re.compile(r"<@!?(\d+)>")
_WHERE = {"voice": "in the voice channel {}", "stage": "on the stage {}"}


def relative_time(then: datetime, now: datetime) -> str:
    """Say how long ago ``then`` was, the way a person would ("5 minutes ago")."""
    seconds = max(0.0, (now - then).total_seconds())
    for bound, phrase in _SPANS:
        if seconds < bound:
            return phrase.format(
                minutes=round(seconds / 60),
                hours=round(seconds / 3600),
                days=round(seconds / 86400),
                months=round(seconds / (30 * 86400)),
            )
    return f"{round(seconds / (365 * 86400))} years ago"


def _quote(text: str) -> str:
    line = " ".join(text.split())
    if len(line) > _QUOTE_MAX:
        line = line[: _QUOTE_MAX - 1].rstrip() + "…"
    return f"“{line}”"


def describe(record: SeenRecord, now: datetime, asked_for: str | None = None) -> str:
    """Phrase a sighting: who, where, how long ago, their last words, and whether they are here.

    ``asked_for`` is the nick in the question; when the person has changed nick since,
    both names are given so the answer is not mistaken for someone else's.
    """
    who = record.nick
    if asked_for is not None and asked_for.casefold() != record.nick.casefold():
        who = f"{asked_for} (now {record.nick})"
    when = relative_time(record.at, now)
    saying = f", saying {_quote(record.last_words)}" if record.last_words else ""
    status = "still here" if record.still_here else "not here now"
    where = _WHERE.get(record.via, "in {}").format(record.channel)
    return f"{who} was last seen {where} {when}{saying} — {status}."


class SeenPlugin(Plugin):
    """Answer ``!seen NICK`` from what the core recorded."""

    @command("seen", example="!seen alice")
    async def seen(self, cmd: CommandContext) -> None:
        """Tell when and where NICK was last seen, what they last said, and if they are here."""
        nick = cmd.args.split()[0].rstrip("?!.,:;") if cmd.args else ""
        asked_for: str | None = nick
        mention = _MENTION.fullmatch(nick)  # a Discord mention names the user by id
        if mention is not None:
            nick, asked_for = mention.group(1), None
        if not nick:
            await cmd.reply(f"Whom? Say {cmd.prefix}seen NICK.")
            return
        event = cmd.event
        if nick.casefold() == event.actor.nick.casefold():
            await cmd.reply(f"You are right here, {event.actor.nick}.")
            return
        record = await last_seen(self.ctx.db, event.network, nick, asked_in=event.channel)
        if record is None:
            await cmd.reply(f"I have not seen {nick}.")
            return
        await cmd.reply(describe(record, event.timestamp, asked_for=asked_for))
