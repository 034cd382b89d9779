"""A flood through a real ngircd: 20,000 lines from several members, every one recorded in order.

The whole Presence runs (Assistant, connector, recorder, writer, plugins); the members are raw
sockets that write as fast as the server takes their lines. The bot must keep reading fast
enough that ngircd never drops it (it kills a client with 32 KB of unsent output), and it must
never hold the event loop for long: keepalives, timers and the database writer share it.

How long the loop waits is a figure, and figures belong to ``bench/irc_flood.py`` (it prints the
loop's lag beside a bare socket reader's). Here we assert what a user would notice instead: the
keepalive PINGs were answered while the flood was in flight, and other tasks got turns of the
loop between small runs of lines, counted in lines, not milliseconds.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.app import Assistant
from assistant.config import parse_settings
from assistant.connectors.irc import IrcConnector
from assistant.testing.flood import FloodSender, flood_lines
from assistant.testing.ircd import NgircdServer

pytestmark = pytest.mark.ircd

LINES = 20_000
SENDERS = 4
RECORDED_WITHIN = 120.0  # seconds; a condition's generous timeout (about 2 s on a 2-core machine)
# The bot's keepalive: a PING about every second (interval, then the wait for any reply), so
# that one falls within the flood (1.5-3 s). Bytes arrive all through it: it never looks dead.
PING_INTERVAL = 0.05
PING_TIMEOUT = 1.0
# Lines the bot may handle in one turn of the loop before another task gets one. The intake
# yields every millisecond (at most 42 lines a turn here); parsing a whole 256 KiB read at once, as
# the ``irc`` library does, is 2,000-3,000 lines with every other task waiting.
MOST_LINES_IN_ONE_TURN = 500


@dataclass
class Flood:
    """What attending one flood showed."""

    database: Path
    texts: dict[str, list[str]]
    recorded: int
    stayed_connected: bool
    turns: list[tuple[int, float | None]]
    """What another task saw at each of its turns of the loop: (events seen, keepalive lag)."""


def count_messages(path: Path) -> int:
    """Rows in the messages table, read through a separate connection (committed rows only)."""
    with closing(sqlite3.connect(path, timeout=5)) as db:
        row = db.execute("SELECT count(*) FROM messages").fetchone()
    return int(row[0])


async def attend_flood(ircd: NgircdServer, uid: str, tmp_path: Path) -> Flood:
    """Run Presence in a channel while members flood it, watching it from another task."""
    channel = f"#flood{uid}"
    database = tmp_path / "presence.sqlite3"
    settings = parse_settings(
        {
            "networks": {
                "local": {
                    "host": ircd.host,
                    "port": ircd.port,
                    "tls": False,
                    "nick": f"presence{uid}",
                    "channels": [{"name": channel}],
                }
            },
            "storage": {"path": str(database)},
            # The IRC path is under test here; analysis has its own flood test (tests/nlp).
            "analysis": {"enabled": False},
        }
    )
    nicks = [f"flood{uid}x{n}" for n in range(SENDERS)]
    texts = {nick: flood_lines(nick, LINES // SENDERS) for nick in nicks}
    senders = await asyncio.gather(
        *(FloodSender.connect(ircd.host, ircd.port, nick, channel) for nick in nicks)
    )
    connector = IrcConnector(
        "local", settings.networks["local"], ping_interval=PING_INTERVAL, ping_timeout=PING_TIMEOUT
    )
    assistant = Assistant(settings, connectors=[connector], reconnect_delay=0.1)
    turns: list[tuple[int, float | None]] = []

    async def watch() -> None:
        # Every turn of the loop this task gets, it notes how far the bot has come.
        while True:
            turns.append((assistant.events_seen, connector.lag))
            await asyncio.sleep(0)

    await assistant.start()
    try:
        await senders[0].wait_for_join(f"presence{uid}")
        watcher = asyncio.create_task(watch())
        try:
            await asyncio.gather(*(s.send(channel, texts[s.nick]) for s in senders))
            deadline = time.monotonic() + RECORDED_WITHIN
            recorded = 0
            while recorded < LINES and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
                recorded = await asyncio.to_thread(count_messages, database)
        finally:
            watcher.cancel()
        stayed_connected = connector.connected
    finally:
        await assistant.stop()
        await asyncio.gather(*(s.close() for s in senders))
    return Flood(database, texts, recorded, stayed_connected, turns)


async def test_a_20000_line_flood_is_recorded_completely_and_in_order(
    ircd: NgircdServer, uid: str, tmp_path: Path
) -> None:
    flood = await attend_flood(ircd, uid, tmp_path)

    assert flood.stayed_connected, "the connector lost its connection during the flood"
    assert flood.recorded == LINES, (
        f"{flood.recorded} of {LINES} lines recorded within {RECORDED_WITHIN} s"
    )
    with closing(sqlite3.connect(flood.database)) as db:
        rows = db.execute(
            "SELECT identities.nick, messages.text FROM messages "
            "JOIN identities ON identities.id = messages.identity_id ORDER BY messages.id"
        ).fetchall()
        gaps = db.execute("SELECT count(*) FROM connection_gaps WHERE reason != 'stopped'")
        (unexpected_gaps,) = gaps.fetchone()
    by_sender: dict[str, list[str]] = {nick: [] for nick in flood.texts}
    for nick, text in rows:
        by_sender[nick].append(text)
    for nick, texts in flood.texts.items():
        assert by_sender[nick] == texts, f"{nick}'s lines are missing or out of order"
    assert unexpected_gaps == 0, "Presence was disconnected during the flood"


async def test_keepalives_and_other_tasks_keep_running_during_a_flood(
    ircd: NgircdServer, uid: str, tmp_path: Path
) -> None:
    flood = await attend_flood(ircd, uid, tmp_path)

    assert flood.recorded == LINES and flood.stayed_connected
    first = flood.turns[0][0]
    # Each answered PING sets a new round-trip time. ngircd reads nothing from a client it
    # is still writing a flood to, so a PONG comes behind the lines sent before it: count
    # those answered once the flood had begun.
    pongs = sum(
        1
        for (_, before), (seen, after) in zip(flood.turns, flood.turns[1:], strict=False)
        if seen > first and after != before
    )
    assert pongs >= 1, f"no keepalive PING was answered once {LINES:,} lines began to flood in"
    steps = [b[0] - a[0] for a, b in zip(flood.turns, flood.turns[1:], strict=False)]
    most = max(steps)
    assert most <= MOST_LINES_IN_ONE_TURN, (
        f"{most:,} events were handled in one turn of the event loop while {LINES:,} lines "
        "flooded in: something holds the loop without yielding (bench/irc_flood.py measures "
        "how late that makes timers)"
    )
