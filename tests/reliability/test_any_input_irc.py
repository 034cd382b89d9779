"""Any bytes from an IRC server: the connector's parsing and translation never raise.

Each example is read the way :class:`~assistant.connectors.irc.caps.CapConnection` reads a
socket (the lenient line buffer, the library's parser with Presence's fixes) and handed to
the connection state that translates it, already registered and in a channel with two
members. A line the library cannot parse is skipped and logged (the documented behaviour);
translation itself may never raise: an exception there would end the connection. The example
budget is fixed and derandomised so CI runs the same cases every time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import irc.client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.connectors.irc.caps import CapConnection
from assistant.connectors.irc.state import IrcState
from assistant.events import ChannelEvent, Event

NOW = datetime(2026, 11, 25, 20, 7, tzinfo=UTC)
ME = "watcher"
IRCV3 = frozenset(
    {"account-notify", "account-tag", "away-notify", "batch", "extended-join", "server-time"}
)
PROPERTY = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
PRELUDE = (
    b":irc.test.local 005 watcher CHANTYPES=# PREFIX=(qaohv)~&@%+ WHOX :are supported\r\n"
    b"@account=acct1 :watcher!w@127.0.0.1 JOIN #x acct1 :w\r\n"
    b":irc.test.local 353 watcher = #x :@watcher!w@127.0.0.1 +bob!bob@127.0.0.1 carol!c@h\r\n"
    b":irc.test.local 366 watcher #x :End of /NAMES list.\r\n"
    b":irc.test.local 354 watcher 152 #x bob 127.0.0.1 bob H+ :bob\r\n"
    b":irc.test.local 315 watcher #x :End of /WHO list.\r\n"
)
COMMANDS = [
    "PRIVMSG",
    "NOTICE",
    "JOIN",
    "PART",
    "QUIT",
    "KICK",
    "NICK",
    "MODE",
    "TOPIC",
    "AWAY",
    "ACCOUNT",
    "CHGHOST",
    "BATCH",
    "CAP",
    "PING",
    "PONG",
    "ERROR",
    "INVITE",
    "SETNAME",
    "001",
    "005",
    "301",
    "305",
    "306",
    "332",
    "333",
    "353",
    "354",
    "315",
    "352",
    "366",
    "401",
    "433",
    "437",
    "471",
    "473",
    "474",
    "475",
    "900",
    "903",
    "904",
]
# Bytes that may sit inside one parameter (no space, no line end).
WORD = st.binary(max_size=24).map(
    lambda b: b.replace(b" ", b"").replace(b"\r", b"").replace(b"\n", b"")
)
SOURCES = st.one_of(
    st.sampled_from([b"bob!bob@127.0.0.1", b"carol!c@h", b"watcher!w@127.0.0.1", b"irc.test"]),
    WORD,
    st.builds(lambda n, u, h: n + b"!" + u + b"@" + h, WORD, WORD, WORD),
)
TARGETS = st.one_of(st.sampled_from([b"#x", b"watcher", b"#y", b"", b"*"]), WORD)


@st.composite
def wire_lines(draw: st.DrawFn) -> bytes:
    """One line shaped like IRC (tags, source, command, parameters, trailing), or raw bytes."""
    if draw(st.booleans()):
        return draw(st.binary(max_size=300))
    parts: list[bytes] = []
    if draw(st.booleans()):
        tags = draw(st.lists(st.tuples(WORD, WORD), max_size=3))
        fixed = draw(st.sampled_from([b"time=bogus", b"batch=ref", b"account=bob", b"time="]))
        tags.append(tuple(fixed.split(b"=", 1)))  # type: ignore[arg-type]
        parts.append(b"@" + b";".join(k + b"=" + v for k, v in tags))
    if draw(st.booleans()):
        parts.append(b":" + draw(SOURCES))
    parts.append(draw(st.sampled_from(COMMANDS)).encode())
    parts.extend(draw(st.lists(st.one_of(TARGETS, WORD), max_size=6)))
    if draw(st.booleans()):
        parts.append(b":" + draw(st.binary(max_size=120)).replace(b"\n", b"").replace(b"\r", b""))
    return b" ".join(parts)


class Tracebacks(logging.Handler):
    """Collects log records that would show the user a traceback."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.records.append(record)


@contextmanager
def no_tracebacks_logged() -> Iterator[None]:
    handler = Tracebacks()
    root = logging.getLogger("assistant")
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
    assert [r.getMessage() for r in handler.records] == []


class Reader:
    """A connection's reading half, without a socket: buffer → library parser → state."""

    def __init__(self) -> None:
        self.conn = CapConnection(irc.client.Reactor())
        self.conn.real_nickname, self.conn.real_server_name, self.conn.handlers = ME, "", {}
        self.seen: list[Any] = []
        self.conn.reactor.add_global_handler("all_events", lambda _c, ev: self.seen.append(ev))
        self.buffer = self.conn.buffer_class()
        self.state = IrcState("testnet", ME, version="Presence test")
        self.state.reset(ME, IRCV3)

    def feed(self, data: bytes) -> list[Event]:
        out: list[Event] = []
        self.buffer.feed(data)
        for line in self.buffer:
            if not line:
                continue
            self.seen.clear()
            self.conn._process_line(line)  # a line the library chokes on is logged, skipped
            self.state.raw_line = line
            for ev in self.seen:
                out.extend(self.state.handle(ev, NOW))
        return out


@PROPERTY
@given(st.lists(wire_lines(), min_size=1, max_size=8))
def test_any_line_from_the_server_is_translated_or_skipped_never_raised(
    lines: list[bytes],
) -> None:
    reader = Reader()
    reader.feed(PRELUDE)
    with no_tracebacks_logged():
        events = reader.feed(b"".join(line + b"\r\n" for line in lines))
    for event in events:
        assert event.network == "testnet"
        if isinstance(event, ChannelEvent) and event.channel is not None:
            assert isinstance(event.channel, str) and event.channel
        text = getattr(event, "text", "")
        assert "\r" not in text and "\n" not in text and "\x00" not in text


@PROPERTY
@given(st.binary(max_size=2000))
def test_any_bytes_at_all_are_translated_or_skipped_never_raised(data: bytes) -> None:
    reader = Reader()
    reader.feed(PRELUDE)
    with no_tracebacks_logged():
        reader.feed(data)
        reader.feed(b"\r\n")
