"""A fresh SQLite database in a temporary directory, for tests and plugin authors."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from assistant.storage.database import Database

__all__ = ["temporary_database"]


@asynccontextmanager
async def temporary_database(
    *, batch_size: int = 500, flush_interval: float = 0.25
) -> AsyncIterator[Database]:
    """Open a migrated database in a new temporary directory; close and delete it after.

    A real file (not ``:memory:``) so that WAL, the writer thread and reopening behave as
    they do in production.
    """
    with tempfile.TemporaryDirectory(prefix="presence-db-") as folder:
        db = await Database.open(
            Path(folder) / "presence.sqlite3", batch_size=batch_size, flush_interval=flush_interval
        )
        try:
            yield db
        finally:
            await db.close()
