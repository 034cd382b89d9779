"""The #ubuntu disentanglement corpus's raw format, read into events for import.

Lines are split by :mod:`assistant.nlp.disentangle_format` (the reader the evaluation uses),
so the corpus is understood the same way in both places; this module only turns its
``===`` system lines into joins, parts, quits and nick changes. System lines carry no time:
they get the time of the line before them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from assistant.events import Event
from assistant.importers.irc_logs import LineReader
from assistant.importers.reading import clean_nick, clean_text
from assistant.importers.scene import BadLine, LogCalendar, Scene
from assistant.nlp.disentangle_format import parse_line

__all__ = ["ubuntu_reader"]

_JOINED = re.compile(r"(\S+) (?:\[[^\]]*\] +)?has joined \S+|(\S+) entered the room\.")
_LEFT = re.compile(r"(\S+) (?:\[[^\]]*\] +)?has left \S+ ?\[?(.*?)\]?|(\S+) left the room\.?.*")
_QUIT = re.compile(r"(\S+) (?:\[[^\]]*\] +)?has quit ?\[?(.*?)\]?")
_NICK = re.compile(r"(\S+) is now known as (\S+)")
_MODE = re.compile(r"\S+ sets mode|mode/|\[[+-]\w+ ")


def ubuntu_reader(scene: Scene, clock: LogCalendar) -> LineReader:
    """``[HH:MM] <nick> text`` lines and ``===`` system lines (also /me actions)."""
    previous: list[datetime] = []

    def read(line: str) -> Sequence[Event]:
        try:
            clock_time, author, body = parse_line(line)
        except ValueError as exc:
            raise BadLine(str(exc)) from None
        if clock_time is not None:
            at = clock.at(*clock_time)
            previous[:] = [at]
        elif previous:
            at = previous[0]
        else:
            at = clock.at(0, 0)
        if clock_time is None:
            return _system(scene, at, author, body)
        if body.startswith("* ") and line.split("] ", 1)[1].lstrip().startswith("* "):
            _, _, action = body[2:].strip().partition(" ")
            return [scene.message(at, clean_nick(author), clean_text(action), "action")]
        if line.split("] ", 1)[1].startswith("-"):
            return [scene.message(at, clean_nick(author), clean_text(body), "notice")]
        return [scene.message(at, clean_nick(author), clean_text(body))]

    return read


def _system(scene: Scene, at: datetime, author: str, body: str) -> list[Event]:
    if m := _NICK.fullmatch(body):
        return [] if m[1] == m[2] else [scene.nick_changed(at, m[1], m[2])]
    if m := _JOINED.fullmatch(body):
        return [scene.joined(at, m[1] or m[2])]
    if m := _QUIT.fullmatch(body):
        return [scene.left(at, m[1], "quit", m[2])]
    if m := _LEFT.fullmatch(body):
        return [scene.left(at, m[1] or m[3], "part", m[2] or "")]
    if _MODE.search(body):
        return []
    # "=== nick does something": the corpus writes /me actions as system lines.
    _, _, action = body.partition(" ")
    if not author:
        raise BadLine("a '===' line without a nick")
    return [scene.message(at, author, clean_text(action), "action")]
