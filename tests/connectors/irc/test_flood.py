"""A flood through a real ngircd: 20,000 lines from several members, every one recorded in order.

The whole Presence runs (Assistant, connector, recorder, writer, plugins); the members are raw
sockets that write as fast as the server takes their lines. The bot must keep reading fast
enough that ngircd never drops it (it kills a client with 32 KB of unsent output).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import pytest

from assistant.app import Assistant
from assistant.config import parse_settings
from assistant.testing.flood import FloodSender, flood_lines
from assistant.testing.ircd import NgircdServer

pytestmark = pytest.mark.ircd

LINES = 20_000
SENDERS = 4
RECORDED_WITHIN = 30.0  # seconds; takes about 2 s on a 2-core machine


def count_messages(path: Path) -> int:
    """Rows in the messages table, read through a separate connection (committed rows only)."""
    with closing(sqlite3.connect(path, timeout=5)) as db:
        row = db.execute("SELECT count(*) FROM messages").fetchone()
    return int(row[0])


async def test_a_20000_line_flood_is_recorded_completely_and_in_order(
    ircd: NgircdServer, uid: str, tmp_path: Path
) -> None:
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
        }
    )
    nicks = [f"flood{uid}x{n}" for n in range(SENDERS)]
    texts = {nick: flood_lines(nick, LINES // SENDERS) for nick in nicks}
    senders = await asyncio.gather(
        *(FloodSender.connect(ircd.host, ircd.port, nick, channel) for nick in nicks)
    )
    assistant = Assistant(settings, reconnect_delay=0.1)
    await assistant.start()
    try:
        await senders[0].wait_for_join(f"presence{uid}")
        await asyncio.gather(*(s.send(channel, texts[s.nick]) for s in senders))
        deadline = time.monotonic() + RECORDED_WITHIN
        recorded = 0
        while recorded < LINES and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            recorded = await asyncio.to_thread(count_messages, database)
        connector = assistant.connectors[0]
        assert connector.connected, "the connector lost its connection during the flood"
    finally:
        await assistant.stop()
        await asyncio.gather(*(s.close() for s in senders))

    assert recorded == LINES, f"{recorded} of {LINES} lines recorded within {RECORDED_WITHIN} s"
    with closing(sqlite3.connect(database)) as db:
        rows = db.execute(
            "SELECT identities.nick, messages.text FROM messages "
            "JOIN identities ON identities.id = messages.identity_id ORDER BY messages.id"
        ).fetchall()
        gaps = db.execute("SELECT count(*) FROM connection_gaps WHERE reason != 'stopped'")
        (unexpected_gaps,) = gaps.fetchone()
    by_sender: dict[str, list[str]] = {nick: [] for nick in nicks}
    for nick, text in rows:
        by_sender[nick].append(text)
    for nick in nicks:
        assert by_sender[nick] == texts[nick], f"{nick}'s lines are missing or out of order"
    assert unexpected_gaps == 0, "Presence was disconnected during the flood"
