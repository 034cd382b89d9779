"""``presence run`` killed with SIGKILL mid-chat and started again, against a real ngircd.

What the owner must find afterwards: the database opens; the stays that were open are
closed as "unknown" at the crash (nobody is said to have left); the chat that spanned the
crash is one session; recording went on after the restart; and no line is stored twice.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from assistant.testing.irc_client import SimulatedMember
from assistant.testing.ircd import NgircdServer, run_ngircd

CHANNEL = "#crash"
JOINED = rf":presence!\S+ JOIN :?{CHANNEL}"
OPEN_STAYS = (
    "SELECT p.id FROM presence_intervals AS p JOIN identities AS i ON i.id = p.identity_id "
    "WHERE i.nick IN ('alice', 'bob') AND p.left_at IS NULL"
)


def write_config(tmp_path: Path, server: NgircdServer) -> Path:
    config = tmp_path / "presence.toml"
    config.write_text(
        f"""
[storage]
path = "presence.sqlite3"
flush_interval = 0.05
[analysis]
enabled = false
[sessions]
burst_lines = 4
burst_speakers = 2
[networks.local]
host = "{server.host}"
port = {server.port}
tls = false
nick = "presence"
[[networks.local.channels]]
name = "{CHANNEL}"
""",
        encoding="utf-8",
    )
    return config


async def start_presence(config: Path) -> asyncio.subprocess.Process:
    environ = {k: v for k, v in os.environ.items() if k != "PRESENCE_CONFIG"}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "assistant",
        "run",
        "--config",
        str(config),
        cwd=config.parent,
        env=environ,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


def query(path: Path, sql: str) -> list[tuple[object, ...]]:
    """Read through a connection of our own, as another program would (committed rows only)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return conn.execute(sql).fetchall()


async def wait_for_rows(path: Path, sql: str, count: int) -> None:
    """Wait (bounded) until ``sql`` returns at least ``count`` rows."""
    for _ in range(400):
        try:
            if len(query(path, sql)) >= count:
                return
        except sqlite3.OperationalError:
            pass  # no file or no schema yet
        await asyncio.sleep(0.05)
    raise AssertionError(f"fewer than {count} rows for {sql!r}")


async def stop(process: asyncio.subprocess.Process) -> str:
    if process.returncode is None:
        process.kill()
        await process.wait()
    assert process.stderr is not None
    return (await process.stderr.read()).decode(errors="replace")


@pytest.mark.ircd
async def test_a_killed_bot_restarts_with_the_chat_whole(tmp_path: Path) -> None:
    db = tmp_path / "presence.sqlite3"
    texts = "SELECT text FROM messages"
    async with run_ngircd() as server:
        config = write_config(tmp_path, server)
        alice = await SimulatedMember.connect(server.host, server.port, "alice")
        bob = await SimulatedMember.connect(server.host, server.port, "bob")
        await alice.join(CHANNEL)
        await bob.join(CHANNEL)
        first = await start_presence(config)
        second: asyncio.subprocess.Process | None = None
        try:
            await alice.wait_for(JOINED, timeout=30)
            for n in range(6):
                await (alice, bob)[n % 2].say(CHANNEL, f"before {n}")
            await wait_for_rows(db, f"{texts} WHERE text LIKE 'before %'", 6)
            await wait_for_rows(db, "SELECT id FROM sessions WHERE status = 'active'", 1)
            await wait_for_rows(db, OPEN_STAYS, 2)  # the roster is recorded after WHO replies
            for n in range(3):  # mid-chat: these may or may not be written when it dies
                await (alice, bob)[n % 2].say(CHANNEL, f"during {n}")
            first.send_signal(signal.SIGKILL)
            assert await first.wait() == -signal.SIGKILL
            await alice.wait_for(r":presence!\S+ QUIT", timeout=30)
            before = query(db, "SELECT max(at) FROM messages WHERE text LIKE 'before %'")[0][0]

            second = await start_presence(config)
            await alice.wait_for(JOINED, timeout=30)
            for n in range(4):
                await (alice, bob)[n % 2].say(CHANNEL, f"after {n}")
            await wait_for_rows(db, f"{texts} WHERE text LIKE 'after %'", 4)
            second.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(second.wait(), timeout=30) == 0
        finally:
            log = await stop(first)
            if second is not None:
                log += await stop(second)
            await alice.quit("bye")
            await bob.quit("bye")

    assert query(db, "PRAGMA integrity_check") == [("ok",)], log
    recorded = [text for (text,) in query(db, f"{texts} ORDER BY id")]
    assert len(recorded) == len(set(recorded)), f"recorded twice: {recorded}"
    # Two members' lines reach the server on two sockets: their order between them may vary.
    assert sorted(t for t in recorded if not t.startswith("during")) == sorted(
        [*(f"before {n}" for n in range(6)), *(f"after {n}" for n in range(4))]
    )
    after = query(db, "SELECT min(at) FROM messages WHERE text LIKE 'after %'")[0][0]
    assert isinstance(before, float) and isinstance(after, float)

    stays = query(
        db,
        "SELECT i.nick, p.joined_at, p.left_at, p.left_kind FROM presence_intervals AS p "
        "JOIN identities AS i ON i.id = p.identity_id WHERE i.nick IN ('alice', 'bob') "
        "ORDER BY p.id",
    )
    # Presence was away from the crash (the last thing recorded before it) to the restart.
    gaps = f"SELECT started_at, ended_at, reason FROM connection_gaps WHERE ended_at < {after}"
    [(gap_start, gap_end, reason)] = query(db, gaps)
    assert reason == "Presence stopped unexpectedly"
    assert isinstance(gap_start, float) and isinstance(gap_end, float)
    assert before <= gap_start < gap_end <= after
    crashed = [stay for stay in stays if isinstance(stay[1], float) and stay[1] <= gap_start]
    assert sorted(nick for nick, *_ in crashed) == ["alice", "bob"], stays
    for _, _, left_at, kind in crashed:
        # Closed at the crash as unknown: not a departure.
        assert (left_at, kind) == (gap_start, "unknown"), stays
    assert not [stay for stay in stays if stay[3] in ("part", "quit", "kick")], stays

    # One session across the crash: started before it, still under way after the restart.
    sessions = query(db, "SELECT started_at, status FROM sessions")
    assert len(sessions) == 1, sessions
    [(started_at, status)] = sessions
    assert isinstance(started_at, float) and started_at < before and status == "active"
