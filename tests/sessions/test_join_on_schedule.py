"""Presence joins a channel ``join_early`` before its weekly chat and leaves ``stay_after`` after,
against a real ngircd on 127.0.0.1, with the sessions' clock driven by the test."""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from assistant.app import Assistant
from assistant.clock import ReplayClock
from assistant.config import Settings, parse_settings
from assistant.connectors.irc import IrcConnector
from assistant.events import utcnow
from assistant.sessions.schedule import WEEKDAYS
from assistant.testing.irc_client import SimulatedMember
from assistant.testing.ircd import NgircdServer, run_ngircd

pytestmark = pytest.mark.ircd

WAIT = 5.0
_ids = itertools.count(1)


@pytest.fixture(scope="module")
def ircd() -> Iterator[NgircdServer]:
    with run_ngircd() as server:
        yield server


async def until_connected(connector: IrcConnector) -> None:
    # The connector has no event of its own for this; poll it, bounded by WAIT.
    async with asyncio.timeout(WAIT):
        while True:
            if connector.connected:
                return
            await asyncio.sleep(0.01)


def weekly_settings(
    ircd: NgircdServer, tmp_path: Path, bot: str, channel: str, start: datetime
) -> Settings:
    """Presence always in ``#always...``, and in ``channel`` only for a weekly chat at ``start``."""
    schedule = {
        "name": "Weekly",
        "days": [WEEKDAYS[start.weekday()]],
        "time": f"{start:%H:%M}",
        "timezone": "UTC",
        "duration": 60,
        "join_early": 10,
        "stay_after": 15,
    }
    return parse_settings(
        {
            "storage": {"path": str(tmp_path / "presence.sqlite3"), "flush_interval": 0.02},
            "analysis": {"enabled": False},
            "networks": {
                "testnet": {
                    "host": ircd.host,
                    "port": ircd.port,
                    "tls": False,
                    "nick": bot,
                    "channels": [
                        {"name": f"#always{bot}"},
                        {"name": channel, "join_on_schedule": True, "schedules": [schedule]},
                    ],
                }
            },
        }
    )


async def test_presence_joins_before_the_chat_and_leaves_after_it(
    ircd: NgircdServer, tmp_path: Path
) -> None:
    n = next(_ids)
    channel, bot = f"#weekly{n}", f"pres{n}"
    now = utcnow().replace(second=0, microsecond=0)
    start = now + timedelta(hours=2)
    settings = weekly_settings(ircd, tmp_path, bot, channel, start)
    alice = await SimulatedMember.connect(ircd.host, ircd.port, f"alice{n}")
    clock = ReplayClock(now)
    assistant = Assistant(settings, plugin_classes={}, clock=clock, reconnect_delay=0.05)
    try:
        await alice.join(channel)
        await assistant.start()
        connector = assistant.connectors[0]
        assert isinstance(connector, IrcConnector)
        await until_connected(connector)
        # Lines go out in order: once alice has this, Presence sent no JOIN for the chat.
        await assistant.send("testnet", alice.nick, "hello")
        await alice.wait_for(re.compile(rf":{bot}!\S+ PRIVMSG {alice.nick} :hello"), WAIT)
        joins = re.compile(rf":{bot}!\S+ JOIN :?{channel}\b")
        assert not any(joins.search(line) for line in alice.lines)

        clock.set(start - timedelta(minutes=10))
        await assistant.sessions.run_due()
        await alice.wait_for(joins, WAIT)

        clock.set(start + timedelta(minutes=60))  # the chat ends; Presence stays a while
        await assistant.sessions.run_due()
        rows = await assistant.db.fetchall("SELECT name, origin, status FROM sessions")
        assert [tuple(row) for row in rows] == [("Weekly", "schedule", "ended")]
        assert channel in connector.channels

        clock.set(start + timedelta(minutes=75))
        await assistant.sessions.run_due()
        await alice.wait_for(re.compile(rf":{bot}!\S+ PART {channel}\b"), WAIT)
    finally:
        await assistant.stop()
        await alice.close()


async def test_presence_started_during_the_chat_joins_as_it_connects(
    ircd: NgircdServer, tmp_path: Path
) -> None:
    n = next(_ids)
    channel, bot = f"#weekly{n}", f"pres{n}"
    start = utcnow().replace(second=0, microsecond=0) - timedelta(minutes=20)
    settings = weekly_settings(ircd, tmp_path, bot, channel, start)
    alice = await SimulatedMember.connect(ircd.host, ircd.port, f"alice{n}")
    clock = ReplayClock(start + timedelta(minutes=20))
    assistant = Assistant(settings, plugin_classes={}, clock=clock, reconnect_delay=0.05)
    try:
        await alice.join(channel)
        await assistant.start()  # the join is asked for before the connection is up
        await alice.wait_for(re.compile(rf":{bot}!\S+ JOIN :?{channel}\b"), WAIT)
        rows = await assistant.db.fetchall("SELECT status FROM sessions")
        assert [tuple(row) for row in rows] == [("active",)]
    finally:
        await assistant.stop()
        await alice.close()
