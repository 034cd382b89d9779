"""Read the irc-disentangle corpus format: ``X.raw.txt`` lines and ``X.annotation.txt`` links.

A message id is its 0-based line number in the raw file. Lines are ``[HH:MM] <nick> text``
or ``[HH:MM:SS] <nick> text`` (also ``[HH:MM]  * nick action`` and a few relay forms) or
system lines starting with ``===``.
The date comes from the file name when it has one; times that go backwards mean midnight
passed, so file order is kept and a day is added rather than sorting by time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from assistant.nlp.reply_features import Utterance

__all__ = ["FormatError", "Transcript", "find_transcripts", "parse_line", "read_transcript"]

_STAMPED = re.compile(r"\[(\d{1,2}):(\d{2})(?::(\d{2}))?\] (.*)")
_DATE_IN_NAME = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
# Files without a date in their name (channel-two) still need a calendar day for datetimes.
_NO_DATE = date(1970, 1, 1)


class FormatError(ValueError):
    """A corpus file is missing or has a line this reader does not understand."""

    def __init__(self, path: Path, line: int | None, problem: str) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {problem}")
        self.path, self.line, self.problem = path, line, problem


@dataclass(frozen=True, slots=True)
class Transcript:
    """One annotated file: every line as an utterance, and the gold links of annotated ones."""

    path: Path
    utterances: tuple[Utterance, ...]
    links: dict[int, frozenset[int]]
    """Message id → its antecedent ids (the message's own id when it starts a conversation)."""

    @property
    def name(self) -> str:
        """The file's stem shared by its raw and annotation files."""
        return self.path.name.removesuffix(".raw.txt")

    @property
    def annotated(self) -> list[int]:
        """Ids of the annotated messages, ascending."""
        return sorted(self.links)


def _file_date(path: Path) -> date:
    match = _DATE_IN_NAME.search(path.name)
    if match is None:
        return _NO_DATE
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return _NO_DATE


def _speaker(word: str) -> str:
    """The nick in ``<nick>``, a relayed ``(nick/#chan)`` or a notice's ``-nick:#chan-``."""
    if word.startswith("<") and word.endswith(">"):
        return word[1:-1].lstrip("@+")
    if word.startswith("(") and word.endswith(")"):
        return word[1:-1].split("/")[0]
    if word.startswith("-") and word.endswith("-"):
        return word[1:-1].split(":")[0]
    return word.strip("<>()")


def parse_line(text: str) -> tuple[tuple[int, int, int] | None, str, str]:
    """Split one raw line into ((hour, minute, second) or None for system lines, author, text)."""
    if text.startswith("==="):
        words = text.split()
        if len(words) < 2:
            raise ValueError("a system line (===) without content")
        return None, words[1].strip("<>()[]@+:"), text[3:].strip()
    match = _STAMPED.fullmatch(text)
    if match is None:
        raise ValueError("expected '[HH:MM] <nick> text' or a '===' system line")
    hour, minute, second, rest = int(match[1]), int(match[2]), int(match[3] or 0), match[4]
    if hour > 23 or minute > 59 or second > 60:
        raise ValueError(f"impossible time {match[1]}:{match[2]}:{match[3] or '00'}")
    words = rest.split(maxsplit=1)
    if not words:
        raise ValueError("a timestamp without an author")
    if words[0] == "*":
        # A /me action: "[10:00]  * nick does something".
        words = rest.split(maxsplit=2)[1:]
        if not words:
            raise ValueError("an action (*) without an author")
        author = words[0]
        body = rest.strip()
    else:
        author = _speaker(words[0])
        body = words[1] if len(words) > 1 else ""
    if not author:
        raise ValueError("an empty nick")
    return (hour, minute, second), author, body


def read_raw(path: Path) -> tuple[Utterance, ...]:
    """Read a raw file into utterances, keeping file order and crossing midnight forwards."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FormatError(path, None, f"cannot read: {exc.strerror or exc}") from exc
    # Split on "\n" only: str.splitlines would also split on control characters that occur
    # inside messages and shift every message id after them.
    lines = data.decode("utf-8", errors="replace").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    day = datetime.combine(_file_date(path), datetime.min.time())
    previous: int | None = None
    out: list[Utterance] = []
    for number, raw in enumerate(lines, start=1):
        text = raw.rstrip("\r")
        try:
            clock, author, body = parse_line(text)
        except ValueError as exc:
            raise FormatError(path, number, f"{exc}: {text[:60]!r}") from None
        when: datetime | None = None
        if clock is not None:
            seconds = clock[0] * 3600 + clock[1] * 60 + clock[2]
            if previous is not None and seconds < previous:
                day += timedelta(days=1)
            previous = seconds
            when = day + timedelta(seconds=seconds)
        out.append(Utterance(author=author, text=body, time=when, system=clock is None))
    return tuple(out)


def read_annotation(path: Path, size: int) -> dict[int, frozenset[int]]:
    """Read ``A B -`` link lines: the larger id is the message, the smaller its antecedent."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise FormatError(path, None, f"cannot read: {exc.strerror or exc}") from exc
    links: dict[int, set[int]] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 3 or fields[2] != "-" or not (fields[0] + fields[1]).isdigit():
            raise FormatError(path, number, f"expected 'A B -' with two message ids: {line!r}")
        first, second = int(fields[0]), int(fields[1])
        message, antecedent = max(first, second), min(first, second)
        if message >= size:
            raise FormatError(path, number, f"message {message} is past the raw file's end")
        links.setdefault(message, set()).add(antecedent)
    return {message: frozenset(found) for message, found in links.items()}


def read_transcript(raw_path: Path) -> Transcript:
    """Read ``X.raw.txt`` and the ``X.annotation.txt`` beside it."""
    if not raw_path.name.endswith(".raw.txt"):
        raise FormatError(raw_path, None, "expected a file named X.raw.txt")
    annotation = raw_path.with_name(raw_path.name.removesuffix(".raw.txt") + ".annotation.txt")
    if not annotation.is_file():
        raise FormatError(raw_path, None, f"no annotation file beside it ({annotation.name})")
    utterances = read_raw(raw_path)
    return Transcript(raw_path, utterances, read_annotation(annotation, len(utterances)))


def find_transcripts(paths: list[Path]) -> list[Path]:
    """Expand files and directories into the ``X.raw.txt`` files to read, in name order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            raws = sorted(path.glob("*.raw.txt"))
            if not raws:
                raise FormatError(path, None, "no X.raw.txt files in this directory")
            found.extend(raws)
        elif path.is_file():
            found.append(path)
        else:
            raise FormatError(path, None, "no such file or directory")
    return found
