"""Two ``presence run`` processes see one member change nick in their channel (issue 34).

Two team members each run Presence, with their own bot nick, in #chat on one network, both
recording into one PostgreSQL database. Each instance sees its own copy of the NICK,
milliseconds apart, and records it: the old nick's stay ends (as a nick change) and a stay
of the new nick, the same person, carries on. The stay must still end once, the new nick
have one stay, and each line be stored once, under the nick it was said with.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.storage.database import Database
from assistant.testing import instances
from assistant.testing.irc_client import SimulatedMember
from assistant.testing.ircd import run_ngircd
from assistant.testing.postgres import PostgresCluster
from tests.storage.test_two_instances_one_channel import assert_clean_logs, two_in_chat
from tests.storage.test_two_instances_postgresql import until_count

OLD, NEW = "alice", "alicia"
pytestmark = pytest.mark.ircd
MESSAGES = (
    "SELECT i.nick, m.text FROM messages m JOIN identities i ON i.id = m.identity_id ORDER BY m.id"
)
STAYS = (
    "SELECT i.nick, p.left_kind, p.left_reason FROM presence_intervals p "
    "JOIN identities i ON i.id = p.identity_id "
    "JOIN channels c ON c.id = p.channel_id WHERE c.key = '#chat' AND i.nick IN (?, ?) "
    "ORDER BY p.joined_at, p.id"
)
PERSONS = "SELECT DISTINCT person_id FROM identities WHERE nick IN (?, ?)"


async def test_two_instances_record_a_nick_change_in_one_channel_once(
    postgres_cluster: PostgresCluster, postgres_dsn: str, tmp_path: Path
) -> None:
    async with run_ngircd() as server, two_in_chat(server, tmp_path, postgres_dsn) as chat:
        watcher, started, members = chat
        member = await SimulatedMember.connect(server.host, server.port, OLD)
        members.append(member)
        await member.join("#chat")
        await member.say("#chat", "hello as alice")
        assert await until_count(postgres_dsn, 1) == 1
        await member.change_nick(NEW)
        await member.say("#chat", "hello as alicia")
        assert await until_count(postgres_dsn, 2) == 2
        await member.part("#chat", "bye")
        # A line after the part: once it is stored, so is the part, by that instance.
        await watcher.say("#chat", "after the part")
        assert await until_count(postgres_dsn, 3) == 3
        assert await instances.stop_instances(started, timeout=30) == [0, 0]
    async with await Database.open_postgresql(postgres_dsn) as db:
        rows = [tuple(row) for row in await db.fetchall(MESSAGES)]
        stays = [tuple(row) for row in await db.fetchall(STAYS, (OLD, NEW))]
        persons = await db.fetchall(PERSONS, (OLD, NEW))
    # Each line once, under the nick it was said with.
    assert rows == [
        (OLD, "hello as alice"),
        (NEW, "hello as alicia"),
        ("watcher", "after the part"),
    ]
    # alice's stay ended once, by the nick change; alicia's one stay, ended once by her part.
    assert stays == [(OLD, "nick", NEW), (NEW, "part", "bye")]
    assert len(persons) == 1, persons  # both nicks are one person
    await assert_clean_logs(tmp_path, postgres_cluster)
