"""kill -9 while writing: the file stays intact and holds a gap-free prefix of the messages."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
from pathlib import Path

from assistant.storage.database import Database

WRITER = Path(__file__).with_name("crash_writer.py")
FLUSHES_BEFORE_KILL = 6


async def test_a_killed_writer_loses_at_most_the_unflushed_batch(tmp_path: Path) -> None:
    path = tmp_path / "presence.sqlite3"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(WRITER),
        str(path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    printed: list[int] = []
    try:
        async with asyncio.timeout(30):
            while len(printed) < FLUSHES_BEFORE_KILL:
                line = await process.stdout.readline()
                if not line:
                    error = await process.stderr.read()
                    raise AssertionError(f"writer exited early:\n{error.decode()}")
                printed.append(int(line))
        await asyncio.sleep(0.02)  # into the middle of later batches, not at a flush boundary
        process.send_signal(signal.SIGKILL)
        async with asyncio.timeout(10):
            rest = await process.stdout.read()  # lines written just before the kill count too
            assert await process.wait() == -signal.SIGKILL
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    printed += [int(line) for line in rest.split()]
    durable = max(printed)

    with sqlite3.connect(path) as raw:  # recovers from the WAL left behind
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    async with await Database.open(path) as db:
        rows = await db.fetchall("SELECT message_id, text FROM messages ORDER BY id")
    count = len(rows)
    assert count >= durable > 0
    assert [row["message_id"] for row in rows] == [str(n) for n in range(count)]
    assert [row["text"] for row in rows] == [f"line {n}" for n in range(count)]
