"""IRC traffic to Presence events, as pure functions so every rule is unit-tested without sockets.

Input is the shape of a jaraco ``irc`` event (``type``, ``source``, ``target``,
``arguments``, ``tags``) plus a :class:`Context` saying where we are and who we are. Output is
a list of :mod:`assistant.events` values. State that needs memory across lines (who is in which
channel, so one QUIT becomes one ``MemberLeft`` per channel; who is logged in as what; which
batch a line belongs to) stays in the connector and is passed in, read-only, through the
context; nothing here touches a socket or the clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from assistant.connectors.irc.isupport import DEFAULT_CHANTYPES, DEFAULT_PREFIXES, ServerFeatures
from assistant.connectors.irc.modes import apply_status, member_modes
from assistant.connectors.irc.text import (
    casefold,
    decode_bytes,
    sanitize,
    split_message,
    strip_formatting,
)
from assistant.events import (
    Event,
    Identity,
    MemberJoined,
    MemberLeft,
    MemberModeChanged,
    MessageReceived,
    NickChanged,
    PresenceChanged,
    TopicChanged,
)

__all__ = [
    "DEFAULT_CHANTYPES",
    "DEFAULT_FEATURES",
    "DEFAULT_PREFIXES",
    "NOTHING_KNOWN",
    "PLATFORM",
    "TEXT_EVENTS",
    "Context",
    "IrcEventLike",
    "Knowledge",
    "NamesEntry",
    "decode_bytes",
    "enrich",
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

DEFAULT_FEATURES = ServerFeatures()
"""What a server is assumed to support until its ISUPPORT says otherwise."""

_TEXT_KINDS: dict[str, Literal["message", "action", "notice"]] = {
    "pubmsg": "message",
    "privmsg": "message",
    "action": "action",
    "pubnotice": "notice",
    "privnotice": "notice",
}
TEXT_EVENTS = frozenset(_TEXT_KINDS)
"""The library's event types for what someone said (they change no roster)."""


class IrcEventLike(Protocol):
    """The attributes of ``irc.client.Event`` that translation reads (so tests can fake one)."""

    type: str
    source: Any
    target: Any
    arguments: Any
    tags: Any


class Knowledge(Protocol):
    """What the connector knows of people beyond the line at hand (read-only for translation)."""

    def account(self, nick: str) -> str | None:
        """The services account ``nick`` is logged in as, if known."""
        ...

    def userhost(self, nick: str) -> str | None:
        """The ``user@host`` of ``nick``, if known."""
        ...

    def status(self, channel: str, nick: str) -> str:
        """``nick``'s status symbols in ``channel`` (``"@+"``), ``""`` when none or unknown."""
        ...


class _NothingKnown:
    """Knowledge of a connector that has learned nothing yet."""

    def account(self, nick: str) -> str | None:
        return None

    def userhost(self, nick: str) -> str | None:
        return None

    def status(self, channel: str, nick: str) -> str:
        return ""


NOTHING_KNOWN: Knowledge = _NothingKnown()
"""The knowledge to translate with when nothing is known (unit tests, first lines)."""


@dataclass(frozen=True, slots=True)
class Context:
    """Where a line arrived, who we are at that moment, and what we know of the others.

    ``now`` is the fallback timestamp when the server sent no ``time`` tag; ``raw_line`` is the
    wire line the event came from, kept in each event's ``raw`` for the recorder. ``batch`` is
    the type of the IRCv3 batch the line belongs to (``"netsplit"``), if any.
    """

    network: str
    own_nick: str
    now: datetime
    raw_line: str | None = None
    features: ServerFeatures = DEFAULT_FEATURES
    knowledge: Knowledge = NOTHING_KNOWN
    batch: str | None = None

    @property
    def chantypes(self) -> str:
        """The channel prefixes the server announced."""
        return self.features.chantypes

    @property
    def prefixes(self) -> str:
        """The member status symbols the server announced, highest first."""
        return self.features.prefixes


@dataclass(frozen=True, slots=True)
class NamesEntry:
    """One member listed in a NAMES reply (353)."""

    nick: str
    modes: str = ""
    userhost: str | None = None


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


def enrich(identity: Identity, knowledge: Knowledge) -> Identity:
    """Fill an identity's missing account and ``user@host`` from what the connector knows."""
    account = identity.account or knowledge.account(identity.nick)
    userhost = identity.userhost or knowledge.userhost(identity.nick)
    if (account, userhost) == (identity.account, identity.userhost):
        return identity
    return replace(identity, account=account, userhost=userhost)


def is_channel(target: object, chantypes: str = DEFAULT_CHANTYPES) -> bool:
    """True when ``target`` names a channel on a server announcing ``chantypes``."""
    return isinstance(target, str) and bool(target) and target[0] in chantypes


# Servers hiding their names (InspIRCd, ircu) say "*.net *.split".
_SERVER_NAME = r"[A-Za-z0-9*-]+(?:\.[A-Za-z0-9*-]+)+"
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
        "batch": ctx.batch,
    }


def _arg(ev: IrcEventLike, index: int, default: str = "") -> str:
    args = ev.arguments or ()
    return str(args[index]) if len(args) > index else default


def _same_nick(a: str, b: str) -> bool:
    return casefold(a) == casefold(b)


def translate(ev: IrcEventLike, ctx: Context, *, channels: Sequence[str] = ()) -> list[Event]:
    """Translate one library event into zero or more Presence events.

    ``channels`` lists the channels the event's source was in before the event; only QUIT needs
    it. Lines from Presence itself (own JOIN/PART/QUIT/NICK, echoed messages) give nothing: the
    connector tracks its own state. A KICK of Presence is still reported, since someone did it.
    A line that names no one, or no channel where it needs one (``PART :`` from no source),
    gives nothing either: recorded, it would close or open stays nobody had.
    """
    events = _translate(ev, ctx, channels)
    if not events or all(map(_well_formed, events)):
        return events
    return [event for event in events if _well_formed(event)]


def _well_formed(event: Event) -> bool:
    actor = getattr(event, "actor", None)
    if isinstance(actor, Identity) and not actor.nick:
        return False
    if isinstance(event, NickChanged):
        return bool(event.new_nick)
    if isinstance(event, MemberLeft) and event.kind in ("part", "kick"):
        return bool(event.channel)
    if isinstance(event, MemberJoined | TopicChanged | MemberModeChanged):
        return bool(event.channel)
    return getattr(event, "channel", None) != ""


def _translate(ev: IrcEventLike, ctx: Context, channels: Sequence[str]) -> list[Event]:
    tags = tag_dict(ev.tags)
    when = event_time(tags, ctx.now)
    raw = _raw(ev, ctx, tags)
    base: dict[str, Any] = {"platform": PLATFORM, "network": ctx.network, "timestamp": when}
    actor = identity_from_source(ctx.network, ev.source, tags.get("account"))
    if is_user_source(ev.source) and "account" not in tags:
        actor = enrich(actor, ctx.knowledge)
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
        split = ctx.batch == "netsplit" or is_netsplit(reason)
        how: Literal["quit", "netsplit"] = "netsplit" if split else "quit"
        return [
            MemberLeft(**base, raw=raw, channel=channel, actor=actor, kind=how, reason=reason)
            for channel in channels
        ]

    if kind == "kick":
        victim = _member(ctx, _arg(ev, 0))
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
                actor=enrich(
                    Identity(
                        platform=PLATFORM,
                        network=ctx.network,
                        nick=entry.nick,
                        userhost=entry.userhost,
                    ),
                    ctx.knowledge,
                ),
                already_present=True,
                modes=entry.modes,
            )
            for entry in parse_names(_arg(ev, 2), ctx.prefixes)
            if not _same_nick(entry.nick, ctx.own_nick)
        ]

    if kind == "mode" and is_channel(ev.target, ctx.chantypes):
        return _mode_changes(ev, ctx, base, raw, actor)

    return []


def _member(ctx: Context, nick: str) -> Identity:
    """The identity of a member named in a line's arguments (a kick victim, a mode target)."""
    return enrich(Identity(platform=PLATFORM, network=ctx.network, nick=nick), ctx.knowledge)


def _mode_changes(
    ev: IrcEventLike, ctx: Context, base: dict[str, Any], raw: object, actor: Identity
) -> list[Event]:
    """One ``MemberModeChanged`` per member status in a channel MODE; other modes give nothing."""
    channel = str(ev.target)
    by = actor if is_user_source(ev.source) else None
    statuses: dict[str, str] = {}  # a line may change one member twice (+o-v nick nick)
    events: list[Event] = []
    for change in member_modes([str(arg) for arg in ev.arguments or ()], ctx.features):
        if _same_nick(change.nick, ctx.own_nick):
            continue
        key = casefold(change.nick)
        before = statuses.get(key, ctx.knowledge.status(channel, change.nick))
        statuses[key] = status = apply_status(before, change, ctx.prefixes)
        events.append(
            MemberModeChanged(
                **base,
                raw=raw,
                channel=channel,
                actor=_member(ctx, change.nick),
                modes=change.change,
                status=status,
                by=by,
            )
        )
    return events


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
