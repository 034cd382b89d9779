"""A plugin that falls behind in a flood through a real ngircd still gets every session end.

The whole Presence runs with the built-in summaries plugin and a deliberately slow plugin
that handles nothing until the test opens its gate. Members flood the channel; once the slow
plugin has fallen behind (its queue is full and it is shedding messages), the chat's
scheduled end comes, and then the flood goes on. The slow plugin must still be given the
session's start and end, in order, learn how many messages it missed, and the summaries
plugin (given only session ends, so never behind) must write the summary, saying that a
plugin skipped part of the chat.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest
from assistant_summaries import SummariesPlugin

from assistant import (
    Event,
    MessageReceived,
    PluginFellBehind,
    SessionEnded,
    SessionStarted,
)
from assistant.app import Assistant
from assistant.clock import ReplayClock
from assistant.config import parse_settings
from assistant.events import utcnow
from assistant.sessions.schedule import WEEKDAYS
from assistant.testing.flood import FloodSender, flood_lines
from assistant.testing.ircd import NgircdServer
from tests.test_delivery import Gated

pytestmark = pytest.mark.ircd

SENDERS = 4
BEFORE_END = 3_000  # lines per sender before the chat ends: more than a plugin's queue holds
AFTER_END = 2_000  # lines per sender after it
LINES = SENDERS * (BEFORE_END + AFTER_END)
POLLS = 12_000  # at most this many looks, 10 ms apart, for something to happen


class Slow(Gated):
    """Handles every event, and hears when it fell behind, but nothing until its gate opens."""

    handles = (Event, PluginFellBehind)


def count_messages(path: Path) -> int:
    """Rows in the messages table, read through a separate connection (committed rows only)."""
    with closing(sqlite3.connect(path, timeout=5)) as db:
        return int(db.execute("SELECT count(*) FROM messages").fetchone()[0])


async def poll(condition: object) -> bool:
    """Look at ``condition()`` every 10 ms until it holds or ``POLLS`` looks were had."""
    for _ in range(POLLS):
        if condition():  # type: ignore[operator]
            return True
        await asyncio.sleep(0.01)
    return False


async def test_a_slow_plugin_gets_every_session_end_and_the_summary_is_written_mid_flood(
    ircd: NgircdServer, uid: str, tmp_path: Path
) -> None:
    channel, bot = f"#behind{uid}", f"presence{uid}"
    start = utcnow().replace(second=0, microsecond=0)
    database = tmp_path / "presence.sqlite3"
    settings = parse_settings(
        {
            "networks": {
                "local": {
                    "host": ircd.host,
                    "port": ircd.port,
                    "tls": False,
                    "nick": bot,
                    "channels": [
                        {
                            "name": channel,
                            "schedules": [
                                {
                                    "name": "Flood hour",
                                    "days": [WEEKDAYS[start.weekday()]],
                                    "time": f"{start:%H:%M}",
                                    "timezone": "UTC",
                                    "duration": 60,
                                }
                            ],
                        }
                    ],
                }
            },
            "storage": {"path": str(database)},
            "analysis": {"enabled": False},
            "sessions": {"adhoc": False},
            "summaries": {
                "folder": str(tmp_path / "summaries"),
                "formats": ["md"],
                "brief_before": 0,
            },
        }
    )
    nicks = [f"flood{uid}x{n}" for n in range(SENDERS)]
    texts = {nick: flood_lines(nick, BEFORE_END + AFTER_END) for nick in nicks}
    senders = await asyncio.gather(
        *(FloodSender.connect(ircd.host, ircd.port, nick, channel) for nick in nicks)
    )
    clock = ReplayClock(start - timedelta(minutes=1))
    assistant = Assistant(
        settings,
        plugin_classes={"summaries": SummariesPlugin, "slow": Slow},
        clock=clock,
        reconnect_delay=0.1,
    )
    await assistant.start()
    try:
        await senders[0].wait_for_join(bot)
        slow, summaries = (
            assistant.plugins.instance("slow"),
            assistant.plugins.instance("summaries"),
        )
        assert isinstance(slow, Slow) and isinstance(summaries, SummariesPlugin)
        clock.set(start)
        await assistant.sessions.run_due()  # the chat starts

        await asyncio.gather(*(s.send(channel, texts[s.nick][:BEFORE_END]) for s in senders))
        assert await poll(lambda: slow.ctx.delivery.behind), "the slow plugin never fell behind"
        clock.set(start + timedelta(minutes=60))
        await assistant.sessions.run_due()  # the chat ends while the slow plugin is shedding
        await asyncio.gather(*(s.send(channel, texts[s.nick][BEFORE_END:]) for s in senders))

        assert await poll(lambda: bool(summaries.delivered)), "no summary was written"
        recorded = 0
        for _ in range(POLLS):
            if (recorded := await asyncio.to_thread(count_messages, database)) >= LINES:
                break
            await asyncio.sleep(0.01)
        assert recorded == LINES
        shed = assistant.plugins.shed
        slow.gate.set()
        assert await poll(lambda: not slow.ctx.delivery.behind), "the slow plugin never caught up"
    finally:
        await assistant.stop()
        await asyncio.gather(*(s.close() for s in senders))

    sessions = [e for e in slow.events if isinstance(e, SessionStarted | SessionEnded)]
    assert [type(e) for e in sessions] == [SessionStarted, SessionEnded]
    assert sessions[0].session_id == sessions[1].session_id

    missed = slow.ctx.delivery.missed
    assert missed > 0 and shed == Counter({"slow": missed})
    assert slow.ctx.delivery.missed_types == Counter({"MessageReceived": missed})
    given = sum(isinstance(e, MessageReceived) for e in slow.events)
    assert given + missed == LINES
    told = [e for e in slow.events if isinstance(e, PluginFellBehind)]
    assert [(e.plugin, e.missed) for e in told] == [("slow", missed)]

    assert summaries.ctx.delivery.handles == (SessionEnded,)
    assert summaries.ctx.delivery.missed == 0
    [written] = list((tmp_path / "summaries").iterdir())
    text = written.read_text(encoding="utf-8")
    assert "Flood hour" in text
    assert "slow could not keep up and skipped" in text
