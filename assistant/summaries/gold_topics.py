"""Meetings with human minutes beside them: their gold topics, and the log without them.

``presence eval topics`` measures how far a summary's topics are from the topics the
people who ran a meeting wrote down. Two kinds of minutes are read:

- **W3C CCG**: a folder with ``irc.log`` (``[ISO time]<TAB><nick><TAB>text``, or spaces) and
  ``email.log``, the published minutes, whose ``Topics:`` list (numbered, indented) is the
  gold. In the channel the scribe typed each of them as ``Topic: ...`` (and ``Subtopic:``).
- **MeetBot**: ``NAME.DATE.log.txt`` with the ``NAME.DATE.txt`` minutes beside it; the
  chair's ``#topic`` lines in the log are the gold.

Presence must not read the answer: the lines that state a topic (``Topic:``,
``Subtopic:``, ``#topic``; also after the nick of the chair a scribe is quoting,
``kim: Topic: Action items``, after a scribe's ``...``, and mistyped, ``Topipc:``) are
removed from the log it replays, and the command word of MeetBot's other item commands
(``#info``, ``#agreed``, ``#action``, ``#idea``, ``#link``, ``#help``) is cut, leaving what
was said. Meetings whose minutes list no topics are skipped with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["GoldError", "MinutedMeeting", "find_minuted_meetings"]

_MEETBOT_LOG = ".log.txt"
_W3C_LOG, _W3C_MINUTES = "irc.log", "email.log"

# W3C: ``[2020-04-07T16:19:55.377Z]<TAB><kimhd><TAB>Topic: Introductions``
_W3C_LINE = re.compile(r"^(\[[^\]]+\](?:\t| {2,})<[^>]*>(?:\t| +))(.*)$")
# A scribe may echo the chair's words with the chair's nick first ("kim: Topic: Action items"),
# go on from a line before ("... topic: Announcements") or mistype it ("Topipc:", "Tpoic:").
_W3C_TOPIC = re.compile(
    r"^\s*(?:[.…]+\s*)?(?:[\w\-\[\]`|^{}.]+\s*:\s*)?(?:sub)?t[opic]{3,5}\s*:", re.IGNORECASE
)
_W3C_TOPICS_HEAD = re.compile(r"^Topics:\s*$")
_W3C_TOPIC_ITEM = re.compile(r"^\s+\d+\.\s+(.+?)\s*$")
# MeetBot: ``19:02:34 <t-bast> #topic Update closing fee requirement``
_MEETBOT_LINE = re.compile(r"^(\d\d:\d\d(?::\d\d)?\s+<[^>]*>\s)(.*)$")
_MEETBOT_COMMAND = re.compile(r"^#(\w+)[ \t]*(.*)$")
_MEETBOT_ITEMS = {"info", "agreed", "action", "idea", "link", "help"}


class GoldError(ValueError):
    """A path holds no meeting with human minutes beside it."""


@dataclass(frozen=True, slots=True)
class MinutedMeeting:
    """One meeting: its log, its human topics, and the log text Presence may read."""

    name: str
    """The W3C meeting's folder name, or MeetBot's ``NAME.DATE``."""
    kind: str
    """``w3c`` or ``meetbot``."""
    log: Path
    gold: tuple[str, ...]
    """The topics the minutes list, in their order (empty: the meeting is skipped)."""
    cleaned: str
    """The log with the topic lines removed and item command words cut."""
    removed: int
    """Lines removed because they state a topic."""

    @property
    def file_name(self) -> str:
        """The name the cleaned copy must keep (importers read dates and channels from it)."""
        return self.log.name


def find_minuted_meetings(paths: list[Path]) -> list[MinutedMeeting]:
    """Every meeting with minutes under ``paths`` (files or folders, searched recursively).

    Raises:
        GoldError: a path is missing, or holds no W3C or MeetBot meeting with minutes.
    """
    meetings: list[MinutedMeeting] = []
    for path in paths:
        if not path.exists():
            raise GoldError(f"{path}: no such file or folder")
        found = _meetings_at(path)
        if not found:
            raise GoldError(
                f"{path}: no meeting with minutes here (expected a folder with irc.log and "
                "email.log, or a MeetBot NAME.DATE.log.txt with NAME.DATE.txt beside it)"
            )
        meetings.extend(found)
    return meetings


def _meetings_at(path: Path) -> list[MinutedMeeting]:
    if path.is_file():
        if path.name == _W3C_LOG and (path.parent / _W3C_MINUTES).is_file():
            return [_w3c(path.parent)]
        if path.name.endswith(_MEETBOT_LOG) and _meetbot_minutes(path).is_file():
            return [_meetbot(path)]
        return []
    found: list[MinutedMeeting] = []
    for log in sorted(path.rglob(_W3C_LOG)):
        if (log.parent / _W3C_MINUTES).is_file():
            found.append(_w3c(log.parent))
    for log in sorted(path.rglob(f"*{_MEETBOT_LOG}")):
        if _meetbot_minutes(log).is_file():
            found.append(_meetbot(log))
    return found


def _meetbot_minutes(log: Path) -> Path:
    return log.with_name(log.name.removesuffix(_MEETBOT_LOG) + ".txt")


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def w3c_gold(minutes: str) -> tuple[str, ...]:
    """The numbered ``Topics:`` list of W3C CCG minutes (empty when there is none)."""
    topics: list[str] = []
    inside = False
    for line in minutes.splitlines():
        if _W3C_TOPICS_HEAD.match(line):
            inside = True
            continue
        if inside:
            item = _W3C_TOPIC_ITEM.match(line)
            if item is not None:
                topics.append(item.group(1))
            elif topics and line.startswith("  ") and line.strip():
                topics[-1] += " " + line.strip()  # a long title wrapped onto the next line
            else:
                break
    return tuple(topics)


def _w3c(folder: Path) -> MinutedMeeting:
    kept: list[str] = []
    removed = 0
    for line in _read(folder / _W3C_LOG).splitlines():
        parsed = _W3C_LINE.match(line)
        if parsed is not None and _W3C_TOPIC.match(parsed.group(2)):
            removed += 1
            continue
        kept.append(line)
    gold = w3c_gold(_read(folder / _W3C_MINUTES))
    return MinutedMeeting(
        folder.name, "w3c", folder / _W3C_LOG, gold, "\n".join(kept) + "\n", removed
    )


def meetbot_gold_and_log(text: str) -> tuple[tuple[str, ...], str, int]:
    """A MeetBot log's ``#topic`` texts, the log without them (item words cut), lines removed."""
    gold: list[str] = []
    kept: list[str] = []
    removed = 0
    for line in text.splitlines():
        parsed = _MEETBOT_LINE.match(line)
        command = _MEETBOT_COMMAND.match(parsed.group(2)) if parsed is not None else None
        if parsed is None or command is None:
            kept.append(line)
            continue
        word, rest = command.group(1).lower(), command.group(2).strip()
        if word == "topic":
            removed += 1
            if rest:
                gold.append(rest)
        elif word in _MEETBOT_ITEMS:
            kept.append(parsed.group(1) + rest)
        else:
            kept.append(line)
    return tuple(gold), "\n".join(kept) + "\n", removed


def _meetbot(log: Path) -> MinutedMeeting:
    gold, cleaned, removed = meetbot_gold_and_log(_read(log))
    name = log.name.removesuffix(_MEETBOT_LOG)
    return MinutedMeeting(name, "meetbot", log, gold, cleaned, removed)
