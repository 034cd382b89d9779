"""Backups taken while Presence writes, restoring one, and clear errors for wrong paths."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from assistant.recorder import Recorder
from assistant.storage.backup import BackupError, backup_database, restore_database
from assistant.storage.database import Database
from assistant.testing.factories import ChatScript

NET = "libera"


def count(path: Path, sql: str = "SELECT count(*) FROM messages") -> int:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


def leftovers(folder: Path, pattern: str = ".*partial*") -> list[Path]:
    return list(folder.glob(pattern))


async def test_a_backup_taken_while_writing_opens_and_holds_the_committed_rows(
    tmp_path: Path,
) -> None:
    path = tmp_path / "presence.sqlite3"
    async with await Database.open(path, batch_size=10, flush_interval=0.001) as db:
        chat = ChatScript(NET, sink=Recorder(db).record)
        for n in range(50):
            chat.said("alice", f"committed {n}", "#chat")
        await db.flush()
        # Another process is in the middle of a write transaction: the backup neither waits
        # for it nor copies its rows.
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute(
            "INSERT INTO messages (channel_id, identity_id, at, kind, text) "
            "SELECT channel_id, identity_id, at, kind, 'uncommitted' FROM messages LIMIT 1"
        )
        writing = True

        async def keep_writing() -> int:
            n = 0
            while writing:
                chat.said("bob", f"meanwhile {n}", "#chat")
                n += 1
                await asyncio.sleep(0)
            return n

        writer = asyncio.create_task(keep_writing())
        result = await backup_database(path, tmp_path / "copy.sqlite3")
        writing = False
        other.execute("COMMIT")
        other.close()
        await writer
        await db.flush()
        total = await db.fetchone("SELECT count(*) FROM messages")
        assert total is not None
    copy = tmp_path / "copy.sqlite3"
    assert result.path == copy and result.size == copy.stat().st_size > 0
    assert leftovers(tmp_path) == []
    assert result.messages == count(copy) >= 50
    assert count(copy) < total[0]  # what came later is not in it
    assert count(copy, "SELECT count(*) FROM messages WHERE text = 'uncommitted'") == 0
    assert count(copy, "SELECT count(*) FROM messages WHERE text LIKE 'committed %'") == 50
    assert [p.name for p in leftovers(tmp_path, "copy.sqlite3-*")] == []  # one file, no -wal
    async with await Database.open(copy) as restored:  # and Presence opens it as it is
        rows = await restored.fetchall("SELECT text FROM messages WHERE text LIKE 'committed %'")
        assert len(rows) == 50


async def test_a_backup_into_a_folder_names_its_file(tmp_path: Path) -> None:
    path = tmp_path / "presence.sqlite3"
    async with await Database.open(path):
        pass
    (tmp_path / "backups").mkdir()
    result = await backup_database(path, tmp_path / "backups")
    assert result.path.parent == tmp_path / "backups"
    assert result.path.name.startswith("presence-") and result.path.suffix == ".sqlite3"


async def test_a_restore_puts_the_backup_back_and_keeps_what_was_there(tmp_path: Path) -> None:
    path = tmp_path / "presence.sqlite3"
    async with await Database.open(path) as db:
        chat = ChatScript(NET, sink=Recorder(db).record)
        chat.said("alice", "before the backup", "#chat")
        await db.flush()
        backup = (await backup_database(path, tmp_path / "backup.sqlite3")).path
        chat.said("alice", "after the backup", "#chat")
        await db.execute("DELETE FROM messages WHERE text = 'before the backup'")
    result = await restore_database(backup, path)
    assert result.path == path and result.messages == 1
    assert result.kept == tmp_path / "presence.sqlite3.before-restore"
    async with await Database.open(path) as db:
        rows = await db.fetchall("SELECT text FROM messages")
        assert [row["text"] for row in rows] == ["before the backup"]
        chat = ChatScript(NET, sink=Recorder(db).record)
        chat.said("alice", "recording goes on", "#chat")
        await db.flush()
        assert len(await db.fetchall("SELECT id FROM messages")) == 2
    assert count(result.kept, "SELECT count(*) FROM messages WHERE text = 'after the backup'") == 1


async def test_wrong_paths_give_clear_errors(tmp_path: Path) -> None:
    path = tmp_path / "presence.sqlite3"
    async with await Database.open(path):
        pass
    with pytest.raises(BackupError, match=r"the folder .*missing does not exist"):
        await backup_database(path, tmp_path / "missing" / "copy.sqlite3")
    (tmp_path / "taken.sqlite3").write_text("mine", encoding="utf-8")
    with pytest.raises(BackupError, match="already exists; choose another path or pass --force"):
        await backup_database(path, tmp_path / "taken.sqlite3")
    assert (tmp_path / "taken.sqlite3").read_text(encoding="utf-8") == "mine"
    with pytest.raises(BackupError, match="is the database itself"):
        await backup_database(path, path, overwrite=True)
    with pytest.raises(BackupError, match="there is no database at"):
        await backup_database(tmp_path / "nothing.sqlite3", tmp_path / "copy.sqlite3")
    assert not (tmp_path / "nothing.sqlite3").exists()
    with pytest.raises(BackupError, match="there is no backup at"):
        await restore_database(tmp_path / "nothing.sqlite3", path)
    with pytest.raises(BackupError, match="is not an SQLite database"):
        await restore_database(tmp_path / "taken.sqlite3", path)
    other = tmp_path / "other.sqlite3"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(BackupError, match="not one of Presence's"):
        await restore_database(other, path)
    assert not (tmp_path / "presence.sqlite3.before-restore").exists()
