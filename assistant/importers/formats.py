"""The log formats Presence imports, and how each is recognised from a file's first lines.

Every format has a detector that scores a file from 0 (surely not) to 1 (surely), mostly
the share of its first non-empty lines that look like that format's lines, plus what a
header or the file name adds. The best score wins; ``--format`` skips detection.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from assistant.events import Event
from assistant.importers.discord_export import (
    TEXT_RULE,
    read_discord_csv,
    read_discord_json,
    read_discord_text,
)
from assistant.importers.discord_html import detect_discord_html, read_discord_html
from assistant.importers.irc_logs import (
    LineReader,
    hexchat_reader,
    irssi_reader,
    w3c_reader,
    weechat_reader,
    znc_reader,
)
from assistant.importers.pidgin import (
    PIDGIN_CONTINUES,
    PIDGIN_HEADER,
    PIDGIN_LINE,
    pidgin_reader,
    plain_line,
)
from assistant.importers.reading import LogFile
from assistant.importers.scene import BadLine, LogCalendar, Scene
from assistant.importers.slack import detect_slack, read_slack
from assistant.importers.ubuntu import ubuntu_reader

__all__ = ["FORMATS", "LogFormat", "Parsed", "detect_format", "format_named", "score_formats"]

Parsed = tuple[int, Sequence[Event] | BadLine]
"""A line (or message) number and its events, or why it could not be read."""

Reader = Callable[[LogFile, Scene, LogCalendar], Iterator[Parsed]]

MIN_CONFIDENCE = 0.5
"""Below this best score a file is not recognised and ``--format`` is asked for."""


@dataclass(frozen=True, slots=True)
class LogFormat:
    """One importable format: its name for ``--format``, a detector and a reader."""

    name: str
    title: str
    detect: Callable[[LogFile], float]
    read: Reader
    platform: str = "irc"
    unit: str = "line"
    """What the numbers in problem reports count: lines, or messages in a JSON export."""


def _by_line(
    make: Callable[[Scene, LogCalendar], LineReader], continues: re.Pattern[str] | None = None
) -> Reader:
    """A reader that feeds each non-empty line to a line reader, in file order.

    ``continues`` matches the start of a real line: other lines continue the previous one
    (multi-line messages in W3C logs) and are joined to it.
    """

    def read(log: LogFile, scene: Scene, clock: LogCalendar) -> Iterator[Parsed]:
        line_reader = make(scene, clock)
        lines = log.lines
        index, total = 0, len(lines)
        while index < total:
            line = lines[index]
            number = index + 1
            index += 1
            if not line.strip():
                continue
            if continues is not None:  # blank lines may separate a message's paragraphs
                while index < total and not continues.match(lines[index]):
                    if lines[index].strip():
                        line += "\n" + lines[index]
                    index += 1
            try:
                yield number, line_reader(line)
            except BadLine as exc:
                yield number, exc

    return read


def _share(pattern: re.Pattern[str], log: LogFile) -> float:
    head = log.head
    if not head:
        return 0.0
    return sum(1 for line in head if pattern.match(line)) / len(head)


_IRSSI_LINE = re.compile(
    r"(\d{2}:\d{2}(:\d{2})? (<|-!- | ?\* |-\S+- )|--- (Log opened|Day changed|Log closed) )"
)
_IRSSI_MARK = re.compile(r"(--- (Log opened|Day changed)|\d{2}:\d{2}(:\d{2})? -!- )")
_MEETBOT_LINE = re.compile(r"\d{2}:\d{2}:\d{2} (<\S+> | ?\* )")
_WEECHAT_LINE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\t")
_ZNC_LINE = re.compile(r"\[\d{2}:\d{2}:\d{2}\] ")
_UBUNTU_LINE = re.compile(r"(\[\d{2}:\d{2}(:\d{2})?\] |=== )")
_HEXCHAT_LINE = re.compile(
    r"(\*\*\*\* (BEGIN|ENDING) LOGGING|[A-Z][a-z]{2} +\d{1,2} \d{2}:\d{2}:\d{2} )"
)
_W3C_LINE = re.compile(r"\[\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:?\d{2})?\](\t| {2,}[<*])")
_GITTER_LINE = re.compile(r"\[\d{4}-\d{2}-\d{2}[T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?\] [<*-]")
_CSV_HEADER = re.compile(r'"?AuthorID"?\s*[,;]\s*"?Author"?\s*[,;]\s*"?Date"?')


def _detect_irssi(log: LogFile) -> float:
    marked = any(_IRSSI_MARK.match(line) for line in log.head)
    return 0.85 * _share(_IRSSI_LINE, log) + (0.15 if marked else 0.0)


def _detect_meetbot(log: LogFile) -> float:
    named = log.path.name.endswith(".log.txt")
    started = any("#startmeeting" in line for line in log.head)
    return 0.75 * _share(_MEETBOT_LINE, log) + 0.15 * named + 0.1 * started


def _detect_discord_json(log: LogFile) -> float:
    start = "".join(log.lines[:5]).lstrip()
    if not start.startswith("{"):
        return 0.0
    return 1.0 if '"guild"' in start or '"messages"' in start or '"channel"' in start else 0.4


def _detect_discord_csv(log: LogFile) -> float:
    first = log.lines[0].lstrip("\ufeff") if log.lines else ""
    return 1.0 if _CSV_HEADER.match(first) else 0.0


def _detect_discord_text(log: LogFile) -> float:
    head = log.head
    if not head or not head[0].startswith(TEXT_RULE):
        return 0.0
    return 1.0 if any(line.startswith(("Guild: ", "Channel: ")) for line in head[:6]) else 0.0


def _detect_pidgin(log: LogFile) -> float:
    head = [plain_line(line).strip() for line in log.head]
    head = [line for line in head if line]
    if not head:
        return 0.0
    lines = sum(1 for line in head if PIDGIN_LINE.fullmatch(line)) / len(head)
    headed = any(PIDGIN_HEADER.match(line) for line in head[:2])
    return min(1.0, 0.85 * lines + (0.3 if headed else 0.0))


_W3C_START = re.compile(r"\[\d{4}-")

FORMATS: tuple[LogFormat, ...] = (
    LogFormat("irssi", "irssi", _detect_irssi, _by_line(irssi_reader)),
    LogFormat(
        "weechat", "WeeChat", lambda log: _share(_WEECHAT_LINE, log), _by_line(weechat_reader)
    ),
    LogFormat("znc", "ZNC log module", lambda log: _share(_ZNC_LINE, log), _by_line(znc_reader)),
    LogFormat(
        "hexchat",
        "HexChat / XChat",
        lambda log: _share(_HEXCHAT_LINE, log),
        _by_line(hexchat_reader),
    ),
    LogFormat("meetbot", "MeetBot .log.txt", _detect_meetbot, _by_line(irssi_reader)),
    LogFormat(
        "ubuntu",
        "#ubuntu disentanglement raw",
        lambda log: 0.95 * _share(_UBUNTU_LINE, log),
        _by_line(ubuntu_reader),
    ),
    LogFormat(
        "w3c", "W3C IRC log", lambda log: _share(_W3C_LINE, log), _by_line(w3c_reader, _W3C_START)
    ),
    LogFormat(
        "gitter",
        "Gitter / Matrix export ([ISO time] <nick> text)",
        lambda log: _share(_GITTER_LINE, log),
        _by_line(w3c_reader, _W3C_START),
    ),
    LogFormat(
        "pidgin",
        "Pidgin / Finch / Adium text or HTML log",
        _detect_pidgin,
        _by_line(pidgin_reader, PIDGIN_CONTINUES),
    ),
    LogFormat(
        "discord-json",
        "DiscordChatExporter JSON",
        _detect_discord_json,
        read_discord_json,
        platform="discord",
        unit="message",
    ),
    LogFormat(
        "discord-csv",
        "DiscordChatExporter CSV",
        _detect_discord_csv,
        read_discord_csv,
        platform="discord",
    ),
    LogFormat(
        "discord-text",
        "DiscordChatExporter plain text",
        _detect_discord_text,
        read_discord_text,
        platform="discord",
    ),
    LogFormat(
        "discord-html",
        "DiscordChatExporter HTML",
        detect_discord_html,
        read_discord_html,
        platform="discord",
    ),
    LogFormat(
        "slack",
        "Slack export (a channel folder's day file)",
        detect_slack,
        read_slack,
        platform="slack",
        unit="message",
    ),
)


def format_named(name: str) -> LogFormat:
    """The format called ``name``.

    Raises:
        KeyError: no format has that name.
    """
    for log_format in FORMATS:
        if log_format.name == name:
            return log_format
    raise KeyError(name)


def score_formats(log: LogFile) -> list[tuple[float, LogFormat]]:
    """Every format's confidence for ``log``, best first."""
    scores = [(log_format.detect(log), log_format) for log_format in FORMATS]
    return sorted(scores, key=lambda pair: -pair[0])


def detect_format(log: LogFile) -> LogFormat | None:
    """The most likely format of ``log``, or None when no detector is confident enough."""
    best, log_format = score_formats(log)[0]
    return log_format if best >= MIN_CONFIDENCE else None
