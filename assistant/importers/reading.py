"""Reading a chat log's bytes into clean lines, counting what had to be repaired.

Real logs come with CRLF or CR-only line ends, bytes that are not UTF-8 (a latin-1 client
in 2005, a truncated multi-byte character) and mIRC formatting codes. Every line is kept,
in file order, so that line numbers in reports are the ones an editor shows; undecodable
bytes become U+FFFD and are counted so that the report can say how many there were.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

from assistant.connectors.irc.text import strip_formatting

__all__ = ["LogFile", "clean_nick", "clean_text", "read_log"]

_LINE_END = re.compile(r"\r\n|\r|\n")
# IRC channel status prefixes clients print before a nick: owner, admin, op, halfop, voice.
_STATUS = "~&@%+!"


@dataclass(frozen=True, slots=True)
class LogFile:
    """A log's lines (without line ends) and what reading it had to repair."""

    path: Path
    lines: list[str]
    replaced: int = 0
    """Undecodable byte sequences replaced by U+FFFD."""
    first_bad_line: int | None = None
    """The 1-based number of the first line with an undecodable byte."""
    data: bytes = b""

    @property
    def head(self) -> list[str]:
        """The first non-empty lines, for format detection."""
        return [line for line in self.lines[:60] if line.strip()][:20]


def read_log(path: Path) -> LogFile:
    """Read ``path`` as UTF-8 (with a BOM or not), repairing and counting bad bytes.

    Raises:
        OSError: the file cannot be read.
    """
    data = path.read_bytes()
    body = data.removeprefix(codecs.BOM_UTF8)
    try:
        text = body.decode("utf-8")
        replaced, first_bad = 0, None
    except UnicodeDecodeError as exc:
        text = body.decode("utf-8", errors="replace")
        # One U+FFFD per undecodable sequence, minus those the file really contained.
        replaced = text.count("\ufffd") - body.count("\ufffd".encode())
        first_bad = body.count(b"\n", 0, exc.start) + 1
    lines = _LINE_END.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return LogFile(path, lines, replaced, first_bad, data)


def clean_text(text: str) -> str:
    """The words of a message: mIRC formatting codes removed, outer whitespace trimmed."""
    return strip_formatting(text).strip()


def clean_nick(word: str) -> str:
    """The nick in ``<nick>``, ``< nick>``, ``<@nick>``, ``<+nick>`` or a bare ``@nick``."""
    nick = strip_formatting(word).strip()
    if nick.startswith("<") and nick.endswith(">"):
        nick = nick[1:-1].strip()
    return nick.lstrip(_STATUS)
