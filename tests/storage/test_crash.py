"""kill -9 during a flood: the file stays intact and loses at most one batch of messages."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import struct
import sys
from pathlib import Path

from assistant.storage.database import Database

WRITER = Path(__file__).with_name("crash_writer.py")
BATCH_SIZE = 150  # as in crash_writer.py
KILL_AFTER = 4000  # messages submitted: many batches committed, the flood in full swing
POLLS = 3000


def read_counter(counter: Path) -> tuple[int, int]:
    """Messages submitted so far (counting the one being recorded) and the writer's stalls."""
    data = counter.read_bytes() if counter.exists() else b""
    return struct.unpack("QQ", data) if len(data) == 16 else (0, 0)


async def test_a_killed_writer_loses_at_most_one_batch(tmp_path: Path) -> None:
    path, counter = tmp_path / "presence.sqlite3", tmp_path / "counter"
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(WRITER), str(path), str(counter), stderr=asyncio.subprocess.PIPE
    )
    assert process.stderr is not None
    try:
        for _ in range(POLLS):
            if read_counter(counter)[0] >= KILL_AFTER or process.returncode is not None:
                break
            await asyncio.sleep(0.01)
        if process.returncode is None:
            process.send_signal(signal.SIGKILL)
        returncode = await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    error = (await process.stderr.read()).decode()
    assert returncode == -signal.SIGKILL, f"the writer exited by itself:\n{error}"
    submitted, stalls = read_counter(counter)
    assert submitted >= KILL_AFTER, f"the writer did not get going:\n{error}"
    assert stalls == 0, "a batch took over STALL_LIMIT to commit: the bound did not apply"

    with sqlite3.connect(path) as raw:  # recovers from the WAL left behind
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    async with await Database.open(path) as db:
        rows = await db.fetchall("SELECT message_id, text FROM messages ORDER BY id")
        count = len(rows)
        assert [row["message_id"] for row in rows] == [str(n) for n in range(count)]
        assert [row["text"] for row in rows] == [f"line {n}" for n in range(count)]
        # Each message is at least one write; the one being recorded at the kill may count.
        assert count > 0
        assert submitted - count <= BATCH_SIZE + 1
        await db.execute("UPDATE messages SET text = 'after' WHERE message_id = '0'")
    with sqlite3.connect(path) as raw:  # the reopened file takes writes and stays sound
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert raw.execute("SELECT text FROM messages WHERE message_id = '0'").fetchone() == (
            "after",
        )
