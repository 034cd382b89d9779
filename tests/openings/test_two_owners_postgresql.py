"""Two ``presence run`` processes with different owners share one PostgreSQL database (issue 34).

Both attend the same channel of one ngircd (as networks "a" and "b"), watching the same
member. Darren speaks to Ann twice and to Bea once: each instance stores the opening meant
for its owner and its owner's exchanges under its owner, and ``presence relationship`` for
each config counts that owner's exchanges only.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from pathlib import Path

import pytest
from assistant_openings.dashboard import inbox

from assistant.config import parse_settings
from assistant.storage.database import Database
from assistant.testing import instances
from assistant.testing.instances import Instance
from assistant.testing.irc_client import SimulatedMember
from assistant.testing.ircd import NgircdServer, run_ngircd
from assistant.testing.postgres import PostgresCluster

pytestmark = pytest.mark.ircd

OWNERS = {"a": "ann", "b": "bea"}
"""Each instance's network name and its owner's nick (and name, capitalised)."""
LINES = {
    "ann": ("ann: which budget mic would you pick for podcast interviews?", "ann: and a stand?"),
    "bea": ("bea: do you still host the meetup in May?",),
}
WAIT = 300  # only stops a hang: two instances start their analysis workers at once
STORED = 60
OWNED = (
    "SELECT f.owner, f.kind, f.message FROM openings_found f "
    "WHERE f.kind = 'addressed_you' ORDER BY f.owner, f.message"
)
EXCHANGES = "SELECT owner, count(*) FROM openings_exchanges GROUP BY owner ORDER BY owner"
DONE = [("Ann", 2), ("Bea", 1)]


def owner_table(network: str) -> dict[str, object]:
    nick = OWNERS[network]
    return {
        "name": nick.capitalize(),
        "identities": [{"platform": "irc", "network": network, "account": nick, "nick": nick}],
    }


def config_for(network: str, server: NgircdServer) -> str:
    nick = OWNERS[network]
    return f"""
[owner]
name = "{nick.capitalize()}"
identities = [{{ platform = "irc", network = "{network}", account = "{nick}", nick = "{nick}" }}]

[storage]
backend = "postgresql"
dsn_env = "PRESENCE_TEST_DSN"

[networks.{network}]
host = "{server.host}"
port = {server.port}
tls = false
nick = "bot{nick}"
[[networks.{network}.channels]]
name = "#chat"

[[watchlist]]
name = "Darren"
identities = [{{ platform = "irc", nick = "darren" }}]

[plugins.openings]
notify = []
"""


async def start_instance(network: str, server: NgircdServer, folder: Path, dsn: str) -> Instance:
    return await instances.start_instance(folder, config_for(network, server), dsn)


async def until_stored(dsn: str) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Poll until both owners' openings and exchanges are stored (bounded); return them."""
    openings: list[tuple[object, ...]] = []
    exchanges: list[tuple[object, ...]] = []
    async with await Database.open_postgresql(dsn) as db:
        # Other processes write: there is nothing to wait on but the rows themselves.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(STORED):
                while {str(r[0]) for r in openings} != {"Ann", "Bea"} or exchanges != DONE:
                    openings = [tuple(r) for r in await db.fetchall(OWNED)]
                    exchanges = [tuple(r) for r in await db.fetchall(EXCHANGES)]
                    await asyncio.sleep(0.2)
    return openings, exchanges


async def chat(server: NgircdServer, tmp_path: Path, dsn: str) -> None:
    """Both instances attend #chat while Darren speaks to each owner; then both stop."""
    started: list[Instance] = []
    members: list[SimulatedMember] = []
    try:
        for nick in ("ann", "bea", "darren"):  # here first, so that Darren sees them join
            members.append(await SimulatedMember.connect(server.host, server.port, nick))
            await members[-1].join("#chat")
        darren = members[-1]
        for network in OWNERS:
            started.append(await start_instance(network, server, tmp_path / network, dsn))
        # Either may join first, and a wait skips the lines before its match: wait for any.
        joined: set[str] = set()
        while len(joined) < len(OWNERS):
            line = await darren.wait_for(r":bot\w+!\S+ JOIN :?#chat", timeout=WAIT)
            joined.add(line.split("!", 1)[0])
        for lines in LINES.values():
            for line in lines:
                await darren.say("#chat", line)
        openings, exchanges = await until_stored(dsn)
        # Ann's second line may be held back as too soon after the first; Bea's never.
        assert ("Ann", "addressed_you", LINES["ann"][0]) in openings
        assert {o for o in openings if o[0] == "Ann"} <= {
            ("Ann", "addressed_you", line) for line in LINES["ann"]
        }
        assert [o for o in openings if o[0] == "Bea"] == [("Bea", "addressed_you", LINES["bea"][0])]
        assert exchanges == DONE
        assert await instances.stop_instances(started) == [0] * len(started)
    finally:
        await instances.discard_instances(started)
        for member in members:
            await member.close()


def relationship(folder: Path, dsn: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "relationship", "Darren", "-c", "presence.toml"],
        cwd=folder,
        env=instances.environment(dsn),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_two_owners_each_see_their_own_openings_and_relationship(
    postgres_cluster: PostgresCluster, postgres_dsn: str, tmp_path: Path
) -> None:
    async with run_ngircd() as server:
        await chat(server, tmp_path, postgres_dsn)
    ann = await asyncio.to_thread(relationship, tmp_path / "a", postgres_dsn)
    bea = await asyncio.to_thread(relationship, tmp_path / "b", postgres_dsn)
    assert "exchanges: 2 (0 from you, 2 from them)" in ann, ann
    assert "exchanges: 1 (0 from you, 1 from them)" in bea, bea
    async with await Database.open_postgresql(postgres_dsn) as db:
        for network, nick in OWNERS.items():
            settings = parse_settings({"owner": owner_table(network)})
            rows = await db.run_in_thread(lambda conn, s=settings: inbox(conn, s))
            shown = {row.message for row in rows}
            assert LINES[nick][0] in shown and shown <= set(LINES[nick]), (nick, shown)
    for network in OWNERS:
        log = await asyncio.to_thread((tmp_path / network / "presence.log").read_text, "utf-8")
        assert "dropped a write" not in log, log
        assert postgres_cluster.password not in log, log
