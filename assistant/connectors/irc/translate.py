"""IRC traffic to Presence events, as pure functions so every rule is unit-tested without sockets.

Input is the shape of a jaraco ``irc`` event (``type``, ``source``, ``target``,
``arguments``, ``tags``) plus a :class:`Context` saying where we are and who we are. Output is
a list of :mod:`assistant.events` values. State that needs memory across lines (who is in which
channel, so one QUIT becomes one ``MemberLeft`` per channel) stays in the connector and is passed
in; nothing here touches a socket or the clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from assistant.events import (
    Event,
    Identity,
    MemberJoined,
    MemberLeft,
    MessageReceived,
    NickChanged,
    PresenceChanged,
    TopicChanged,
    irc_casefold,
)

__all__ = [
    "DEFAULT_CHANTYPES",
    "DEFAULT_PREFIXES",
    "PLATFORM",
    "Context",
    "IrcEventLike",
    "NamesEntry",
    "decode_bytes",
    "event_time",
    "identity_from_source",
    "is_channel",
    "is_netsplit",
    "is_user_source",
    "parse_names",
    "sanitize",
    "split_message",
    "split_source",
    "strip_formatting",
    "tag_dict",
    "translate",
]

PLATFORM = "irc"

DEFAULT_CHANTYPES = "#&+!"
DEFAULT_PREFIXES = "~&@%+"

_TEXT_KINDS: dict[str, Literal["message", "action", "notice"]] = {
    "pubmsg": "message",
    "privmsg": "message",
    "action": "action",
    "pubnotice": "notice",
    "privnotice": "notice",
}


class IrcEventLike(Protocol):
    """The attributes of ``irc.client.Event`` that translation reads (so tests can fake one)."""

    type: str
    source: Any
    target: Any
    arguments: Any
    tags: Any


@dataclass(frozen=True, slots=True)
class Context:
    """Where a line arrived and who we are at that moment.

    ``now`` is the fallback timestamp when the server sent no ``time`` tag; ``raw_line`` is the
    wire line the event came from, kept in each event's ``raw`` for the recorder.
    """

    network: str
    own_nick: str
    now: datetime
    raw_line: str | None = None
    chantypes: str = DEFAULT_CHANTYPES
    prefixes: str = DEFAULT_PREFIXES


@dataclass(frozen=True, slots=True)
class NamesEntry:
    """One member listed in a NAMES reply (353)."""

    nick: str
    modes: str = ""
    userhost: str | None = None


# --- text helpers -----------------------------------------------------------------------------

# mIRC colours: \x03 then up to two digits, optionally ",bg" with up to two digits; \x04 is the
# hex-colour variant. The other codes are single toggles (bold, italic, underline, strike,
# monospace, reverse, reset).
_FORMATTING = re.compile(
    r"\x03(?:\d{1,2}(?:,\d{1,2})?)?"
    r"|\x04(?:[0-9a-fA-F]{6}(?:,[0-9a-fA-F]{6})?)?"
    r"|[\x02\x0f\x11\x16\x1d\x1e\x1f]"
)
_LINE_BREAKS = re.compile(r"[\r\n]+")


def strip_formatting(text: str) -> str:
    """Remove mIRC bold/colour/etc. codes so recorded text and NLP see only the words."""
    return _FORMATTING.sub("", text)


def decode_bytes(data: bytes) -> str:
    """Decode one IRC line as UTF-8, falling back to latin-1 so that no byte sequence is fatal."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def sanitize(text: str) -> str:
    """Make ``text`` safe as one IRC parameter: line breaks become a space, NUL is dropped.

    A CR or LF in outgoing text would end the command and let the rest run as a new one.
    """
    return _LINE_BREAKS.sub(" ", text).replace("\x00", "")


def split_message(text: str, budget_bytes: int = 400) -> list[str]:
    """Split ``text`` into chunks of at most ``budget_bytes`` UTF-8 bytes, never inside a character.

    Servers silently truncate lines over 512 bytes, so long text must be cut by bytes, not
    characters. A cut prefers the last space of a chunk (the space is dropped) when that keeps
    at least half the budget; otherwise the word is cut at a character boundary.
    """
    if budget_bytes < 4:
        raise ValueError("budget_bytes must be at least 4 (the longest UTF-8 character)")
    chunks: list[str] = []
    rest = text
    while len(rest.encode("utf-8")) > budget_bytes:
        encoded = rest.encode("utf-8")[:budget_bytes]
        head = encoded.decode("utf-8", errors="ignore")  # drops a trailing partial character
        cut = head.rfind(" ")
        if cut > 0 and len(head[:cut].encode("utf-8")) >= budget_bytes // 2:
            chunks.append(head[:cut])
            rest = rest[cut + 1 :]
        else:
            chunks.append(head)
            rest = rest[len(head) :]
    if rest or not chunks:
        chunks.append(rest)
    return chunks


# --- sources, tags, time ----------------------------------------------------------------------


def split_source(source: object) -> tuple[str, str | None]:
    """Split ``nick!user@host`` into the nick and ``user@host`` (``None`` for a server name)."""
    text = "" if source is None else str(source)
    nick, sep, userhost = text.partition("!")
    return nick, (userhost if sep else None)


def is_user_source(source: object) -> bool:
    """True when a line came from a user (``nick!user@host``), not from a server."""
    return source is not None and "!" in str(source)


def tag_dict(tags: Iterable[dict[str, Any]] | None) -> dict[str, str | None]:
    """Turn the library's list of ``{'key', 'value'}`` tags into a plain mapping."""
    return {str(tag["key"]): tag.get("value") for tag in tags or ()}


def event_time(tags: dict[str, str | None], now: datetime) -> datetime:
    """Use the IRCv3 ``server-time`` tag when present and valid, else ``now``, as aware UTC."""
    stamp = tags.get("time")
    if stamp:
        try:
            parsed = datetime.fromisoformat(stamp)
        except ValueError:
            parsed = None
        if parsed is not None:
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            return parsed.astimezone(UTC)
    return now.astimezone(UTC)


def identity_from_source(network: str, source: object, account: str | None = None) -> Identity:
    """Build the identity a line's source shows; ``*`` or an empty account means logged out."""
    nick, userhost = split_source(source)
    if account in ("*", ""):
        account = None
    return Identity(
        platform=PLATFORM, network=network, nick=nick, account=account, userhost=userhost
    )


def is_channel(target: object, chantypes: str = DEFAULT_CHANTYPES) -> bool:
    """True when ``target`` names a channel on a server announcing ``chantypes``."""
    return isinstance(target, str) and bool(target) and target[0] in chantypes


_SERVER_NAME = r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
_NETSPLIT = re.compile(rf"^{_SERVER_NAME} {_SERVER_NAME}$")


def is_netsplit(reason: str) -> bool:
    """True for the ``server1.net server2.net`` quit reason servers give users lost in a split."""
    return bool(_NETSPLIT.match(reason))


def parse_names(names: str, prefixes: str = DEFAULT_PREFIXES) -> list[NamesEntry]:
    """Parse the member list of a 353 reply (multi-prefix and userhost-in-names aware)."""
    entries = []
    for item in names.split():
        stripped = item.lstrip(prefixes)
        modes = item[: len(item) - len(stripped)]
        nick, userhost = split_source(stripped)
        if nick:
            entries.append(NamesEntry(nick=nick, modes=modes, userhost=userhost))
    return entries


# --- translation ------------------------------------------------------------------------------


def _raw(ev: IrcEventLike, ctx: Context, tags: dict[str, str | None]) -> dict[str, object]:
    """The platform payload kept aside on each event: the wire line and the parsed parts."""
    return {
        "line": ctx.raw_line,
        "type": ev.type,
        "source": None if ev.source is None else str(ev.source),
        "target": ev.target,
        "arguments": list(ev.arguments or ()),
        "tags": tags,
    }


def _arg(ev: IrcEventLike, index: int, default: str = "") -> str:
    args = ev.arguments or ()
    return str(args[index]) if len(args) > index else default


def _same_nick(a: str, b: str) -> bool:
    return irc_casefold(a) == irc_casefold(b)


def translate(ev: IrcEventLike, ctx: Context, *, channels: Sequence[str] = ()) -> list[Event]:
    """Translate one library event into zero or more Presence events.

    ``channels`` lists the channels the event's source was in before the event; only QUIT needs
    it. Lines from Presence itself (own JOIN/PART/QUIT/NICK, echoed messages) give nothing: the
    connector tracks its own state. A KICK of Presence is still reported, since someone did it.
    """
    tags = tag_dict(ev.tags)
    when = event_time(tags, ctx.now)
    raw = _raw(ev, ctx, tags)
    base: dict[str, Any] = {"platform": PLATFORM, "network": ctx.network, "timestamp": when}
    account = tags.get("account")
    actor = identity_from_source(ctx.network, ev.source, account)
    from_self = _same_nick(actor.nick, ctx.own_nick)
    kind = ev.type

    if kind == "join":
        if from_self or not is_user_source(ev.source):
            return []
        args = ev.arguments or ()
        if args:  # extended-join: JOIN #c account :realname
            actor = identity_from_source(ctx.network, ev.source, str(args[0]))
        return [MemberJoined(**base, raw=raw, channel=ev.target, actor=actor)]

    if kind == "part":
        if from_self:
            return []
        return [
            MemberLeft(
                **base, raw=raw, channel=ev.target, actor=actor, kind="part", reason=_arg(ev, 0)
            )
        ]

    if kind == "quit":
        if from_self:
            return []
        reason = _arg(ev, 0)
        how: Literal["quit", "netsplit"] = "netsplit" if is_netsplit(reason) else "quit"
        return [
            MemberLeft(**base, raw=raw, channel=channel, actor=actor, kind=how, reason=reason)
            for channel in channels
        ]

    if kind == "kick":
        victim = Identity(platform=PLATFORM, network=ctx.network, nick=_arg(ev, 0))
        return [
            MemberLeft(
                **base,
                raw=raw,
                channel=ev.target,
                actor=victim,
                kind="kick",
                reason=_arg(ev, 1),
                by=actor,
            )
        ]

    if kind == "nick":
        if from_self:
            return []
        return [NickChanged(**base, raw=raw, actor=actor, new_nick=str(ev.target))]

    if kind in _TEXT_KINDS:
        if from_self or not is_user_source(ev.source):
            return []  # own echo (echo-message), or a server notice
        channel = _message_channel(ev.target, ctx)
        return [
            MessageReceived(
                **base,
                raw=raw,
                channel=channel,
                actor=actor,
                text=strip_formatting(_arg(ev, 0)),
                kind=_TEXT_KINDS[kind],
                message_id=tags.get("msgid"),
                reply_to=tags.get("+draft/reply") or tags.get("+reply"),
            )
        ]

    if kind == "topic":  # TOPIC #c :text (someone set it)
        return [
            TopicChanged(
                **base, raw=raw, channel=ev.target, actor=actor, topic=strip_formatting(_arg(ev, 0))
            )
        ]

    if kind == "currenttopic":  # 332 own-nick #c :text (announced on join)
        return [
            TopicChanged(
                **base,
                raw=raw,
                channel=_arg(ev, 0),
                actor=actor,
                topic=strip_formatting(_arg(ev, 1)),
            )
        ]

    if kind == "away" and is_user_source(ev.source):
        # away-notify; the 301 numeric shares the type but comes from the server (notes §3.3).
        if from_self:
            return []
        message = "" if ev.target is None else str(ev.target)
        status = "away" if message else "back"
        return [PresenceChanged(**base, raw=raw, actor=actor, status=status, message=message)]

    if kind == "namreply":  # 353 own-nick = #c :@op +voice plain
        channel = _arg(ev, 1)
        return [
            MemberJoined(
                **base,
                raw=raw,
                channel=channel,
                actor=Identity(
                    platform=PLATFORM, network=ctx.network, nick=entry.nick, userhost=entry.userhost
                ),
                already_present=True,
                modes=entry.modes,
            )
            for entry in parse_names(_arg(ev, 2), ctx.prefixes)
            if not _same_nick(entry.nick, ctx.own_nick)
        ]

    return []


def _message_channel(target: object, ctx: Context) -> str | None:
    """The channel a message went to, or ``None`` when it was sent to Presence directly."""
    if not isinstance(target, str):
        return None
    if is_channel(target, ctx.chantypes):
        return target
    # STATUSMSG (``@#chan``): a message to the channel's ops is still a channel message.
    stripped = target.lstrip(ctx.prefixes)
    if stripped != target and is_channel(stripped, ctx.chantypes):
        return stripped
    return None
