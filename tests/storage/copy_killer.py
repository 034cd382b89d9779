"""Copy a history and kill itself inside a write transaction (the killed-copy test).

Run as ``python copy_killer.py SOURCE TARGET``, each an SQLite file or a PostgreSQL DSN.
Once two batches of ``message_analyses`` are committed, the next batch's transaction sends
this process SIGKILL after its rows went in and before it commits: the target's triggers
on the table are off at that instant (dropped on SQLite, disabled on PostgreSQL), as they
are while any batch goes in.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from assistant_openings.store import MIGRATIONS_BY_DIALECT

from assistant.storage.copy import copy_history
from assistant.storage.database import Database

BATCH_SIZE = 4
TABLE = "message_analyses"
T = TypeVar("T")


async def open_database(where: str) -> Database:
    if where.startswith("postgresql://"):
        return await Database.open_postgresql(where)
    return await Database.open(Path(where))


async def main(source_at: str, target_at: str) -> None:
    dying = False

    def progress(table: str, done: int, total: int) -> None:
        nonlocal dying
        dying = table == TABLE and done >= 2 * BATCH_SIZE

    async with await open_database(source_at) as source, await open_database(target_at) as target:
        transaction = target.transaction

        async def killed_in(work: Callable[[Any], T]) -> T:
            def then_die(conn: Any) -> T:
                result = work(conn)
                if dying:
                    os.kill(os.getpid(), signal.SIGKILL)
                return result

            return await transaction(then_die)

        target.transaction = killed_in  # type: ignore[method-assign]
        await copy_history(
            source,
            target,
            plugins={"openings": MIGRATIONS_BY_DIALECT},
            batch_size=BATCH_SIZE,
            progress=progress,
        )
    raise SystemExit("the copy finished: it was never killed")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
