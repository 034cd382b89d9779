"""A copy killed with SIGKILL inside a transaction resumes, and the target's triggers survive."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import pytest

from assistant.storage.copy import copy_history
from assistant.storage.database import Database
from tests.storage.test_copy import PLUGINS, everything, seed

KILLER = Path(__file__).with_name("copy_killer.py")
BATCH_SIZE = 4  # as in copy_killer.py
TRIGGERS = {
    "sqlite": "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
    "AND tbl_name = 'message_analyses'",
    "postgresql": "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'message_analyses'::regclass "
    "AND NOT tgisinternal AND tgenabled = 'O'",
}


async def open_database(where: str) -> Database:
    if where.startswith("postgresql://"):
        return await Database.open_postgresql(where)
    return await Database.open(Path(where))


@pytest.mark.parametrize("direction", ["sqlite to postgresql", "postgresql to sqlite"])
async def test_a_killed_copy_resumes_with_the_targets_triggers_intact(
    direction: str, tmp_path: Path, postgres_dsn: str
) -> None:
    original = str(tmp_path / "original.sqlite3")
    async with await open_database(original) as db:
        await seed(db)
    if direction == "sqlite to postgresql":
        source, target = original, postgres_dsn
    else:
        source, target = postgres_dsn, str(tmp_path / "back.sqlite3")
        async with await open_database(original) as db, await open_database(source) as pg:
            assert (await copy_history(db, pg, plugins=PLUGINS)).complete

    killer = await asyncio.create_subprocess_exec(
        sys.executable, str(KILLER), source, target, stderr=asyncio.subprocess.PIPE
    )
    _, errors = await killer.communicate()
    assert killer.returncode == -signal.SIGKILL, errors.decode()

    async with await open_database(source) as src, await open_database(target) as dst:
        # The batch in flight is lost whole; the triggers it had turned off are back.
        held = await dst.fetchone("SELECT count(*) FROM message_analyses")
        assert held is not None and held[0] == 2 * BATCH_SIZE
        triggers = await dst.fetchone(TRIGGERS[dst.backend.name])
        assert triggers is not None and triggers[0] == 3
        result = await copy_history(src, dst, plugins=PLUGINS, batch_size=BATCH_SIZE)
        assert result.complete
        assert await everything(dst) == await everything(src)
        resumed = {table.name: table for table in result.tables}
        assert resumed["messages"].skipped
        assert resumed["message_analyses"].copied == resumed["message_analyses"].source - 8
