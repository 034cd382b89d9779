"""The IRC daemon killed and restarted five times in about a minute, under a running Presence.

What the owner must find: Presence came back after every restart by itself, waiting longer
after each failed try (with jitter, so a fleet does not reconnect in step), never holding two
connections to the server at once and never joining the channel twice; its memory did not
grow with the reconnects; and what was said after the last restart is recorded. The daemon's
own log says which connections it accepted and who registered on each.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import re
import sqlite3
import tracemalloc
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.app import Assistant
from assistant.config import parse_settings
from assistant.events import Connected
from assistant.testing.irc_client import SimulatedMember
from assistant.testing.ircd import NgircdServer, run_ngircd
from assistant.testing.witness import Witness

pytestmark = pytest.mark.ircd

CHANNEL = "#chaos"
NICK = "presence"
RESTARTS = 5
DOWN = 1.5  # seconds the daemon stays dead each time: long enough for three failed tries
# Seconds the daemon stays up once Presence is back: past the 5 s after which a connection
# counts as steady and the back-off starts over. Five restarts take about a minute.
HOLD = 6.0
WAIT = 90.0  # a bound on a hang, not on speed
START_DELAY = 0.2  # the first back-off; the real default is 1 s
# Memory a handful of reconnects may leave behind at most (caches warming up, log records):
# a leak of the connection's objects (reactor, buffers, rosters) would be several times it.
MEMORY_MARGIN = 3_000_000

_ACCEPTED = re.compile(r'^\[(\d+):\d+ +\d+\] Accepted connection (\d+) from "([^"]+)"')
_REGISTERED = re.compile(r'^\[(\d+):\d+ +\d+\] User "([^!"]+)!\S+ registered \(connection (\d+)\)')
_CLOSED = re.compile(r'^\[(\d+):\d+ +\d+\] Connection (\d+) with "([^"]+)" closed')


def daemon_connections(server: NgircdServer) -> list[dict[str, object]]:
    """Each connection the daemon accepted, in order: daemon pid, address, nick, open/closed."""
    connections: list[dict[str, object]] = []
    current: dict[tuple[str, str], dict[str, object]] = {}
    for line in server.log_path.read_text(errors="replace").splitlines():
        if m := _ACCEPTED.match(line):
            entry: dict[str, object] = {"pid": m[1], "address": m[3], "nick": None, "open": True}
            current[(m[1], m[2])] = entry
            connections.append(entry)
        elif m := _REGISTERED.match(line):
            if (m[1], m[3]) in current:
                current[(m[1], m[3])]["nick"] = m[2]
        elif (m := _CLOSED.match(line)) and (m[1], m[2]) in current:
            current.pop((m[1], m[2]))["open"] = False
    return connections


async def until(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition()`` (bounded by WAIT): connector state and the database have no event."""
    for _ in range(int(WAIT / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"not within {WAIT:g} s: {what}")


def waits_logged(records: list[logging.LogRecord]) -> list[float]:
    """The back-off waits the supervisor announced, in order."""
    found = (re.search(r"reconnecting in ([\d.]+) s", r.getMessage()) for r in records)
    return [float(m[1]) for m in found if m]


def traced() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def presence_came_in(line: str) -> bool:
    """In the NAMES reply to the watcher's join, or as a JOIN seen afterwards."""
    names = re.search(rf" 353 watcher . {CHANNEL} :(.*)$", line)
    if names is not None:
        return NICK in names[1].replace("@", "").replace("+", "").split()
    return re.match(rf"^:{NICK}!\S+ JOIN :?{CHANNEL}$", line) is not None


def recorded(db: Path) -> list[str]:
    """The message texts committed so far, read as another program would."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            return [text for (text,) in conn.execute("SELECT text FROM messages ORDER BY id")]
    except sqlite3.OperationalError:
        return []  # no file or no schema yet


async def test_five_restarts_in_a_minute_reconnect_once_each_and_lose_nothing_after(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="assistant.app")
    db = tmp_path / "presence.sqlite3"
    async with run_ngircd() as server:
        settings = parse_settings(
            {
                "storage": {"path": str(db), "flush_interval": 0.02},
                "analysis": {"enabled": False},
                "networks": {
                    "local": {
                        "host": server.host,
                        "port": server.port,
                        "tls": False,
                        "nick": NICK,
                        "channels": [{"name": CHANNEL}],
                    }
                },
            }
        )
        assistant = Assistant(
            settings, plugin_classes={"witness": Witness}, reconnect_delay=START_DELAY
        )
        watchers: list[SimulatedMember] = []
        sightings: list[int] = []  # per daemon lifetime: how often the watcher saw Presence come in
        cycles: list[list[float]] = []  # per restart: the waits between tries
        tracemalloc.start()
        try:
            await assistant.start()
            connector = assistant.connectors[0]
            baseline = logged = 0
            for lifetime in range(RESTARTS + 1):
                watcher = await SimulatedMember.connect(server.host, server.port, "watcher")
                watchers.append(watcher)
                await watcher.join(CHANNEL)
                await until(lambda: connector.members(CHANNEL) == ["watcher"], "back in")
                await watcher.say(CHANNEL, f"line {lifetime}")
                await until(lambda n=lifetime: f"line {n}" in recorded(db), f"line {lifetime}")
                if lifetime == 0:
                    baseline = traced()
                if lifetime > 0:
                    cycles.append(waits_logged(caplog.records[logged:]))
                sightings.append(sum(map(presence_came_in, watcher.lines)))
                if lifetime == RESTARTS:
                    break
                await asyncio.sleep(HOLD)
                logged = len(caplog.records)
                server.kill()
                await watcher.close()
                await until(lambda: not connector.connected, "noticed the loss")
                await asyncio.sleep(DOWN)
                await server.astart()
            grown = traced() - baseline
            connections = daemon_connections(server)
            witness = assistant.plugins.instance("witness")
            assert isinstance(witness, Witness)
            connected = [e for e in witness.events if isinstance(e, Connected)]
        finally:
            tracemalloc.stop()
            for one in watchers:
                await one.close()
            await assistant.stop()

    # Back in after every restart, each time once, as itself (a second connection would
    # have found the nick taken and registered under another one, or not at all).
    assert len(connected) == RESTARTS + 1
    assert sightings == [1] * (RESTARTS + 1)
    ours = [c for c in connections if c["nick"] not in ("readyprobe", "watcher")]
    per_daemon: defaultdict[object, list[object]] = defaultdict(list)
    for c in ours:
        per_daemon[c["pid"]].append(c["nick"])
    assert list(per_daemon.values()) == [[NICK]] * (RESTARTS + 1), ours

    # Back-off with jitter: while the daemon was down the waits between tries grew; after a
    # steady connection they started small again; and they are not the bare powers of two a
    # fleet of bots restarted together would share.
    assert len(cycles) == RESTARTS
    for waits in cycles:
        assert len(waits) >= 2, cycles
        assert waits[0] <= 1.5 * START_DELAY < max(waits), cycles
    nominal = {round(START_DELAY * 2**k, 1) for k in range(12)}
    assert not {w for waits in cycles for w in waits} <= nominal, cycles

    # Memory flat: the five reconnects left no connection's worth of objects behind.
    assert grown < MEMORY_MARGIN, f"{grown} bytes more after {RESTARTS} reconnects"

    # What was said after the last restart (and before each kill) is recorded, once.
    texts = recorded(db)
    assert texts == [f"line {n}" for n in range(RESTARTS + 1)]
