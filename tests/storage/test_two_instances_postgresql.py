"""Two ``presence run`` processes, one per network, share one PostgreSQL database (issue 34).

Each instance attends its own ngircd; both start at once (their migrations take turns under
the advisory lock, or one of them fails to start) and record at once. Every line said on
either network is stored exactly once, under its own network, and each instance answers
``!seen`` from the shared history.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from assistant.storage.database import Database
from assistant.testing import instances
from assistant.testing.instances import Instance
from assistant.testing.irc_client import SimulatedMember
from assistant.testing.ircd import NgircdServer, run_ngircd
from assistant.testing.postgres import PostgresCluster

pytestmark = pytest.mark.ircd

NETWORKS = ("north", "south")
MEMBERS = ("alice", "bob", "carol")
LINES = 40  # per member: 240 lines in all, said while both instances write
MESSAGES = (
    "SELECT n.name, i.nick, m.text FROM messages m JOIN identities i ON i.id = m.identity_id "
    "JOIN channels c ON c.id = m.channel_id JOIN networks n ON n.id = c.network_id "
    "ORDER BY n.name, i.nick, m.id"
)


def config_for(network: str, server: NgircdServer, nick: str = "presence") -> str:
    return f"""
[storage]
backend = "postgresql"
dsn_env = "PRESENCE_TEST_DSN"

[networks.{network}]
host = "{server.host}"
port = {server.port}
tls = false
nick = "{nick}"
[[networks.{network}.channels]]
name = "#chat"
"""


async def start_instance(
    network: str, server: NgircdServer, folder: Path, dsn: str, *, nick: str = "presence"
) -> Instance:
    return await instances.start_instance(folder, config_for(network, server, nick), dsn)


async def until_count(dsn: str, expect: int) -> int:
    """Poll until ``expect`` messages are stored (bounded); return the last count."""
    count = -1
    async with await Database.open_postgresql(dsn) as db:
        # Other processes write: there is nothing to wait on but the rows themselves.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(180):
                while count < expect:
                    row = await db.fetchone("SELECT count(*) FROM messages")
                    count = int(row[0]) if row is not None else 0
                    await asyncio.sleep(0.1)
    return count


async def talk(server: NgircdServer, network: str) -> list[SimulatedMember]:
    """Members join #chat, see Presence arrive, then all talk at once."""
    members = [await SimulatedMember.connect(server.host, server.port, nick) for nick in MEMBERS]
    for member in members:
        await member.join("#chat")
    # Only stops a hang: two instances start their analysis workers at once, which takes
    # minutes on a busy machine.
    await members[0].wait_for(r":presence!\S+ JOIN :?#chat", timeout=300)

    async def say_lines(member: SimulatedMember, nick: str) -> None:
        for number in range(LINES):
            await member.say("#chat", f"{network} {nick} line {number}")
            await asyncio.sleep(0.005)

    await asyncio.gather(*(say_lines(m, n) for m, n in zip(members, MEMBERS, strict=True)))
    return members


async def test_two_instances_record_two_networks_into_one_database_once_each(
    postgres_cluster: PostgresCluster, postgres_dsn: str, tmp_path: Path
) -> None:
    async with run_ngircd() as north, run_ngircd() as south:
        servers = dict(zip(NETWORKS, (north, south), strict=True))
        started = [
            await start_instance(name, server, tmp_path / name, postgres_dsn)
            for name, server in servers.items()
        ]
        members: list[SimulatedMember] = []
        try:
            for chatting in await asyncio.gather(
                *(talk(server, name) for name, server in servers.items())
            ):
                members += chatting
            said = len(NETWORKS) * len(MEMBERS) * LINES
            assert await until_count(postgres_dsn, said) == said
            # Each instance answers from the history both write into.
            for name, speaker in (("north", members[1]), ("south", members[4])):
                await speaker.say("#chat", "!seen alice")
                reply = await speaker.wait_for(r":presence!\S+ PRIVMSG #chat :", timeout=20)
                assert f"{name} alice line {LINES - 1}" in reply, reply
            assert await instances.stop_instances(started, timeout=30) == [0, 0]
        finally:
            await instances.discard_instances(started)
            for member in members:
                await member.close()
    async with await Database.open_postgresql(postgres_dsn) as db:
        rows = [tuple(row) for row in await db.fetchall(MESSAGES)]
    expected = [
        (name, nick, f"{name} {nick} line {number}")
        for name in sorted(NETWORKS)
        for nick in MEMBERS
        for number in range(LINES)
    ]
    seen_queries = [row for row in rows if row[2] == "!seen alice"]
    assert [row for row in rows if row[2] != "!seen alice"] == expected  # none lost, none twice
    assert seen_queries == [(name, "bob", "!seen alice") for name in sorted(NETWORKS)]
    for name in NETWORKS:
        log = await asyncio.to_thread((tmp_path / name / "presence.log").read_text, "utf-8")
        assert "dropped a write" not in log, log
        assert postgres_cluster.password not in log, log
