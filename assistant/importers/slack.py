"""Slack workspace exports, read into events for import.

An export is a folder: ``users.json`` and ``channels.json`` at the top, and a folder per
channel holding one JSON file per day (``general/2021-04-12.json``), each a list of
messages with a ``ts`` (seconds since the epoch, which is also the message's id), a
``user`` id and ``text`` in Slack's markup (``<@U123>`` mentions, ``<url|label>`` links).
The channel is the day file's folder; the workspace (the network) is the export's folder.
Names come from each message's ``user_profile``, else ``users.json``, else the user id.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal

from assistant.events import Event
from assistant.importers.reading import LogFile, clean_text
from assistant.importers.scene import BadLine, LogCalendar, Scene

__all__ = ["detect_slack", "read_slack", "slack_names"]

Parsed = tuple[int, Sequence[Event] | BadLine]

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_CHANNEL = re.compile(r"<#[A-Z0-9]+\|([^>]*)>")
_LINK = re.compile(r"<((?:https?|mailto):[^>|]*)(?:\|[^>]*)?>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)[^>]*>")
_SILENT = frozenset(
    {"channel_purpose", "channel_name", "channel_archive", "pinned_item", "reminder_add"}
)


def detect_slack(log: LogFile) -> float:
    """1 for a day file of a Slack export: a JSON list of messages with ``ts`` fields."""
    start = "".join(log.lines[:20]).lstrip()
    if not start.startswith("["):
        return 0.0
    return 1.0 if '"ts"' in start and '"type"' in start else 0.0


@cache
def slack_names(folder: Path) -> dict[str, str]:
    """User id → the name people see, from an export's ``users.json`` (empty without one)."""
    try:
        users = json.loads((folder / "users.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    names: dict[str, str] = {}
    for user in users if isinstance(users, list) else []:
        if isinstance(user, dict) and user.get("id"):
            names[str(user["id"])] = _name(user.get("profile") or {}) or str(user.get("name") or "")
    return names


def _name(profile: Any) -> str:
    if not isinstance(profile, dict):
        return ""
    for key in ("display_name", "real_name", "name"):
        if profile.get(key):
            return str(profile[key]).strip()
    return ""


def read_slack(log: LogFile, scene: Scene, clock: LogCalendar) -> Iterator[Parsed]:
    """Events of one day file; numbers are 1-based positions in its list of messages."""
    try:
        messages = json.loads("\n".join(log.lines))
    except json.JSONDecodeError as exc:
        yield exc.lineno, BadLine(f"not valid JSON: {exc.msg}")
        return
    if not isinstance(messages, list):
        yield 1, BadLine("a Slack export's day file is a list of messages")
        return
    channel_folder = log.path.resolve().parent
    names = slack_names(channel_folder.parent)
    scene.channel = scene.channel or "#" + channel_folder.name
    scene.network = scene.network or channel_folder.parent.name or "slack"
    for number, message in enumerate(messages, 1):
        try:
            yield number, _message(message, names, scene, clock)
        except BadLine as exc:
            yield number, exc


def _text(text: str, names: dict[str, str]) -> str:
    text = _MENTION.sub(lambda m: "@" + (m[2] or names.get(m[1], m[1])), text)
    text = _CHANNEL.sub(lambda m: "#" + m[1], text)
    text = _SPECIAL.sub(lambda m: "@" + m[1], _LINK.sub(lambda m: m[1], text))
    return clean_text(text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))


def _message(
    message: Any, names: dict[str, str], scene: Scene, clock: LogCalendar
) -> Sequence[Event]:
    if not isinstance(message, dict):
        raise BadLine("a message is not a JSON object")
    try:
        at = clock.absolute(datetime.fromtimestamp(float(message.get("ts") or ""), UTC))
    except (TypeError, ValueError, OverflowError):
        raise BadLine(f"a message without a readable 'ts': {message.get('ts')!r}") from None
    subtype = str(message.get("subtype") or "")
    user = str(message.get("user") or message.get("bot_id") or "")
    nick = (
        _name(message.get("user_profile"))
        or names.get(user)
        or str(message.get("username") or "")
        or user
    )
    if not user:
        raise BadLine("a message without a user")
    if subtype == "channel_join":
        return [scene.joined(at, nick, user_id=user)]
    if subtype == "channel_leave":
        return [scene.left(at, nick, "part", user_id=user)]
    if subtype == "channel_topic":
        return [scene.topic(at, nick, _text(str(message.get("topic") or ""), names), user)]
    if subtype in _SILENT or message.get("type", "message") != "message":
        return []
    text = _text(str(message.get("text") or ""), names)
    files = message.get("files") or []
    urls = [str(f.get("url_private") or "") for f in files if isinstance(f, dict)]
    text = " ".join([text, *(url for url in urls if url)]).strip()
    if not text:
        return []
    ts, thread = str(message.get("ts")), str(message.get("thread_ts") or "")
    kind: Literal["message", "action"] = "action" if subtype == "me_message" else "message"
    return [
        scene.message(
            at,
            nick,
            text,
            kind,
            user_id=user,
            message_id=ts,
            reply_to=thread if thread and thread != ts else None,
        )
    ]
