"""Record messages through the Recorder as fast as possible until killed (kill -9 test).

Run as ``python crash_writer.py DATABASE COUNTER``. Message ``n`` has text ``line n`` and
platform id ``n``. Before handing message ``n`` to the recorder it stores ``n + 1`` in the
first 8 bytes of the file COUNTER (memory-mapped, so the value survives a SIGKILL at any
instant), and the writer's stall count in the next 8: the test then knows exactly how many
messages were submitted when it killed the process.
"""

from __future__ import annotations

import asyncio
import mmap
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from assistant.recorder import Recorder
from assistant.storage.database import Database
from assistant.testing.factories import ChatScript

T0 = datetime(2024, 1, 7, 8, 30, tzinfo=UTC)
BATCH_SIZE = 150
# Fewer than half a batch per turn of the loop, as a connector reading line by line gives.
PER_TURN = 10


async def main(path: Path, figures: memoryview) -> None:
    """Write until killed; ``figures`` holds the messages submitted and the writer's stalls."""
    db = await Database.open(path, batch_size=BATCH_SIZE, flush_interval=0.01)
    recorder = Recorder(db)
    chat = ChatScript("libera")
    speakers = [chat.who(f"n{i}") for i in range(20)]
    n = 0
    while True:
        figures[0] = n + 1
        at = T0 + timedelta(milliseconds=n)
        line = f"line {n}"
        said = chat.said(speakers[n % len(speakers)], line, f"#c{n % 3}", message_id=str(n), at=at)
        await recorder.take(said)  # as the app takes a connector's events
        figures[1] = db.writer.stalls
        n += 1
        if n % PER_TURN == 0:
            await asyncio.sleep(0)


if __name__ == "__main__":
    counter = Path(sys.argv[2])
    counter.write_bytes(bytes(16))
    with counter.open("r+b") as file, mmap.mmap(file.fileno(), 16) as shared:
        asyncio.run(main(Path(sys.argv[1]), memoryview(shared).cast("Q")))
