"""DiscordChatExporter's HTML export, read into events for import.

The exporter writes a preamble (``preamble__entry`` divs: the guild, then ``category /
channel``) and a ``chatlog`` of message groups. Each message is an element with a
``data-message-id``; the first of a group carries the header (``chatlog__author`` with the
``name#1234`` tag in ``title`` and the id in ``data-user-id``, then ``chatlog__timestamp``),
the others only a ``chatlog__short-timestamp`` whose ``title`` is the full date. Older
exporters put one ``chatlog__author-name`` and timestamp before a group's messages.
Replies link to their message through ``scrollToMessage(event, 'ID')``; ``joined the
server.`` notifications are joins. The standard library's :mod:`html.parser` reads it all,
so a damaged file yields what it holds and never raises.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser

from assistant.events import Event
from assistant.importers.discord_export import discord_date, discord_nick, discord_tag
from assistant.importers.reading import LogFile, clean_text
from assistant.importers.scene import BadLine, LogCalendar, Scene

__all__ = ["detect_discord_html", "read_discord_html"]

Parsed = tuple[int, Sequence[Event] | BadLine]

_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
_REPLY_TARGET = re.compile(r"scrollToMessage\(\s*event\s*,\s*'(\d+)'")
_LONG_DATES = ("%A, %B %d, %Y %I:%M %p", "%A, %d %B %Y %H:%M", "%A, %B %d, %Y %H:%M")
# Class → what the element's text is. Replies quote another message: never captured.
_ROLES = {
    "preamble__entry": "entry",
    "chatlog__author": "author",
    "chatlog__author-name": "author",
    "chatlog__system-notification-author": "author",
    "chatlog__timestamp": "time",
    "chatlog__system-notification-timestamp": "time",
    "chatlog__content": "content",
    "chatlog__system-notification-content": "system",
    "chatlog__edited-timestamp": "skip",
    "chatlog__reply": "skip",
    "chatlog__reply-content": "skip",
    "chatlog__markdown-quote-border": "skip",
}


def detect_discord_html(log: LogFile) -> float:
    """1 for an HTML page whose body has DiscordChatExporter's ``chatlog__`` classes."""
    head = log.head
    if not head or not head[0].lstrip("\ufeff \t").lower().startswith(("<!doctype html", "<html")):
        return 0.0
    # The exporter inlines its stylesheet first: the chat log's classes come hundreds of lines in.
    return 1.0 if any("chatlog__message" in line for line in log.lines[:5000]) else 0.0


@dataclass
class _Message:
    line: int
    message_id: str
    group: int
    author: str = ""
    tag: str = ""
    user_id: str = ""
    time: str = ""
    text: list[str] = field(default_factory=list)
    system: str = ""
    reply_to: str | None = None
    attachments: list[str] = field(default_factory=list)


@dataclass
class _Group:
    author: str = ""
    tag: str = ""
    user_id: str = ""
    time: str = ""


@dataclass
class _Frame:
    role: str
    depth: int
    text: list[str] = field(default_factory=list)


class _ExportParser(HTMLParser):
    """Collects the preamble and every message, with the group's author and time filled in."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.entries: list[str] = []
        self.messages: list[_Message] = []
        self.groups: list[_Group] = [_Group()]
        self._depth = 0
        self._frames: list[_Frame] = []
        self._attachment_depth: int | None = None

    def _current(self) -> _Message | None:
        """The message being read, if it belongs to the current group."""
        if self.messages and self.messages[-1].group == len(self.groups) - 1:
            return self.messages[-1]
        return None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        classes = values.get("class", "").split()
        if tag not in _VOID:
            self._depth += 1
        if "chatlog__message-group" in classes:
            self.groups.append(_Group())
        if values.get("data-message-id") and (
            "chatlog__message-container" in classes or "chatlog__message" in classes
        ):
            line = self.getpos()[0]
            self.messages.append(_Message(line, values["data-message-id"], len(self.groups) - 1))
        message = self._current()
        if message is not None:
            self._attributes(message, tag, values, classes)
        if tag == "br":
            self._text("\n")
        elif tag == "img" and values.get("alt") and "chatlog__emoji" in classes:
            self._text(values["alt"])
        if tag in _VOID or any(frame.role == "skip" for frame in self._frames):
            return
        for name in classes:
            role = _ROLES.get(name)
            if role is not None:
                if role == "entry" and "preamble__entry--small" in classes:
                    role = "skip"  # the channel's topic
                if role == "author":
                    group = self.groups[-1]
                    group.tag, group.user_id = (
                        values.get("title", ""),
                        values.get("data-user-id", ""),
                    )
                self._frames.append(_Frame(role, self._depth))
                break

    def _attributes(
        self, message: _Message, tag: str, values: dict[str, str], classes: list[str]
    ) -> None:
        if "chatlog__short-timestamp" in classes and values.get("title"):
            message.time = values["title"]
        found = _REPLY_TARGET.search(values.get("onclick", ""))
        if found is not None and message.reply_to is None:
            message.reply_to = found[1]
        if "chatlog__attachment" in classes:
            self._attachment_depth = self._depth
        elif (
            tag == "a"
            and self._attachment_depth is not None
            and values.get("href")
            and values["href"] not in message.attachments
        ):
            message.attachments.append(values["href"])

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        while self._frames and self._frames[-1].depth >= self._depth:
            self._close(self._frames.pop())
        if self._attachment_depth is not None and self._depth <= self._attachment_depth:
            self._attachment_depth = None
        self._depth = max(self._depth - 1, 0)

    def handle_data(self, data: str) -> None:
        self._text(data)

    def _text(self, data: str) -> None:
        if self._frames:
            self._frames[-1].text.append(data)

    def _close(self, frame: _Frame) -> None:
        text = "".join(frame.text)
        message, group = self._current(), self.groups[-1]
        if frame.role == "entry":
            self.entries.append(" ".join(text.split()))
        elif frame.role == "author":
            group.author = " ".join(text.split())
            if message is not None and not message.author:
                message.author, message.tag, message.user_id = (
                    group.author,
                    group.tag,
                    group.user_id,
                )
        elif frame.role == "time":
            group.time = " ".join(text.split())
            if message is not None and not message.time:
                message.time = group.time
        elif frame.role == "content" and message is not None:
            message.text.append(text)
        elif frame.role == "system" and message is not None:
            message.system = " ".join(text.split())

    def fill(self) -> None:
        """Give a group's later messages (and an old exporter's) the group's author and time."""
        for message in self.messages:
            group = self.groups[message.group]
            if not message.author:
                message.author, message.tag, message.user_id = (
                    group.author,
                    group.tag,
                    group.user_id,
                )
            message.time = message.time or group.time


def read_discord_html(log: LogFile, scene: Scene, clock: LogCalendar) -> Iterator[Parsed]:
    """Events of an HTML export; numbers are the line where each message starts."""
    parser = _ExportParser()
    parser.feed("\n".join(log.lines))
    parser.close()
    parser.fill()
    entries = parser.entries
    if entries and scene.network == "":
        scene.network = entries[0]
    if len(entries) > 1 and scene.channel == "":
        scene.channel = "#" + entries[1].split(" / ")[-1].strip().lstrip("#")
    scene.channel = scene.channel or "#" + log.path.name.split(".")[0]
    scene.network = scene.network or "discord"
    for message in parser.messages:
        try:
            yield message.line, _events(message, scene, clock)
        except BadLine as exc:
            yield message.line, exc


def _when(text: str, clock: LogCalendar) -> datetime:
    for pattern in _LONG_DATES:
        try:
            return clock.absolute(datetime.strptime(text, pattern))
        except ValueError:
            continue
    return discord_date(text, clock)


def _events(message: _Message, scene: Scene, clock: LogCalendar) -> Sequence[Event]:
    if not message.author:
        raise BadLine("a message without an author (no chatlog__author before it)")
    if not message.time:
        raise BadLine("a message without a time (no chatlog__timestamp before it)")
    at = _when(message.time, clock)
    nick = discord_nick(message.author)
    account = discord_tag(message.tag)
    user_id = message.user_id or None
    if message.system:
        if message.system.startswith("joined the server"):
            return [scene.joined(at, nick, user_id=user_id, account=account)]
        return []  # pins, calls, renames: nothing said
    text = clean_text("\n".join(part.strip("\n") for part in message.text))
    text = " ".join(part for part in (text, *message.attachments) if part)
    if not text:
        return []
    return [
        scene.message(
            at,
            nick,
            text,
            user_id=user_id,
            account=account,
            message_id=message.message_id,
            reply_to=message.reply_to,
        )
    ]
