"""MeetBot meetings: commands in a chat's lines, and the minutes MeetBot writes from them.

Communities that run meetings type MeetBot commands (``#startmeeting``, ``#topic``,
``#info``, ``#action``, ``#agreed``, ``#idea``, ``#link``, ``#chair``, ``#undo``,
``#endmeeting``). :func:`find_meetings` follows them as MeetBot 0.1.4 does, so that the
structure — topics with their items, action items by person, people present with the lines
they said — matches MeetBot's own minutes: every line from ``#startmeeting`` to
``#endmeeting`` inclusive counts, ``/me`` actions too, the bot's own lines too. Topics,
agreements, chairs, undo and the end are for chairs only; anyone may add info, ideas,
links and actions, and a line that starts with a URL is a link. An action is assigned to
every person present whose nick it names. :func:`parse_minutes` reads the minutes' text
(reStructuredText) back, for comparison.

"People present (lines said)" follows ``Meeting.addnick`` in MeetBot's ``meeting.py``
(Richard Darst's MeetBot 0.1.4, e.g. openstack-infra/meetbot ``ircmeeting/meeting.py``, and
Fedora's fork fedora-infra/supybot-meetbot ``supybot_meetbot/meeting.py``, which count the
same way):

- every line said in the meeting adds 1 to its sender, commands and ``/me`` included
  (``addrawline``); a command a person may not give still counts as a line;
- ``#chair A B`` (from a chair; names split on spaces and commas) lists each new chair with
  0 lines (``addnick(chair, lines=0)``), so a chair who never speaks appears as ``(0)``;
- ``#nick A B`` (from anyone) lists each name with 0 lines, the same way;
- ``#unchair`` takes chair rights away but leaves the person listed; the owner (who typed
  ``#startmeeting``) stays a chair; chair checks compare nicks exactly, as MeetBot does;
- ``#here`` and ``#action`` add nobody: neither source has a ``#here`` command (the line
  just counts), and an action's names are matched against the people already listed, not
  added. People named in Fedora's actions show ``(0)`` because Fedora's chairs name them in
  ``#chair`` or ``#nick``.

The minutes' wording differs by writer, and :attr:`Minutes.variant` names it: ``text`` —
MeetBot 0.1.4's ``writers.Text`` (``People present (lines said)``); ``fedora`` — the Fedora
fork's ``writers.Text`` (``People Present (lines said)``, ``Action Items``); ``rest`` —
``writers.ReST`` (``People Present (lines said)`` and "The `full logs`_ are available",
nicks escaped for reStructuredText: a ``_`` before a space, ``-`` or the end is written
``\\_``, and read back). Headings are matched whatever their case.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "ChatLine",
    "Meeting",
    "MeetingItem",
    "MeetingTopic",
    "Minutes",
    "find_meetings",
    "minutes_variant",
    "parse_minutes",
]

_CHAIR_ONLY = {
    "topic": "TOPIC",
    "agreed": "AGREED",
    "agree": "AGREED",
    "accepted": "AGREED",
    "accept": "AGREED",
    "rejected": "REJECTED",
    "reject": "REJECTED",
}
_ANYONE = {"info": "INFO", "idea": "IDEA", "link": "LINK", "action": "ACTION", "help": "HELP"}
_ANYONE["halp"] = "HELP"
_URL_SCHEMES = ("http:", "https:", "irc:", "ftp:", "mailto:", "ssh:")


@dataclass(frozen=True, slots=True)
class ChatLine:
    """One recorded line: who, what, when, and whether it was a ``/me`` action."""

    nick: str
    text: str
    at: datetime
    kind: str = "message"


@dataclass(frozen=True, slots=True)
class MeetingItem:
    """An item of the minutes: ``INFO``, ``ACTION``, ``AGREED``, ``IDEA``, ``LINK``, ..."""

    kind: str
    text: str
    nick: str
    at: datetime


@dataclass
class MeetingTopic:
    """A ``#topic`` and the items added under it (title ``""``: items before any topic)."""

    title: str
    nick: str
    at: datetime | None
    items: list[MeetingItem] = field(default_factory=list)


@dataclass
class Meeting:
    """One meeting, from ``#startmeeting`` to ``#endmeeting`` (``ended_at`` None: never ended)."""

    name: str
    owner: str
    started_at: datetime
    ended_at: datetime | None = None
    chairs: list[str] = field(default_factory=list)
    topics: list[MeetingTopic] = field(default_factory=list)
    lines_said: dict[str, int] = field(default_factory=dict)
    """Nick → lines said during the meeting, in order of first line."""

    @property
    def items(self) -> list[MeetingItem]:
        """Every item in order."""
        return [item for topic in self.topics for item in topic.items]

    @property
    def actions(self) -> list[MeetingItem]:
        """The action items, in order."""
        return [item for item in self.items if item.kind == "ACTION"]

    def people_present(self) -> list[tuple[str, int]]:
        """``(nick, lines said)``, most lines first, as "People present (lines said)" lists them."""
        return sorted(self.lines_said.items(), key=lambda pair: (-pair[1], pair[0].lower()))

    def action_items_by_person(self) -> tuple[dict[str, list[str]], list[str]]:
        """Each person present → the actions naming them; and the actions naming nobody."""
        by_person: dict[str, list[str]] = {}
        assigned: set[int] = set()
        for nick in sorted(self.lines_said, key=str.lower):
            pattern = re.compile(r"\b" + re.escape(nick) + r"\b", re.IGNORECASE)
            for index, action in enumerate(self.actions):
                if pattern.search(action.text):
                    by_person.setdefault(nick, []).append(action.text)
                    assigned.add(index)
        unassigned = [a.text for i, a in enumerate(self.actions) if i not in assigned]
        return by_person, unassigned


class _Follower:
    """Follows lines through MeetBot's commands; one meeting at a time."""

    def __init__(self) -> None:
        self.meetings: list[Meeting] = []
        self.current: Meeting | None = None

    def feed(self, line: ChatLine) -> None:
        text = line.text.strip(" \x01")
        meeting = self.current
        if meeting is None:
            if line.kind == "message" and _command(text)[0] == "startmeeting":
                name = _command(text)[1]
                meeting = Meeting(name=name, owner=line.nick, started_at=line.at)
                meeting.chairs.append(line.nick)
                meeting.topics.append(MeetingTopic("", line.nick, None))
                self.current = meeting
                self.meetings.append(meeting)
                meeting.lines_said[line.nick] = 1
            return
        if line.kind not in ("message", "action"):
            return
        meeting.lines_said[line.nick] = meeting.lines_said.get(line.nick, 0) + 1
        if line.kind != "message":
            return
        command, rest = _command(text)
        if command is None:
            if text.split("//")[0] in _URL_SCHEMES:
                self._add(meeting, "LINK", text, line)
            return
        # MeetBot's isChair compares nicks exactly (``nick == owner or nick in chairs``).
        is_chair = line.nick == meeting.owner or line.nick in meeting.chairs
        if command == "endmeeting" and is_chair:
            meeting.ended_at = line.at
            self.current = None
        elif command == "topic" and is_chair:
            meeting.topics.append(MeetingTopic(rest, line.nick, line.at))
        elif command in _CHAIR_ONLY and is_chair:
            self._add(meeting, _CHAIR_ONLY[command], rest, line)
        elif command in _ANYONE:
            self._add(meeting, _ANYONE[command], rest, line)
        elif command == "chair" and is_chair:
            for nick in re.split(r"[, ]+", rest.strip()):
                if nick and nick not in meeting.chairs:
                    meeting.lines_said.setdefault(nick, 0)  # addnick(chair, lines=0)
                    meeting.chairs.append(nick)
        elif command == "unchair" and is_chair:
            gone = set(rest.split())  # MeetBot splits #unchair on whitespace only
            keep = [c for c in meeting.chairs if c not in gone or c == meeting.owner]
            meeting.chairs[:] = keep
        elif command == "nick":
            for nick in re.split(r"[, ]+", rest.strip()):
                if nick:
                    meeting.lines_said.setdefault(nick, 0)  # addnick(nick, lines=0)
        elif command == "undo" and is_chair:
            self._undo(meeting)
        elif command == "meetingname" and is_chair and rest:
            meeting.name = rest

    @staticmethod
    def _add(meeting: Meeting, kind: str, text: str, line: ChatLine) -> None:
        if text:
            meeting.topics[-1].items.append(MeetingItem(kind, text, line.nick, line.at))

    @staticmethod
    def _undo(meeting: Meeting) -> None:
        last = meeting.topics[-1]
        if last.items:
            last.items.pop()
        elif len(meeting.topics) > 1:
            meeting.topics.pop()


_COMMAND = re.compile(r"#(\w+)[ \t]*(.*)")  # MeetBot's Config.command_RE


def _command(text: str) -> tuple[str | None, str]:
    match = _COMMAND.match(text)
    if match is None:
        return None, ""
    return match[1].lower(), match[2].strip()


def find_meetings(lines: Iterable[ChatLine]) -> list[Meeting]:
    """The meetings in a channel's lines (in order), as MeetBot would have recorded them."""
    follower = _Follower()
    for line in lines:
        follower.feed(line)
    for meeting in follower.meetings:  # drop the empty leading topic when nothing is in it
        if meeting.topics and not meeting.topics[0].title and not meeting.topics[0].items:
            meeting.topics.pop(0)
    return follower.meetings


# --- Reading MeetBot's minutes back -------------------------------------------------------

_SECTION_RULE = re.compile(r"-{3,}|={3,}")
_ITEM = re.compile(r"(?P<indent> *)\* (?P<body>.*)")
_STAMP = re.compile(r"\s*\((?P<nick>[^,()]+), (?P<time>\d{2}:\d{2}:\d{2})\)$")
_KIND = re.compile(r"(?P<kind>[A-Z]+): ?(?P<text>.*)", re.DOTALL)
_PERSON = re.compile(r"(?P<nick>.+?) \((?P<lines>\d+)\)")


@dataclass
class Minutes:
    """What MeetBot's text minutes say: topics with items, actions by person, people present."""

    topics: list[tuple[str, list[tuple[str, str, str]]]] = field(default_factory=list)
    """``(title, [(kind, text, nick), ...])``; title ``""`` holds items before any topic."""
    actions_by_person: dict[str, list[str]] = field(default_factory=dict)
    people: dict[str, int] = field(default_factory=dict)
    """Nick → lines said, as "People present (lines said)" lists them."""
    variant: str = "text"
    """The writer that wrote them: ``text``, ``fedora`` or ``rest`` (see the module doc)."""


def _sections(text: str) -> dict[str, list[str]]:
    lines = text.replace("\r\n", "\n").split("\n")
    sections: dict[str, list[str]] = {}
    current: list[str] = []
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if line.strip() and _SECTION_RULE.fullmatch(following.strip()):
            # Writers differ in case ("People present" / "People Present"): match any.
            current = sections.setdefault(line.strip().casefold(), [])
            continue
        if _SECTION_RULE.fullmatch(line.strip()):
            continue
        current.append(line)
    return sections


def _bullets(lines: list[str]) -> list[tuple[int, str]]:
    """``(indent, text)`` of each bullet, wrapped continuation lines joined back."""
    bullets: list[tuple[int, str]] = []
    for line in lines:
        match = _ITEM.fullmatch(line)
        if match is not None:
            bullets.append((len(match["indent"]), match["body"].strip()))
        elif line.startswith(" ") and line.strip() and bullets:  # a wrapped bullet
            indent, body = bullets[-1]
            bullets[-1] = (indent, f"{body} {line.strip()}")
    return bullets


_PEOPLE_HEADINGS = {"People present (lines said)": "text", "People Present (lines said)": "fedora"}
_REST_MARK = "The `full logs`_ are available"  # writers.ReST's opening sentence
_REST_ESCAPE = re.compile(r"\\_( |-|$)")  # writers.rst() writes "_ " "_-" "_$" as "\_"


def minutes_variant(text: str) -> str:
    """Which MeetBot writer wrote these minutes: ``text``, ``fedora`` or ``rest``.

    Told by the wording: ``rest`` opens with "The `full logs`_ are available"; otherwise the
    case of the "People present (lines said)" heading tells MeetBot 0.1.4's ``text`` writer
    from Fedora's (capital P); minutes without that heading are taken as ``text``.
    """
    if _REST_MARK in " ".join(text.split()):
        return "rest"
    for line in text.splitlines():
        if line.strip() in _PEOPLE_HEADINGS:
            return _PEOPLE_HEADINGS[line.strip()]
    return "text"


def parse_minutes(text: str) -> Minutes:
    """Read MeetBot's ``X.txt`` minutes, in any of the variants :func:`minutes_variant` names."""
    sections = _sections(text)
    minutes = Minutes(variant=minutes_variant(text))
    for indent, body in _bullets(sections.get("meeting summary", [])):
        stamp = _STAMP.search(body)
        nick = stamp["nick"] if stamp else ""
        body = body[: stamp.start()].strip() if stamp else body
        kind = _KIND.fullmatch(body)
        if indent == 0 and kind is None:
            minutes.topics.append((body, []))
            continue
        if not minutes.topics or (indent == 0 and minutes.topics[-1][0]):
            minutes.topics.append(("", []))
        item_kind, item_text = (kind["kind"], kind["text"]) if kind else ("INFO", body)
        minutes.topics[-1][1].append((item_kind, item_text.strip(), nick))
    person = ""
    for indent, body in _bullets(sections.get("action items, by person", [])):
        if indent == 0:
            person = body
            minutes.actions_by_person.setdefault(person, [])
        elif person:
            minutes.actions_by_person[person].append(body)
    for _, body in _bullets(sections.get("people present (lines said)", [])):
        match = _PERSON.fullmatch(body)
        if match is not None:
            nick = match["nick"]
            if minutes.variant == "rest":
                nick = _REST_ESCAPE.sub(r"_\1", nick)
            minutes.people[nick] = int(match["lines"])
    return minutes
