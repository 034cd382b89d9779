"""A flood faster than the disk slows intake, never the event loop.

The database is a real SQLite file made slow on purpose: a temporary trigger calls a
function that sleeps on the database thread for every message row, as a slow disk or a
busy machine would. The flood comes through the real Assistant (connector → recorder →
writer); a 10 ms ticker on the same loop stands for everything else that must keep running
(IRC keepalives, Discord heartbeats, timers).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

from assistant.app import Assistant
from assistant.config import parse_settings
from assistant.testing.fake import FakeConnector

BATCH_SIZE = 100
MESSAGES = 800
ROW_DELAY = 0.004  # seconds the database thread sleeps per message row


def slow_down(conn: sqlite3.Connection) -> None:
    """Make every message row cost ``ROW_DELAY`` on the database thread (this connection only)."""
    conn.create_function("presence_test_slow_row", 0, lambda: time.sleep(ROW_DELAY))
    conn.execute(
        "CREATE TEMP TRIGGER presence_test_slow AFTER INSERT ON messages "
        "BEGIN SELECT presence_test_slow_row(); END"
    )


async def test_a_flood_into_a_slow_database_leaves_the_loop_running(tmp_path: Path) -> None:
    settings = parse_settings(
        {
            "storage": {
                "path": str(tmp_path / "p.sqlite3"),
                "batch_size": BATCH_SIZE,
                "flush_interval": 0.01,
            },
            "analysis": {"enabled": False},
        }
    )
    fake = FakeConnector()
    assistant = Assistant(settings, connectors=[fake], plugin_classes={}, reconnect_delay=0.01)
    await assistant.start()
    try:
        await fake.wait_connected()
        await assistant.db.transaction(slow_down)
        writer = assistant.db.writer
        batches_before = writer.batches
        ticks = 0
        flooding = True

        async def tick() -> None:
            nonlocal ticks
            while flooding:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.create_task(tick())
        for n in range(MESSAGES):
            await fake.say("alice", f"line {n}")
            if n % 10 == 0:
                await asyncio.sleep(0)  # a connector yields between reads, as IRC's intake does
        flooding = False
        await ticker
        batches = writer.batches - batches_before
        await assistant.db.flush()

        # The flood outran the disk: it was held back by a full batch, again and again...
        assert batches >= MESSAGES // writer.chunk - 3
        assert writer.most_uncommitted <= BATCH_SIZE + 1
        assert writer.stalls == 0
        # ...while the loop kept turning: each batch sleeps 0.2 s on the database thread, so
        # a ticker on a free loop ticks about twenty times per batch. A loop blocked while the
        # writer catches up would tick about once per batch.
        assert ticks >= 4 * batches, f"{ticks} ticks of 10 ms during {batches} batches"
        rows = await assistant.db.fetchall("SELECT text FROM messages ORDER BY id")
        assert [row["text"] for row in rows] == [f"line {n}" for n in range(MESSAGES)]
    finally:
        await assistant.stop()
