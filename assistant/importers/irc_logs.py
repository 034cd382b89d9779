"""Line readers for IRC client and bot logs: irssi, WeeChat, ZNC, HexChat, MeetBot, W3C.

Each reader turns one line into events (none for headers and mode changes) or raises
:class:`~assistant.importers.scene.BadLine` saying why the line is not understood. Relay
bots (``<relaybot> <realnick> text``) are left as the bot's lines: the log says the bot
spoke, and MeetBot's own minutes count them that way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime

from assistant.events import Event
from assistant.importers.reading import clean_nick, clean_text
from assistant.importers.scene import BadLine, LogCalendar, Scene

__all__ = [
    "LineReader",
    "hexchat_reader",
    "irssi_reader",
    "w3c_reader",
    "weechat_reader",
    "znc_reader",
]

LineReader = Callable[[str], Sequence[Event]]
"""Reads one line of a log into its events; raises BadLine for a line it cannot read."""

_SAID = re.compile(r"<([^>]*)> ?(.*)")
_ACTION = re.compile(r"\* +(\S+) ?(.*)")
_NOTICE = re.compile(r"-([^\s:-]+)(?::\S*)?- ?(.*)")

# --- irssi (and MeetBot's .log.txt, which writes the same "time <nick> text" lines) ---------
_IRSSI_TIME = re.compile(r"(\d{2}):(\d{2})(?::(\d{2}))? (.*)")
_IRSSI_JOIN = re.compile(r"(\S+) \[([^\]]*)\] has joined (\S+)")
_IRSSI_PART = re.compile(r"(\S+) \[([^\]]*)\] has left (\S+) ?\[?(.*?)\]?")
_IRSSI_QUIT = re.compile(r"(\S+) \[([^\]]*)\] has quit ?\[?(.*?)\]?")
_IRSSI_NICK = re.compile(r"(\S+) is now known as (\S+)")
_IRSSI_TOPIC = re.compile(r"(\S+) changed the topic of (\S+) to: ?(.*)")
_IRSSI_KICK = re.compile(r"(\S+) was kicked from (\S+) by (\S+) ?\[?(.*?)\]?")
_IRSSI_NETSPLIT = re.compile(r"Netsplit \S+ <-> \S+ quits: (.*)")
_IRSSI_DAY = re.compile(r"--- (?:Day changed|Log opened|Log closed) (.*)")
_HEADER_DATES = ("%a %b %d %Y", "%a %b %d %H:%M:%S %Y", "%a, %d %b %Y", "%a %d %b %Y")


def _header_date(text: str) -> date | None:
    text = " ".join(text.split())
    for pattern in _HEADER_DATES:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _said_or_did(scene: Scene, at: datetime, rest: str) -> list[Event] | None:
    """``<nick> text``, ``* nick text`` or ``-nick- text``; None when the line is none of them."""
    said = _SAID.fullmatch(rest)
    if said is not None:
        return [scene.message(at, clean_nick(said[1]), clean_text(said[2]))]
    did = _ACTION.fullmatch(rest)
    if did is not None:
        return [scene.message(at, clean_nick(did[1]), clean_text(did[2]), "action")]
    notice = _NOTICE.fullmatch(rest)
    if notice is not None:
        return [scene.message(at, clean_nick(notice[1]), clean_text(notice[2]), "notice")]
    return None


def irssi_reader(scene: Scene, clock: LogCalendar) -> LineReader:
    """irssi's default log format (also MeetBot's ``.log.txt``)."""

    def read(line: str) -> Sequence[Event]:
        day = _IRSSI_DAY.fullmatch(line) if line.startswith("--- ") else None
        if day is not None:
            found = _header_date(day[1])
            if found is None:
                raise BadLine(f"cannot read the date in {day[1]!r}")
            clock.set_day(found)
            return []
        match = _IRSSI_TIME.fullmatch(line)
        if match is None:
            raise BadLine("expected 'HH:MM <nick> text', 'HH:MM -!- ...' or '--- Day changed'")
        at = clock.at(int(match[1]), int(match[2]), int(match[3] or 0))
        rest = match[4].lstrip(" ")
        if rest.startswith("-!- "):
            return _irssi_system(scene, at, rest[4:])
        events = _said_or_did(scene, at, rest)
        if events is None:
            raise BadLine("neither '<nick> text', '* nick action' nor a '-!-' line")
        return events

    return read


def _irssi_system(scene: Scene, at: datetime, text: str) -> list[Event]:
    if m := _IRSSI_JOIN.fullmatch(text):
        return [scene.joined(at, m[1], m[2] or None)]
    if m := _IRSSI_PART.fullmatch(text):
        return [scene.left(at, m[1], "part", m[4])]
    if m := _IRSSI_QUIT.fullmatch(text):
        return [scene.left(at, m[1], "quit", m[3])]
    if m := _IRSSI_NICK.fullmatch(text):
        return [scene.nick_changed(at, m[1], m[2])]
    if m := _IRSSI_TOPIC.fullmatch(text):
        return [scene.topic(at, m[1], clean_text(m[3]))]
    if m := _IRSSI_KICK.fullmatch(text):
        return [scene.left(at, m[1], "kick", m[4], by=m[3])]
    if m := _IRSSI_NETSPLIT.fullmatch(text):
        return [scene.left(at, n.strip(), "netsplit") for n in m[1].split(",") if n.strip()]
    return []  # modes, "Irssi:" notes, "Topic for" on join: nothing to record


# --- WeeChat: "2021-04-12 20:05:03<TAB>prefix<TAB>message" ----------------------------------
_WEECHAT = re.compile(r"(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2})\t([^\t]*)\t?(.*)")
_WEECHAT_JOIN = re.compile(r"(\S+) \(([^)]*)\) has joined (\S+)")
_WEECHAT_PART = re.compile(r"(\S+) \(([^)]*)\) has left (\S+) ?\(?(.*?)\)?")
_WEECHAT_QUIT = re.compile(r"(\S+) \(([^)]*)\) has quit ?\(?(.*?)\)?")
_WEECHAT_KICK = re.compile(r"(\S+) has kicked (\S+) ?\(?(.*?)\)?")
_WEECHAT_NICK = re.compile(r"(\S+) is now known as (\S+)")
_WEECHAT_TOPIC = re.compile(r'(\S+) has (?:changed|set) topic for \S+ (?:from ".*" )?to "(.*)"')


def weechat_reader(scene: Scene, clock: LogCalendar) -> LineReader:
    """WeeChat's logger plugin: tab-separated, ``-->``/``<--`` for joins and quits."""

    def read(line: str) -> Sequence[Event]:
        match = _WEECHAT.fullmatch(line)
        if match is None:
            raise BadLine("expected 'YYYY-MM-DD HH:MM:SS<TAB>nick<TAB>text'")
        try:
            at = clock.absolute(datetime.fromisoformat(match[1]))
        except ValueError as exc:
            raise BadLine(f"impossible date and time {match[1]!r}") from exc
        prefix, text = clean_text(match[2]), match[3]
        if prefix == "-->":
            if m := _WEECHAT_JOIN.fullmatch(text):
                return [scene.joined(at, m[1], m[2] or None)]
            return []
        if prefix == "<--":
            if m := _WEECHAT_PART.fullmatch(text):
                return [scene.left(at, m[1], "part", m[4])]
            if m := _WEECHAT_QUIT.fullmatch(text):
                return [scene.left(at, m[1], "quit", m[3])]
            if m := _WEECHAT_KICK.fullmatch(text):
                return [scene.left(at, m[2], "kick", m[3], by=m[1])]
            return []
        if prefix in ("--", "=!=", ""):
            if m := _WEECHAT_NICK.fullmatch(text):
                return [scene.nick_changed(at, m[1], m[2])]
            if m := _WEECHAT_TOPIC.fullmatch(text):
                return [scene.topic(at, m[1], clean_text(m[2]))]
            return []
        if prefix == "*":
            nick, _, action = text.partition(" ")
            return [scene.message(at, clean_nick(nick), clean_text(action), "action")]
        return [scene.message(at, clean_nick(prefix), clean_text(text))]

    return read


# --- ZNC's log module: "[20:05:03] <nick> text", "*** Joins: nick (ident@host)" -------------
_ZNC = re.compile(r"\[(\d{2}):(\d{2})(?::(\d{2}))?\] (.*)")
_ZNC_JOIN = re.compile(r"\*\*\* Joins: (\S+) ?\(?([^)]*)\)?")
_ZNC_PART = re.compile(r"\*\*\* Parts: (\S+) \(([^)]*)\) ?\(?(.*?)\)?")
_ZNC_QUIT = re.compile(r"\*\*\* Quits: (\S+) \(([^)]*)\) ?\(?(.*?)\)?")
_ZNC_NICK = re.compile(r"\*\*\* (\S+) is now known as (\S+)")
_ZNC_TOPIC = re.compile(r"\*\*\* (\S+) changes topic to '(.*)'")
_ZNC_KICK = re.compile(r"\*\*\* (\S+) was kicked by (\S+) ?\(?(.*?)\)?")


def znc_reader(scene: Scene, clock: LogCalendar) -> LineReader:
    """ZNC's ``log`` module (one file per channel and day, the date in the file name)."""

    def read(line: str) -> Sequence[Event]:
        match = _ZNC.fullmatch(line)
        if match is None:
            raise BadLine("expected '[HH:MM:SS] <nick> text' or '[HH:MM:SS] *** ...'")
        at = clock.at(int(match[1]), int(match[2]), int(match[3] or 0))
        rest = match[4]
        if rest.startswith("*** "):
            if m := _ZNC_JOIN.fullmatch(rest):
                return [scene.joined(at, m[1], m[2] or None)]
            if m := _ZNC_PART.fullmatch(rest):
                return [scene.left(at, m[1], "part", m[3])]
            if m := _ZNC_QUIT.fullmatch(rest):
                return [scene.left(at, m[1], "quit", m[3])]
            if m := _ZNC_NICK.fullmatch(rest):
                return [scene.nick_changed(at, m[1], m[2])]
            if m := _ZNC_TOPIC.fullmatch(rest):
                return [scene.topic(at, m[1], clean_text(m[2]))]
            if m := _ZNC_KICK.fullmatch(rest):
                return [scene.left(at, m[1], "kick", m[3], by=m[2])]
            return []  # modes and server notes
        events = _said_or_did(scene, at, rest)
        if events is None:
            raise BadLine("neither '<nick> text', '* nick action' nor a '***' line")
        return events

    return read


# --- HexChat: "Apr 12 20:05:03 <nick>\ttext", "**** BEGIN LOGGING AT Mon Apr 12 ... 2021" ---
_HEXCHAT = re.compile(r"([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (.*)")
_HEXCHAT_BEGIN = re.compile(r"\*\*\*\* (?:BEGIN|ENDING) LOGGING AT (.*)")
_HEXCHAT_JOIN = re.compile(r"(\S+) \(([^)]*)\) has joined(?: \S+)?")
_HEXCHAT_PART = re.compile(r"(\S+) \(([^)]*)\) has left(?: \S+)? ?\(?(.*?)\)?")
_HEXCHAT_QUIT = re.compile(r"(\S+)(?: \([^)]*\))? has quit ?\(?(.*?)\)?")
_HEXCHAT_KICK = re.compile(r"(\S+) has kicked (\S+) from \S+ ?\(?(.*?)\)?")
_HEXCHAT_NICK = re.compile(r"(\S+) is now known as (\S+)")
_HEXCHAT_TOPIC = re.compile(r"(\S+) has changed the topic to: ?(.*)")
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}


def hexchat_reader(scene: Scene, clock: LogCalendar) -> LineReader:
    """HexChat (and XChat) logs; the year comes from the ``BEGIN LOGGING`` header."""

    def read(line: str) -> Sequence[Event]:
        header = _HEXCHAT_BEGIN.fullmatch(line)
        if header is not None:
            found = _header_date(header[1])
            if found is None:
                raise BadLine(f"cannot read the date in {header[1]!r}")
            clock.set_day(found)
            return []
        match = _HEXCHAT.fullmatch(line)
        if match is None:
            raise BadLine("expected 'Mon DD HH:MM:SS <nick>\\ttext' or '**** BEGIN LOGGING'")
        if clock.day is None:
            clock.at(0, 0)  # raises MissingDate: the year is unknown
        assert clock.day is not None
        month = _MONTHS.get(match[1])
        if month is None:
            raise BadLine(f"unknown month {match[1]!r}")
        year = clock.day.year + (1 if month < clock.day.month else 0)  # December to January
        try:
            when = datetime(year, month, int(match[2]), int(match[3]), int(match[4]), int(match[5]))
        except ValueError as exc:
            raise BadLine(f"impossible date: {exc}") from exc
        at = clock.absolute(when)
        prefix, _, text = match[6].partition("\t")
        prefix = prefix.strip()
        if prefix == "-->":
            m = _HEXCHAT_JOIN.fullmatch(text)
            return [scene.joined(at, m[1], m[2] or None)] if m else []
        if prefix == "<--":
            if m := _HEXCHAT_PART.fullmatch(text):
                return [scene.left(at, m[1], "part", m[3])]
            if m := _HEXCHAT_KICK.fullmatch(text):
                return [scene.left(at, m[2], "kick", m[3], by=m[1])]
            if m := _HEXCHAT_QUIT.fullmatch(text):
                return [scene.left(at, m[1], "quit", m[2])]
            return []
        if prefix == "---":
            if m := _HEXCHAT_NICK.fullmatch(text):
                return [scene.nick_changed(at, m[1], m[2])]
            if m := _HEXCHAT_TOPIC.fullmatch(text):
                return [scene.topic(at, m[1], clean_text(m[2]))]
            return []
        if prefix == "*":
            nick, _, action = text.partition(" ")
            return [scene.message(at, clean_nick(nick), clean_text(action), "action")]
        if prefix.startswith("<") and prefix.endswith(">"):
            return [scene.message(at, clean_nick(prefix), clean_text(text))]
        if prefix.startswith("-") and prefix.endswith("-") and len(prefix) > 2:
            return [scene.message(at, clean_nick(prefix[1:-1]), clean_text(text), "notice")]
        raise BadLine("neither '<nick>\\ttext', '*\\tnick action' nor a '-->'/'<--'/'---' line")

    return read


# --- W3C-style logs: "[2020-06-09T16:10:13.029Z]\t<Orie>\ttext" ------------------------------
_W3C = re.compile(
    r"\[(\d{4}-\d{2}-\d{2}T[\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)\]\t([^\t]*)\t?(.*)", re.DOTALL
)
# Some of the same logs had their tabs expanded: "[...Z]  <TallTed>  present+"; Gitter and
# Matrix exports write one space: "[2016-11-21T02:33:15] <nick> text".
_W3C_SPACED = re.compile(
    r"\[(\d{4}-\d{2}-\d{2}[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)\] +(<[^>]*>|\*|-[^\s-]+-) +(.*)",
    re.DOTALL,
)


def w3c_reader(scene: Scene, clock: LogCalendar) -> LineReader:
    """W3C IRC logs (also the ccg meetings' ``irc.log``): ISO 8601 UTC times, tab-separated.

    Logs whose tabs became spaces are read too, when the nick is in ``<>`` (or ``*``), and
    so are Gitter and Matrix exports in the same style (``[2016-11-21T02:33:15] <nick> text``;
    a time without a zone is the log's ``--timezone``).
    """

    def read(line: str) -> Sequence[Event]:
        match = _W3C.fullmatch(line) or _W3C_SPACED.fullmatch(line)
        if match is None:
            raise BadLine("expected '[YYYY-MM-DDTHH:MM:SS] <nick> text' (tabs or spaces)")
        try:
            at = clock.absolute(datetime.fromisoformat(match[1].replace("Z", "+00:00")))
        except ValueError as exc:
            raise BadLine(f"impossible time {match[1]!r}") from exc
        who, text = match[2].strip(), match[3]
        if who.startswith("<") and who.endswith(">"):
            return [scene.message(at, clean_nick(who), clean_text(text))]
        if who == "*":
            nick, _, action = text.partition(" ")
            return [scene.message(at, clean_nick(nick), clean_text(action), "action")]
        if who.startswith("-") and who.endswith("-") and len(who) > 2:
            return [scene.message(at, clean_nick(who[1:-1]), clean_text(text), "notice")]
        events = _said_or_did(scene, at, f"{who} {text}".strip())
        if events is None:
            return []  # joins and server notes in the few logs that have them
        return events

    return read
