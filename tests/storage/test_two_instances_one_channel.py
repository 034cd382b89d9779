"""Two ``presence run`` processes attend the same channel and share one database (issue 34).

Two team members each run Presence, with their own bot nick, in #chat on one network, both
recording into one PostgreSQL database. IRC lines carry no id (ngircd sends no ``msgid``),
so each instance sees its own copy of every line, milliseconds apart: each line must still
be stored once, under its speaker, and each arrival and departure must make one stay.
A line said again by its speaker (at once, or seconds later) is a line of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from assistant.storage.database import Database
from assistant.testing import instances
from assistant.testing.instances import Instance
from assistant.testing.irc_client import SimulatedMember
from assistant.testing.ircd import NgircdServer, run_ngircd
from assistant.testing.postgres import PostgresCluster
from tests.storage.test_two_instances_postgresql import (
    MEMBERS,
    start_instance,
    until_count,
)

BOTS = ("presence", "keeper")
LINES = 30  # per member, said while both instances write
REPEATED = "same again"
pytestmark = pytest.mark.ircd
MESSAGES = (
    "SELECT i.nick, m.text FROM messages m JOIN identities i ON i.id = m.identity_id "
    "ORDER BY i.nick, m.id"
)
STAYS = (
    "SELECT i.nick, p.left_kind FROM presence_intervals p "
    "JOIN identities i ON i.id = p.identity_id "
    "JOIN channels c ON c.id = p.channel_id WHERE c.key = '#chat' ORDER BY i.nick, p.id"
)


@contextlib.asynccontextmanager
async def two_in_chat(
    server: NgircdServer, tmp_path: Path, dsn: str
) -> AsyncIterator[tuple[SimulatedMember, list[Instance], list[SimulatedMember]]]:
    """Both instances in #chat, seen joining by a watcher there: (watcher, instances,
    members). Members the caller connects go in the list; all are closed, and the
    instances discarded, at the end."""
    watcher = await SimulatedMember.connect(server.host, server.port, "watcher")
    await watcher.join("#chat")
    started = [await start_instance("north", server, tmp_path / bot, dsn, nick=bot) for bot in BOTS]
    members: list[SimulatedMember] = []
    try:
        # Only stops a hang: two instances start their analysis workers at once.
        for _ in BOTS:  # in either order
            await watcher.wait_for(rf":({'|'.join(BOTS)})!\S+ JOIN :?#chat", timeout=300)
        yield watcher, started, members
    finally:
        await instances.discard_instances(started)
        for member in [*members, watcher]:
            await member.close()


async def assert_clean_logs(tmp_path: Path, cluster: PostgresCluster) -> None:
    """Neither instance dropped a write, and neither logged the database password."""
    for bot in BOTS:
        log = await asyncio.to_thread((tmp_path / bot / "presence.log").read_text, "utf-8")
        assert "dropped a write" not in log, log
        assert cluster.password not in log, log


async def test_two_instances_in_one_channel_record_each_line_and_stay_once(
    postgres_cluster: PostgresCluster, postgres_dsn: str, tmp_path: Path
) -> None:
    async with run_ngircd() as server, two_in_chat(server, tmp_path, postgres_dsn) as chat:
        _, started, members = chat
        members += [await SimulatedMember.connect(server.host, server.port, n) for n in MEMBERS]
        for member in members:
            await member.join("#chat")

        async def say_lines(member: SimulatedMember, nick: str) -> None:
            for number in range(LINES):
                await member.say("#chat", f"{nick} line {number}")
                await asyncio.sleep(0.005)

        await asyncio.gather(*(say_lines(m, n) for m, n in zip(members, MEMBERS, strict=True)))
        alice = members[0]
        for _ in range(3):  # at once: three lines
            await alice.say("#chat", REPEATED)
        said = len(MEMBERS) * LINES + 3
        assert await until_count(postgres_dsn, said) == said
        await asyncio.sleep(2.5)  # seconds later, and past the window copies fall in
        await alice.say("#chat", REPEATED)
        assert await until_count(postgres_dsn, said + 1) == said + 1
        await alice.part("#chat", "bye")
        await alice.join("#chat")
        await alice.say("#chat", "back")
        assert await until_count(postgres_dsn, said + 2) == said + 2
        assert await instances.stop_instances(started, timeout=30) == [0, 0]
    async with await Database.open_postgresql(postgres_dsn) as db:
        rows = [tuple(row) for row in await db.fetchall(MESSAGES)]
        stays = [tuple(row) for row in await db.fetchall(STAYS)]
    expected = sorted(
        [(nick, f"{nick} line {number}") for nick in MEMBERS for number in range(LINES)]
        + [("alice", REPEATED)] * 4
        + [("alice", "back")],
        key=lambda row: row[0],
    )
    # None lost, none twice, each under its speaker and in the order said.
    assert sorted(rows, key=lambda row: row[0]) == expected
    for nick in MEMBERS:
        said_by = [text for who, text in rows if who == nick and "line" in text]
        assert said_by == [f"{nick} line {number}" for number in range(LINES)]
    # alice: a stay ended by her part, then one ended when the instances stopped; the
    # others one stay each. (The bots' own stays are each other's view, left aside.)
    member_stays = [stay for stay in stays if stay[0] in MEMBERS]
    assert member_stays == [
        ("alice", "part"),
        ("alice", "disconnected"),
        ("bob", "disconnected"),
        ("carol", "disconnected"),
    ]
    await assert_clean_logs(tmp_path, postgres_cluster)
