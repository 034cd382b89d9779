"""Pidgin, Finch and Adium text logs (libpurple's logger), read into events for import.

A log starts ``Conversation with #chan at Sat 01 Jan 2005 04:00:00 PM EST on me@irc.net
(irc)`` and has one line per message, ``(04:01:11 PM) nick: text``: 12- or 24-hour times
(the locale's), with the date inside the brackets when a line is on another day than the
header (``(01/02/2005 12:00:01 AM)``). ``/me`` is ``***nick waves``; joins, parts, nick and
topic changes are plain sentences. HTML logs (``<font size="2">(04:01:11 PM)</font>
<b>nick:</b> text<br/>``) are read the same once their tags are removed. A message over
several lines continues on lines that do not start with a time.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import date, datetime

from assistant.events import Event
from assistant.importers.irc_logs import LineReader
from assistant.importers.reading import clean_nick, clean_text
from assistant.importers.scene import BadLine, LogCalendar, Scene

__all__ = [
    "PIDGIN_CONTINUES",
    "PIDGIN_HEADER",
    "PIDGIN_LINE",
    "conversation_date",
    "hour_of",
    "pidgin_reader",
    "plain_line",
]

_TIME = r"(\d{1,2}):(\d{2}):(\d{2})(?: ?([AaPp])\.? ?[Mm]\.?)?"
PIDGIN_LINE = re.compile(r"\((?:([\d./-]{8,10}) )?" + _TIME + r"\) ?(.*)", re.DOTALL)
"""``(04:01:11 PM) rest``, ``(2005-01-02 00:00:01) rest``: date, h, m, s, am/pm, rest."""
PIDGIN_CONTINUES = re.compile(r"\((?:[\d./-]{8,10} )?\d{1,2}:\d{2}:\d{2}|Conversation with|<")
"""The start of a real line; other lines continue the message before them."""
PIDGIN_HEADER = re.compile(r"Conversation with (.+?) at (.+?)(?: on (\S*) \((\w+)\))?\s*$")

_TAGS = re.compile(r"<title>.*?</title>|<[^>]*>", re.IGNORECASE)
_NOTE = re.compile(r"(?:The topic for|Topic for|mode \(|You are now|\S+ has set the topic)")
_JOINED = re.compile(r"(\S+)(?: \[([^\]]*)\])? entered the room\.?")
_LEFT = re.compile(r"(\S+) left the room(?: \((?:(quit): ?)?(.*)\))?\.?")
_NICK = re.compile(r"(\S+) is now known as (\S+?)\.?")
_TOPIC = re.compile(r"(\S+) has changed the topic to: ?(.*)")
_KICK = re.compile(r"(\S+) has been kicked by (\S+)(?: \((.*)\))?\.?")
_SAID = re.compile(r"([^:]{1,80}?)(?: <AUTO-REPLY>)?: ?(.*)", re.DOTALL)
_ACTION = re.compile(r"\*\*\*(\S+) ?(.*)", re.DOTALL)
_WHISPER = re.compile(r"\*\S+\* .*", re.DOTALL)
_ZONE = re.compile(r"\s+(?:[A-Z]{2,5}|[+-]\d{4}|UTC[+-]?\d*)$")
_HEADER_FORMATS = (
    "%a %d %b %Y %I:%M:%S %p",
    "%a %d %b %Y %H:%M:%S",
    "%a %b %d %H:%M:%S %Y",
    "%a %b %d %I:%M:%S %p %Y",
    "%a, %d %b %Y %H:%M:%S",
    "%A, %B %d, %Y %I:%M:%S %p",
    "%A, %B %d, %Y %H:%M:%S",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%y %I:%M:%S %p",
    "%m/%d/%y %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%d.%m.%Y %H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%c",
)


def plain_line(line: str) -> str:
    """A line of a Pidgin HTML log as the text log would have it (tags removed)."""
    if "<" not in line:
        return line
    return html.unescape(_TAGS.sub("", line.replace("<br/>", "").replace("<br>", "")))


def conversation_date(text: str) -> date | None:
    """The date in a header's ``at ...`` part (``Sat 01 Jan 2005 04:00:00 PM EST``)."""
    text = _ZONE.sub("", " ".join(text.split()))
    for pattern in _HEADER_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    iso = re.search(r"(\d{4})-(\d{2})-(\d{2})", text)
    if iso is not None:
        try:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        except ValueError:
            return None
    return None


def _line_date(text: str) -> date:
    """The date printed inside a line's brackets: ISO, US ``01/02/2005`` or ``02.01.2005``."""
    parts = [int(p) for p in re.split(r"[./-]", text) if p.isdigit()]
    if len(parts) != 3:
        raise BadLine(f"cannot read the date {text!r}")
    try:
        if parts[0] > 31:
            return date(parts[0], parts[1], parts[2])
        year = parts[2] + (2000 if parts[2] < 70 else 1900 if parts[2] < 100 else 0)
        if "." in text or parts[0] > 12:  # 02.01.2005 and 25/12/2005 put the day first
            return date(year, parts[1], parts[0])
        return date(year, parts[0], parts[1])
    except ValueError as exc:
        raise BadLine(f"impossible date {text!r}") from exc


def hour_of(hour: int, half: str | None) -> int:
    """A 24-hour hour from a 12-hour clock's hour and ``a``/``p`` (None: already 24-hour)."""
    if half is None:
        return hour
    if hour < 1 or hour > 12:
        raise BadLine(f"impossible 12-hour time {hour}")
    return hour % 12 + (12 if half in "pP" else 0)


def pidgin_reader(scene: Scene, clock: LogCalendar) -> LineReader:
    """Lines of a Pidgin/Finch/Adium text (or HTML) log."""

    def read(line: str) -> Sequence[Event]:
        line = plain_line(line).strip()
        header = PIDGIN_HEADER.match(line)
        if header is not None:
            found = conversation_date(header[2])
            if found is not None:
                clock.set_day(found)
            return []
        match = PIDGIN_LINE.fullmatch(line)
        if match is None:
            if not line or line.startswith(("<", "Conversation with")):
                return []  # what is left of an HTML log's head and tail
            raise BadLine("expected '(HH:MM:SS) nick: text' or '(HH:MM:SS AM) nick: text'")
        hour = hour_of(int(match[2]), match[5])
        minute, second = int(match[3]), int(match[4])
        if match[1]:
            day = _line_date(match[1])
            try:
                when = datetime(day.year, day.month, day.day, hour, minute, second)
            except ValueError as exc:
                raise BadLine(f"impossible time in {line[:30]!r}") from exc
            at = clock.absolute(when)
        else:
            at = clock.at(hour, minute, second)
        return _events(scene, at, match[6])

    return read


def _events(scene: Scene, at: datetime, rest: str) -> list[Event]:
    if m := _ACTION.fullmatch(rest):
        return [scene.message(at, clean_nick(m[1]), clean_text(m[2]), "action")]
    if _WHISPER.fullmatch(rest):
        return []  # a private whisper, not said in the room
    if m := _JOINED.fullmatch(rest):
        return [scene.joined(at, clean_nick(m[1]), m[2] or None)]
    if m := _LEFT.fullmatch(rest):
        return [scene.left(at, clean_nick(m[1]), "quit" if m[2] else "part", m[3] or "")]
    if m := _NICK.fullmatch(rest):
        return [scene.nick_changed(at, clean_nick(m[1]), clean_nick(m[2]))]
    if m := _TOPIC.fullmatch(rest):
        return [scene.topic(at, clean_nick(m[1]), clean_text(m[2]))]
    if m := _KICK.fullmatch(rest):
        return [scene.left(at, clean_nick(m[1]), "kick", m[3] or "", by=clean_nick(m[2]))]
    if _NOTE.match(rest):
        return []
    m = _SAID.fullmatch(rest)
    if m is not None and len(m[1].split()) <= 3 and "(" not in m[1]:
        return [scene.message(at, clean_nick(m[1]), clean_text(m[2]))]
    return []  # mode changes, "The topic for #chan is", other notes from the client
