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

from assistant.recorder import Recorder
from assistant.storage.database import Database
from assistant.testing.factories import ChatScript

T0 = datetime(2024, 1, 7, 8, 30, tzinfo=UTC)
CHUNK = 400


async def main(path: Path) -> None:
    """Write until killed."""
    db = await Database.open(path, batch_size=150, flush_interval=0.01)
    chat = ChatScript("libera", sink=Recorder(db).record)
    speakers = [chat.who(f"n{i}") for i in range(20)]
    n = 0
    while True:
        for _ in range(CHUNK):
            at = T0 + timedelta(milliseconds=n)
            chat.said(
                speakers[n % len(speakers)], f"line {n}", f"#c{n % 3}", message_id=str(n), at=at
            )
            n += 1
            if n % 50 == 0:
                await asyncio.sleep(0)  # let the writer commit batches on its own
        await db.flush()
        print(n, flush=True)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
