"""``presence run`` killed with SIGKILL mid-chat and started again, against the Discord emulator.

The emulator serves from this test's process; Presence runs as a child process with
discord.py pointed at it, so the SIGKILL takes the bot and nothing else, and people go on
talking while it is dead. What the owner must find afterwards: the database opens; every
message is recorded exactly once, those said while Presence was dead backfilled after the
restart; the stays that were open are closed as "unknown" at the crash (nobody is said to
have left); one gap covers the time Presence was away; and the chat is one session.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.testing.discord import DiscordEmulator

TOKEN_ENV = "PRESENCE_TEST_DISCORD_TOKEN"
WAIT = 30.0  # a bound on a hang, not on speed
OPEN_STAYS = (
    "SELECT p.id FROM presence_intervals AS p JOIN identities AS i ON i.id = p.identity_id "
    "WHERE i.nick IN ('alice', 'bob') AND p.left_at IS NULL"
)
# `presence run` in a child process, with discord.py's two process-global URLs pointed at the
# emulator first (as DiscordEmulator.point_discord_py_here does in-process) and discord.py's
# 2 s wait for more servers shortened: arguments are the REST base, the gateway URL, then the
# command line.
LAUNCH = """
import sys

import discord.gateway
import discord.http
import yarl

from assistant.commandline import main
from assistant.connectors.discord import DiscordConnector

discord.http.Route.BASE = sys.argv[1]
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sys.argv[2])
DiscordConnector.guild_ready_timeout = 0.05
sys.exit(main(sys.argv[3:]))
"""


@dataclass
class Room:
    """The emulated server: a guild with #general, and two people talking there."""

    emulator: DiscordEmulator
    general: str
    alice: str
    bob: str

    async def say(self, prefix: str, count: int) -> list[str]:
        """Post ``count`` lines, alice and bob in turn; returns their texts."""
        texts = [f"{prefix} {n}" for n in range(count)]
        for n, text in enumerate(texts):
            await self.emulator.post_message(self.general, (self.alice, self.bob)[n % 2], text)
        return texts


@pytest.fixture
async def room() -> AsyncIterator[Room]:
    async with DiscordEmulator() as emu:
        guild = emu.add_guild("Bloggers")
        general = emu.add_channel(guild, "general")
        alice, bob = emu.add_user("alice"), emu.add_user("bob")
        emu.add_member(guild, alice)
        emu.add_member(guild, bob)
        yield Room(emu, general, alice, bob)


def write_config(tmp_path: Path) -> Path:
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
[networks.community]
platform = "discord"
token_env = "{TOKEN_ENV}"
guild = "Bloggers"
[[networks.community.channels]]
name = "#general"
""",
        encoding="utf-8",
    )
    return config


async def start_presence(config: Path, emulator: DiscordEmulator) -> asyncio.subprocess.Process:
    environ = {k: v for k, v in os.environ.items() if k != "PRESENCE_CONFIG"}
    environ[TOKEN_ENV] = emulator.token
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        LAUNCH,
        emulator.api_base,
        emulator.gateway_url,
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
    for _ in range(int(WAIT / 0.05)):
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


async def test_a_killed_bot_restarts_and_backfills_what_it_missed_once(
    tmp_path: Path, room: Room
) -> None:
    db = tmp_path / "presence.sqlite3"
    texts = "SELECT text FROM messages"
    config = write_config(tmp_path)
    gateway = room.emulator.gateway
    first = await start_presence(config, room.emulator)
    second: asyncio.subprocess.Process | None = None
    try:
        await wait_for_rows(db, OPEN_STAYS, 2)  # connected: the roster is recorded
        said = await room.say("before", 6)
        await wait_for_rows(db, f"{texts} WHERE text LIKE 'before %'", 6)
        await wait_for_rows(db, "SELECT id FROM sessions WHERE status = 'active'", 1)
        said += await room.say("during", 3)  # mid-chat: written now, or backfilled later
        first.send_signal(signal.SIGKILL)
        assert await first.wait() == -signal.SIGKILL
        await asyncio.wait_for(gateway.idle.wait(), WAIT)  # its socket is gone
        before = query(db, "SELECT max(at) FROM messages WHERE text LIKE 'before %'")[0][0]
        said += await room.say("missed", 5)  # while Presence is dead: backfill's work

        second = await start_presence(config, room.emulator)
        await wait_for_rows(db, f"{texts} WHERE text LIKE 'missed %'", 5)
        said += await room.say("after", 4)
        await wait_for_rows(db, f"{texts} WHERE text LIKE 'after %'", 4)
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), WAIT) == 0
    finally:
        log = await stop(first)
        if second is not None:
            log += await stop(second)

    assert query(db, "PRAGMA integrity_check") == [("ok",)], log
    recorded = [str(text) for (text,) in query(db, f"{texts} ORDER BY id")]
    # Everything once: nothing lost to the crash, nothing backfilled that was already written.
    assert sorted(recorded) == sorted(said), log
    assert room.emulator.identify_count == 2  # a new process is a new gateway session
    missed_at = [at for (at,) in query(db, "SELECT at FROM messages WHERE text LIKE 'missed %'")]
    after = query(db, "SELECT min(at) FROM messages WHERE text LIKE 'after %'")[0][0]
    assert isinstance(before, float) and isinstance(after, float)

    # Presence was away from the crash (the last thing recorded before it) to the restart:
    # one gap (the clean stop at the end opens another), and the lines said in it are
    # there, backfilled, at the time they were said.
    gaps = f"SELECT started_at, ended_at, reason FROM connection_gaps WHERE started_at < {after}"
    [(gap_start, gap_end, reason)] = query(db, gaps)
    assert reason == "Presence stopped unexpectedly"
    assert isinstance(gap_start, float) and isinstance(gap_end, float)
    assert before <= gap_start < gap_end <= after
    assert all(isinstance(at, float) and gap_start < at < gap_end for at in missed_at), (
        missed_at,
        gap_start,
        gap_end,
    )

    stays = query(
        db,
        "SELECT i.nick, p.joined_at, p.left_at, p.left_kind FROM presence_intervals AS p "
        "JOIN identities AS i ON i.id = p.identity_id WHERE i.nick IN ('alice', 'bob') "
        "ORDER BY p.id",
    )
    crashed = [stay for stay in stays if isinstance(stay[1], float) and stay[1] <= gap_start]
    assert sorted(str(nick) for nick, *_ in crashed) == ["alice", "bob"], stays
    for _, _, left_at, kind in crashed:
        # Closed at the crash as unknown: not a departure.
        assert (left_at, kind) == (gap_start, "unknown"), stays
    # The restart found both still there; nothing else closed their stays but the clean stop.
    again = [stay for stay in stays if stay not in crashed]
    assert sorted(str(nick) for nick, *_ in again) == ["alice", "bob"], stays
    for _, joined_at, _, kind in again:
        assert isinstance(joined_at, float) and joined_at >= gap_end and kind == "disconnected"

    # One session across the crash: started before it, still under way after the restart.
    sessions = query(db, "SELECT started_at, status FROM sessions")
    assert len(sessions) == 1, sessions
    [(started_at, status)] = sessions
    assert isinstance(started_at, float) and started_at <= before and status == "active"
