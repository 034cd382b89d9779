"""DiscordChatExporter exports, JSON, CSV and plain text, read into events for import.

JSON exports carry the guild, the channel, message ids, replies and member joins; CSV
exports only ``AuthorID, Author, Date, Content, Attachments, Reactions`` (comma-separated
in current versions, ``;`` in some older ones). Older CSV exports print local dates such
as ``18-Sep-20 07:40 PM``; they are read in the log's zone (``--timezone``). The author id
is the identity; its nick is the name without Discord's ``#1234`` discriminator (mentions
drop it too), and the full ``name#1234`` tag is kept as its account, so a user who writes
either finds them (:mod:`assistant.config.identities`). Plain-text exports (the exporter's
``.txt``) have a ``Guild:``/``Channel:`` preamble between ``====`` rules, then per message
a ``[date] author`` line, its text, and ``{Attachments}``/``{Embed}``/``{Reactions}``
sections; they carry no ids.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from assistant.events import Event
from assistant.importers.reading import LogFile, clean_text
from assistant.importers.scene import BadLine, LogCalendar, Scene

__all__ = [
    "CSV_HEADER",
    "TEXT_RULE",
    "discord_date",
    "discord_nick",
    "discord_tag",
    "read_discord_csv",
    "read_discord_json",
    "read_discord_text",
]

CSV_HEADER = ("AuthorID", "Author", "Date", "Content", "Attachments", "Reactions")
_DISCRIMINATOR = re.compile(r"#\d{4}$")
_CSV_DATES = (
    "%d-%b-%y %I:%M %p",
    "%d-%b-%y %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M",
    "%d-%b-%y %I:%M:%S %p",
    "%m/%d/%Y %I:%M:%S %p",
    "%d/%m/%Y %H:%M",
    "%d.%m.%Y %H:%M",
)
TEXT_RULE = "=" * 20
"""What the rules around a plain-text export's preamble and footer start with."""
_TEXT_HEADER = re.compile(r"\[([^\]]{6,32})\] (.+?)(?: \(pinned\))?")
_TEXT_SECTION = re.compile(r"\{(Attachments|Embed|Stickers|Reactions)\}")
_JOIN_TYPES = frozenset({"GuildMemberJoin", "RecipientAdd"})
_LEAVE_TYPES = frozenset({"RecipientRemove"})
_SPOKEN_TYPES = frozenset({"Default", "Reply", "ThreadStarterMessage", ""})

Parsed = tuple[int, Sequence[Event] | BadLine]


@lru_cache(maxsize=4096)
def _parsed_date(text: str) -> datetime | None:
    """The date and time ``text`` writes (naive: the log's zone), or None.

    Remembered: exports print minutes, so many messages share one date text, and trying
    strptime's formats one by one is most of what reading a row costs.
    """
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    for pattern in _CSV_DATES:
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None


def _when(text: str, clock: LogCalendar) -> datetime:
    text = text.strip()
    found = _parsed_date(text)
    if found is None:
        raise BadLine(f"cannot read the date {text!r} (expected ISO 8601 or '18-Sep-20 07:40 PM')")
    return clock.absolute(found)


def _nick(author: str) -> str:
    return _DISCRIMINATOR.sub("", author.strip())


def discord_date(text: str, clock: LogCalendar) -> datetime:
    """An export's date (ISO 8601 or the exporter's local formats) as an aware UTC datetime.

    Raises:
        BadLine: no known format reads it.
    """
    return _when(text, clock)


def discord_nick(author: str) -> str:
    """The nick of an export's author: the name without its ``#1234`` discriminator."""
    return _nick(author)


def discord_tag(name: str) -> str | None:
    """The ``name#1234`` tag users know (None without one, or for ``#0000``)."""
    return _tag(name)


def _tag(name: str, discriminator: str = "") -> str | None:
    """The ``name#1234`` tag users know, or None without one.

    ``#0000`` is no tag: it is what the exporter prints for deleted users (many people
    under one name) and for the new, discriminator-less Discord names.
    """
    name = name.strip()
    found = _DISCRIMINATOR.search(name)
    if found is not None:
        return name if found.group() != "#0000" else None
    if discriminator.strip("0 "):
        return f"{name}#{discriminator.strip()}"
    return None


def read_discord_json(log: LogFile, scene: Scene, clock: LogCalendar) -> Iterator[Parsed]:
    """Events of a JSON export; numbers are 1-based positions in its ``messages`` list."""
    try:
        export = json.loads("\n".join(log.lines))
    except json.JSONDecodeError as exc:
        yield exc.lineno, BadLine(f"not valid JSON: {exc.msg}")
        return
    if not isinstance(export, dict) or not isinstance(export.get("messages"), list):
        yield 1, BadLine("a DiscordChatExporter JSON export has a 'messages' list")
        return
    channel = export.get("channel") or {}
    guild = export.get("guild") or {}
    if isinstance(channel, dict) and channel.get("name") and scene.channel == "":
        scene.channel = "#" + str(channel["name"])
    if isinstance(guild, dict) and guild.get("name") and scene.network == "":
        scene.network = str(guild["name"])
    scene.channel = scene.channel or "#" + log.path.name.split(".")[0]
    scene.network = scene.network or "discord"
    for number, message in enumerate(export["messages"], 1):
        try:
            yield number, _json_message(message, scene, clock)
        except BadLine as exc:
            yield number, exc


def _json_message(message: Any, scene: Scene, clock: LogCalendar) -> Sequence[Event]:
    if not isinstance(message, dict):
        raise BadLine("a message is not a JSON object")
    author = message.get("author")
    if not isinstance(author, dict) or not author.get("id"):
        raise BadLine("a message without an author id")
    nick = _nick(str(author.get("nickname") or author.get("name") or ""))
    account = _tag(str(author.get("name") or ""), str(author.get("discriminator") or ""))
    user_id = str(author["id"])
    at = _when(str(message.get("timestamp") or ""), clock)
    kind = str(message.get("type") or "")
    if kind in _JOIN_TYPES:
        return [scene.joined(at, nick, user_id=user_id, account=account)]
    if kind in _LEAVE_TYPES or kind not in _SPOKEN_TYPES:
        return []
    text = clean_text(str(message.get("content") or ""))
    attachments = message.get("attachments") or []
    urls = [str(a.get("url")) for a in attachments if isinstance(a, dict) and a.get("url")]
    text = " ".join([text, *urls]).strip()
    if not text:
        return []  # a sticker or an embed only: nothing said
    reference = message.get("reference")
    reply_to = None
    if isinstance(reference, dict) and reference.get("messageId"):
        reply_to = str(reference["messageId"])
    return [
        scene.message(
            at,
            nick,
            text,
            user_id=user_id,
            account=account,
            message_id=str(message.get("id") or "") or None,
            reply_to=reply_to,
        )
    ]


def read_discord_csv(log: LogFile, scene: Scene, clock: LogCalendar) -> Iterator[Parsed]:
    """Events of a CSV export; numbers are the line where each row starts."""
    text = "\n".join(log.lines)
    first = log.lines[0] if log.lines else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        yield 1, BadLine(f"not a CSV header: {exc}")
        return
    if header is None or tuple(h.strip() for h in header[:3]) != CSV_HEADER[:3]:
        yield 1, BadLine(f"expected the header {','.join(CSV_HEADER)}")
        return
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader, None)
        except csv.Error as exc:  # a cell over the csv module's size limit, a stray NUL
            yield start, BadLine(f"cannot read the row: {exc}; the rest of the file is skipped")
            return
        if row is None:
            break
        number, start = start, reader.line_num + 1
        if not any(field.strip() for field in row):
            continue
        if len(row) < 4:
            yield number, BadLine(f"expected at least 4 fields, found {len(row)}")
            continue
        try:
            yield number, _csv_row(row, scene, clock)
        except BadLine as exc:
            yield number, exc


def _csv_row(row: list[str], scene: Scene, clock: LogCalendar) -> Sequence[Event]:
    user_id, author, date_text, content = (field.strip() for field in row[:4])
    if not user_id or not author:
        raise BadLine("a row without AuthorID or Author")
    at = _when(date_text, clock)
    attachments = row[4].strip() if len(row) > 4 else ""
    text = " ".join(part for part in (clean_text(content), attachments) if part)
    if not text:
        return []
    return [scene.message(at, _nick(author), text, user_id=user_id, account=_tag(author))]


def read_discord_text(log: LogFile, scene: Scene, clock: LogCalendar) -> Iterator[Parsed]:
    """Events of a plain-text export; numbers are the line of each ``[date] author``."""
    lines = log.lines
    index = 0
    if lines and lines[0].startswith(TEXT_RULE):  # the preamble names guild and channel
        index = 1
        while index < len(lines) and not lines[index].startswith(TEXT_RULE):
            key, _, value = lines[index].partition(": ")
            if key == "Guild" and value.strip() and scene.network == "":
                scene.network = value.strip()
            elif key == "Channel" and value.strip() and scene.channel == "":
                scene.channel = "#" + value.split(" / ")[-1].strip()
            index += 1
        index += 1
    scene.channel = scene.channel or "#" + log.path.name.split(".")[0]
    scene.network = scene.network or "discord"
    number, author, section = 0, "", ""
    when: datetime | None = None
    body: list[str] = []
    previous_blank = True
    for position in range(index, len(lines)):
        line = lines[position]
        header = _TEXT_HEADER.fullmatch(line) if previous_blank else None
        at = _text_date(header[1], clock) if header is not None else None
        if at is not None or line.startswith(TEXT_RULE):
            if author:
                yield number, _text_message(scene, when, author, body)
            author, body, section = "", [], ""
            if at is not None and header is not None:
                number, author, when = position + 1, header[2], at
            previous_blank = False
            continue
        previous_blank = not line.strip()
        found = _TEXT_SECTION.fullmatch(line.strip())
        if found is not None:
            section = found[1]
        elif section in ("", "Attachments") and author:
            body.append(line)
    if author:
        yield number, _text_message(scene, when, author, body)


def _text_date(text: str, clock: LogCalendar) -> datetime | None:
    try:
        return _when(text, clock)
    except BadLine:
        return None


def _text_message(
    scene: Scene, at: datetime | None, author: str, body: list[str]
) -> Sequence[Event] | BadLine:
    assert at is not None
    text = clean_text("\n".join(body))
    if not text:
        return []
    return [scene.message(at, _nick(author), text, account=_tag(author))]
