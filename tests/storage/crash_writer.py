"""Record messages through the Recorder as fast as possible until killed (kill -9 test).

Run as ``python crash_writer.py DATABASE``. Message ``n`` has text ``line n`` and platform
id ``n``. After each completed flush it prints how many messages are durably written, so
the test knows a lower bound of what must survive a SIGKILL at any later instant. Between
those flushes the writer also commits on its own (small batch size, short timer), so the
kill lands in the middle of batches too.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from assistant.events import Identity, MessageReceived
from assistant.recorder import Recorder
from assistant.storage.database import Database

T0 = datetime(2024, 1, 7, 8, 30, tzinfo=UTC)
CHUNK = 400


async def main(path: Path) -> None:
    """Write until killed."""
    db = await Database.open(path, batch_size=150, flush_interval=0.01)
    recorder = Recorder(db)
    speakers = [Identity(platform="irc", network="libera", nick=f"n{i}") for i in range(20)]
    n = 0
    while True:
        for _ in range(CHUNK):
            recorder.record(
                MessageReceived(
                    platform="irc",
                    network="libera",
                    timestamp=T0 + timedelta(milliseconds=n),
                    channel=f"#c{n % 3}",
                    actor=speakers[n % len(speakers)],
                    text=f"line {n}",
                    message_id=str(n),
                )
            )
            n += 1
            if n % 50 == 0:
                await asyncio.sleep(0)  # let the writer commit batches on its own
        await db.flush()
        print(n, flush=True)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
