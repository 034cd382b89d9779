"""Discord's wire constants (opcodes, intents, close codes, error codes) and snowflake ids.

Values are Discord's documented ones (gateway v10); the emulator modules import them from
here so that a rule such as "PRESENCE_UPDATE needs GUILD_PRESENCES" reads the same everywhere.
"""

from __future__ import annotations

import itertools
import json
import time
from datetime import UTC, datetime
from typing import Any

Json = dict[str, Any]

# Gateway opcodes.
DISPATCH = 0
HEARTBEAT = 1
IDENTIFY = 2
PRESENCE_UPDATE = 3
VOICE_STATE_UPDATE = 4
RESUME = 6
RECONNECT = 7
REQUEST_GUILD_MEMBERS = 8
INVALID_SESSION = 9
HELLO = 10
HEARTBEAT_ACK = 11

# Gateway intents (bit values as in discord.Intents).
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_VOICE_STATES = 1 << 7
GUILD_PRESENCES = 1 << 8
GUILD_MESSAGES = 1 << 9
DIRECT_MESSAGES = 1 << 12
MESSAGE_CONTENT = 1 << 15
GUILD_SCHEDULED_EVENTS = 1 << 16
PRIVILEGED = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT
ALL_INTENTS = (1 << 26) - 1  # every bit Discord defines up to AUTO_MODERATION_EXECUTION et al.

# Gateway close codes.
CLOSE_UNKNOWN_OPCODE = 4001
CLOSE_DECODE_ERROR = 4002
CLOSE_NOT_AUTHENTICATED = 4003
CLOSE_AUTHENTICATION_FAILED = 4004
CLOSE_ALREADY_AUTHENTICATED = 4005
CLOSE_INVALID_SHARD = 4010
CLOSE_SHARDING_REQUIRED = 4011
CLOSE_INVALID_INTENTS = 4013
CLOSE_DISALLOWED_INTENTS = 4014

# REST JSON error codes.
UNKNOWN_CHANNEL = 10003
UNKNOWN_GUILD = 10004
UNKNOWN_MEMBER = 10007
UNKNOWN_MESSAGE = 10008
UNKNOWN_USER = 10013
UNKNOWN_EVENT = 10070
MISSING_ACCESS = 50001
CANNOT_EDIT_OTHERS_MESSAGE = 50005
EMPTY_MESSAGE = 50006
INVALID_FORM_BODY = 50035

MAX_MESSAGE_LENGTH = 2000
DISCORD_EPOCH_MS = 1_420_070_400_000

_counter = itertools.count()
_last_now_id = 0


def snowflake(at: datetime | None = None) -> str:
    """A fresh snowflake id; ids made for "now" strictly increase, as Discord's do.

    ``at`` backdates the id (a message posted "yesterday" sorts before today's in history).
    """
    global _last_now_id
    low = next(_counter) & 0xFFF
    if at is None:
        ms = time.time_ns() // 1_000_000
        value = max(((ms - DISCORD_EPOCH_MS) << 22) | low, _last_now_id + 1)
        _last_now_id = value
        return str(value)
    ms = int(at.timestamp() * 1000)
    return str(((ms - DISCORD_EPOCH_MS) << 22) | low)


def snowflake_time(snowflake_id: str) -> datetime:
    """The creation time encoded in a snowflake."""
    ms = (int(snowflake_id) >> 22) + DISCORD_EPOCH_MS
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def iso(moment: datetime | None = None) -> str:
    """ISO 8601 with offset, as Discord writes timestamps."""
    if moment is None:
        return datetime.now(UTC).isoformat()
    return moment.astimezone(UTC).isoformat()


def dumps(obj: Any) -> str:
    """Compact JSON, the form every frame and response body is written in."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def op_frame(op: int, d: Any = None) -> str:
    """A non-dispatch gateway frame."""
    return dumps({"op": op, "d": d, "s": None, "t": None})


def error_body(code: int, message: str, errors: Json | None = None) -> Json:
    """Discord's REST error JSON (``code`` is what discord.HTTPException.code reports)."""
    body: Json = {"code": code, "message": message}
    if errors is not None:
        body["errors"] = errors
    return body
