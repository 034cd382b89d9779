"""`presence run` with ``[storage] backend = "postgresql"``: a real ngircd, a real cluster."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path

import pytest

from assistant.storage.database import Database
from assistant.testing.irc_client import SimulatedMember
from assistant.testing.ircd import run_ngircd
from assistant.testing.postgres import PostgresCluster

pytestmark = pytest.mark.ircd

STAYS = (
    "SELECT i.nick, p.left_kind, p.left_reason FROM presence_intervals p "
    "JOIN identities i ON i.id = p.identity_id ORDER BY i.nick, p.id"
)


async def until_rows(dsn: str, sql: str, expect: list[tuple[object, ...]]) -> None:
    """Poll the database until ``sql`` returns ``expect`` (bounded; shows the last result)."""
    got: list[tuple[object, ...]] = []
    async with await Database.open_postgresql(dsn) as db:
        # Another process writes: there is nothing to wait on but the rows themselves.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10):
                while got != expect:
                    got = [tuple(row) for row in await db.fetchall(sql)]
                    await asyncio.sleep(0.05)
    assert got == expect


async def test_run_records_into_postgresql_and_writes_no_sqlite_file(
    postgres_cluster: PostgresCluster, postgres_dsn: str, tmp_path: Path
) -> None:
    async with run_ngircd() as server:
        config = tmp_path / "presence.toml"
        config.write_text(
            f"""
[storage]
backend = "postgresql"
dsn_env = "PRESENCE_TEST_DSN"

[networks.local]
host = "{server.host}"
port = {server.port}
tls = false
nick = "presence"
[[networks.local.channels]]
name = "#chat"
""",
            encoding="utf-8",
        )
        alice = await SimulatedMember.connect(server.host, server.port, "alice")
        bob = await SimulatedMember.connect(server.host, server.port, "bob")
        await alice.join("#chat")
        await bob.join("#chat")
        log_path = tmp_path / "presence.log"
        log_file = await asyncio.to_thread(log_path.open, "wb")
        environ = {k: v for k, v in os.environ.items() if k != "PRESENCE_CONFIG"}
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "assistant",
            "run",
            "--config",
            str(config),
            cwd=tmp_path,
            env=environ | {"PRESENCE_TEST_DSN": postgres_dsn, "COLUMNS": "200"},
            # A file, not a pipe: worker processes outliving a killed run keep no one waiting.
            stdout=log_file,
            stderr=log_file,
        )
        try:
            await alice.wait_for(r":presence!\S+ JOIN :?#chat", timeout=20)
            await alice.say("#chat", "hello from alice")
            await until_rows(postgres_dsn, STAYS, [("alice", None, None), ("bob", None, None)])
            await alice.part("#chat", "lunch")
            await until_rows(postgres_dsn, STAYS, [("alice", "part", "lunch"), ("bob", None, None)])
            await bob.say("#chat", "!seen alice")
            reply = await bob.wait_for(r":presence!\S+ PRIVMSG #chat :", timeout=10)
            assert "alice" in reply and "hello from alice" in reply, reply
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), timeout=20) == 0
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
            await alice.quit("bye")
            await bob.quit("bye")
            log_file.close()
    log = await asyncio.to_thread(log_path.read_text, encoding="utf-8")
    assert postgres_cluster.password not in log, log
    assert "dropped a write" not in log, log
    assert "connected to PostgreSQL at postgresql://presence:***@127.0.0.1" in log
    opened = await asyncio.to_thread(lambda: list(tmp_path.glob("*.sqlite3")))
    assert not opened, "the SQLite file was opened anyway"
    async with await Database.open_postgresql(postgres_dsn) as db:
        messages = await db.fetchall(
            "SELECT i.nick, m.text FROM messages m JOIN identities i ON i.id = m.identity_id "
            "JOIN channels c ON c.id = m.channel_id WHERE c.name = '#chat' ORDER BY m.id"
        )
        stays = await db.fetchall(STAYS)
    assert [tuple(row) for row in messages] == [
        ("alice", "hello from alice"),
        ("bob", "!seen alice"),
    ]
    assert [tuple(row) for row in stays] == [
        ("alice", "part", "lunch"),
        ("bob", "disconnected", "stopped"),
    ]
