"""Live openings benchmark: from the IRC connector receiving a line to the opening in the browser.

Run ``python bench/web_live.py [--lines 40] [--gap 1.0] [--chatter 2]``. The whole path is
real: ngircd on 127.0.0.1; Presence (the real ``Assistant``: IRC connector, analysis workers,
every installed plugin, ``[web] enabled = true``) in this process, as ``presence run`` runs it;
Debian's headless chromium on the Now page, logged in with the token. Pacing is relaxed (no
cooldown, no hourly cap, no minimum score) so that every line the notable member ``pb``
addresses to the owner is an opening (``addressed_you``, a detector with no deliberate wait).
Between two of them, ``--chatter`` lines from other members keep the channel talking.

For each such line it takes:

- the connector's time: the ``MessageReceived`` timestamp the IRC connector stamps on the line
  as it reads it (ngircd sends no ``server-time``), noted by a bench-only plugin;
- found: the opening's ``found_at`` as the openings engine stored it;
- on the stream (the same-run baseline): when a Python client of the Now page's server-sent
  events (``/now/openings``, as the page's script reads it) first saw the opening;
- in the browser: when the opening's element appeared in the page's DOM, taken by a
  MutationObserver in the page (``Date.now()``), and the next animation frame after it.

All of them are this machine's wall clock. It prints p50/p95/p99/max of each from the
connector's time, with the machine's load before and after (``uptime``). Target: the browser's
p99 under 1 s. It prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import re
import sqlite3
import subprocess
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import httpx
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from assistant.app import Assistant
from assistant.config import Settings, parse_settings
from assistant.events import Event, MessageAnalyzed, MessageReceived
from assistant.hooks import hookimpl
from assistant.plugins import Plugin, discover_plugins
from assistant.testing.browser import headless_chromium
from assistant.testing.daemon import free_port
from assistant.testing.irc_client import SimulatedMember
from assistant.testing.ircd import run_ngircd
from assistant.web.access import load_access

CHANNEL = "#bloggers"
NETWORK = "local"
OWNER = "maria"
NOTABLE = "pb"
CHATTERERS = ("alice", "bob", "carol")
TARGET_MS = 1000.0
MARK = re.compile(r"#q(\d+)\b")
START_WAIT = 120.0  # at most, for Presence to connect, join and load its analysis workers
SHOWN_WAIT = 30.0  # at most, after the last line, for the last opening to reach the browser
MAX_LINES = 50  # the Now page shows the 50 newest pending openings

# Runs in the page: the time each opening's element first appears in the inbox (the stream
# replaces the inbox's HTML on each update, so an opening is new the first time its id is).
OBSERVER = """
window.benchSeen = {};
var inbox = document.getElementById("inbox");
function scan() {
  var now = Date.now();
  inbox.querySelectorAll(".opening").forEach(function (element) {
    var id = element.dataset.opening;
    if (!(id in window.benchSeen)) {
      var seen = [now, null];
      window.benchSeen[id] = seen;
      requestAnimationFrame(function () { seen[1] = Date.now(); });
    }
  });
}
new MutationObserver(scan).observe(inbox, {childList: true, subtree: true});
scan();
"""


class Received:
    """What the bench plugin saw: the connector's time of each marked line, by its mark."""

    at: ClassVar[dict[int, float]] = {}
    analysed: ClassVar[asyncio.Event] = asyncio.Event()
    """Set on the first analysed line: Presence is in the channel, its analysis loaded."""


class ConnectorStamps(Plugin):
    """Bench-only: notes the connector's timestamp on each marked line of the notable member."""

    @hookimpl
    def assistant_event(self, event: Event) -> None:
        if isinstance(event, MessageAnalyzed):
            Received.analysed.set()
        elif isinstance(event, MessageReceived) and event.actor.nick == NOTABLE:
            found = MARK.search(event.text)
            if found:
                Received.at.setdefault(int(found[1]), event.timestamp.timestamp())


def _settings(folder: Path, host: str, port: int) -> Settings:
    return parse_settings(
        {
            "interests": ["podcasting", "static sites"],
            "owner": {
                "name": "Maria",
                "identities": [
                    {"platform": "irc", "network": NETWORK, "account": OWNER, "nick": OWNER}
                ],
            },
            "storage": {"path": str(folder / "presence.sqlite3")},
            "networks": {
                NETWORK: {
                    "host": host,
                    "port": port,
                    "tls": False,
                    "nick": "presence",
                    "channels": [{"name": CHANNEL}],
                }
            },
            "watchlist": [
                {
                    "name": "Darren",
                    "identities": [{"platform": "irc", "network": NETWORK, "nick": NOTABLE}],
                    "priority": 5,
                }
            ],
            "plugins": {
                "openings": {
                    "notify": ["dm"],
                    "cooldown": 0,
                    "hourly_cap": 1_000_000,
                    "min_score": 0,
                    "lines_per_opening": 0,
                    "repeat_after": 0,
                }
            },
            "summaries": {"folder": str(folder / "summaries")},
            "web": {"enabled": True, "port": free_port()},
        }
    )


def uptime() -> str:
    """The machine's load, as ``uptime`` prints it."""
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def watch_stream(url: str, token: str, seen: dict[int, float], ready: asyncio.Event) -> None:
    """Note when each opening first shows on the Now page's event stream (the baseline)."""
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx.AsyncClient(timeout=None) as client,
        client.stream("GET", url + "now/openings", headers=headers) as response,
    ):
        response.raise_for_status()
        async for line in response.aiter_lines():
            now = time.time()
            if line.startswith("event: openings"):
                ready.set()
            for found in re.finditer(r'data-opening="(\d+)"', line):
                seen.setdefault(int(found[1]), now)


async def wait_for_presence(probe: SimulatedMember) -> None:
    """Wait (bounded) until Presence is in the channel and its analysis has loaded."""
    async with asyncio.timeout(START_WAIT):
        while not Received.analysed.is_set():
            await probe.say(CHANNEL, "evening all, kettle's on")  # again, until one is heard
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(Received.analysed.wait(), 2.0)


def stored(database: Path) -> dict[int, tuple[int, float, float]]:
    """Each marked opening's id, line time and ``found_at``, by its mark."""
    with contextlib.closing(sqlite3.connect(database)) as conn:
        rows = conn.execute("SELECT id, message, at, found_at FROM openings_found").fetchall()
    marked: dict[int, tuple[int, float, float]] = {}
    for opening, message, at, found_at in rows:
        found = MARK.search(message)
        if found:
            marked[int(found[1])] = (int(opening), float(at), float(found_at))
    return marked


async def run(lines: int, gap: float, chatter: int, console: Console) -> bool:
    """Play one run; print its table; return whether the target is met."""
    Received.at.clear()
    Received.analysed = asyncio.Event()
    load_before = uptime()
    stream_seen: dict[int, float] = {}
    dom_seen: dict[str, list[float | None]] = {}
    rng = random.Random(7)  # the same gaps every run
    with tempfile.TemporaryDirectory(prefix="presence-bench-web-live-") as tmp:
        folder = Path(tmp)
        profile = folder / "chromium-profile"
        async with run_ngircd() as server:
            settings = _settings(folder, server.host, server.port)
            access = load_access(settings)  # the token the dashboard will read at start
            url = f"http://127.0.0.1:{settings.web.port}/"
            plugins = {**discover_plugins(), "bench": ConnectorStamps}
            assistant = Assistant(settings, plugin_classes=plugins)
            members = {
                nick: await SimulatedMember.connect(server.host, server.port, nick)
                for nick in (OWNER, NOTABLE, *CHATTERERS)
            }
            browser: Any = None
            stream: asyncio.Task[None] | None = None
            try:
                for member in members.values():
                    await member.join(CHANNEL)
                console.print("Starting Presence (IRC connector, analysis workers, dashboard)…")
                await assistant.start()
                await wait_for_presence(members[CHATTERERS[0]])
                stream_ready = asyncio.Event()
                stream = asyncio.create_task(
                    watch_stream(url, access.secret, stream_seen, stream_ready)
                )
                browser = await asyncio.to_thread(headless_chromium, profile)
                await asyncio.to_thread(browser.get, f"{url}now?token={access.secret}")
                await asyncio.to_thread(
                    _wait_script, browser, "return !!document.querySelector('#inbox[data-updated]')"
                )
                await asyncio.to_thread(browser.execute_script, OBSERVER)
                async with asyncio.timeout(START_WAIT):
                    await stream_ready.wait()
                console.print(f"Load before: {load_before}", highlight=False)
                with Progress(console=console, transient=False) as progress:
                    sent = progress.add_task("lines sent", total=lines)
                    shown = progress.add_task("openings shown in the browser", total=lines)
                    for n in range(lines):
                        # Uneven gaps, so that lines fall anywhere in the stream's poll.
                        pause = gap * rng.uniform(0.5, 1.5) / (chatter + 1)
                        for c in range(chatter):
                            who = CHATTERERS[(n + c) % len(CHATTERERS)]
                            await members[who].say(CHANNEL, f"chatting about topic {n * 7 + c}")
                            await asyncio.sleep(pause)
                        await members[NOTABLE].say(
                            CHANNEL, f"{OWNER}: which budget mic would you pick, #q{n}?"
                        )
                        progress.update(sent, completed=n + 1)
                        await asyncio.sleep(pause)
                        dom_seen = await asyncio.to_thread(
                            browser.execute_script, "return window.benchSeen;"
                        )
                        progress.update(shown, completed=len(dom_seen))
                    deadline = time.monotonic() + SHOWN_WAIT
                    while len(dom_seen) < lines and time.monotonic() < deadline:
                        await asyncio.sleep(0.2)
                        dom_seen = await asyncio.to_thread(
                            browser.execute_script, "return window.benchSeen;"
                        )
                        progress.update(shown, completed=len(dom_seen))
                    await asyncio.sleep(0.2)  # the last animation frame
                    dom_seen = await asyncio.to_thread(
                        browser.execute_script, "return window.benchSeen;"
                    )
            finally:
                if browser is not None:
                    await asyncio.to_thread(browser.quit)
                if stream is not None:
                    stream.cancel()
                    with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
                        await stream
                await assistant.stop()
                for member in members.values():
                    await member.close()
        openings = stored(Path(settings.storage.path))
    load_after = uptime()
    return report(lines, openings, stream_seen, dom_seen, (load_before, load_after), console)


def _wait_script(browser: Any, script: str) -> None:
    deadline = time.monotonic() + START_WAIT
    while not browser.execute_script(script):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the page never satisfied: {script}")
        time.sleep(0.1)


def report(
    lines: int,
    openings: dict[int, tuple[int, float, float]],
    stream_seen: dict[int, float],
    dom_seen: dict[str, list[float | None]],
    load: tuple[str, str],
    console: Console,
) -> bool:
    """Print the table of latencies from the connector's time; return whether the target is met."""
    rows: dict[str, list[float]] = {
        "→ opening found (found_at)": [],
        "→ on the SSE stream (baseline)": [],
        "→ in the browser's DOM": [],
        "→ next frame in the browser": [],
    }
    names = list(rows)
    skew: list[float] = []
    for mark, at in sorted(Received.at.items()):
        if mark not in openings:
            continue
        opening, stored_at, found_at = openings[mark]
        skew.append(abs(stored_at - at))
        rows[names[0]].append(found_at - at)
        if opening in stream_seen:
            rows[names[1]].append(stream_seen[opening] - at)
        in_dom, painted = dom_seen.get(str(opening), (None, None))
        if in_dom is not None:
            rows[names[2]].append(in_dom / 1000 - at)
        if painted is not None:
            rows[names[3]].append(painted / 1000 - at)
    table = Table(title=f"live openings: {lines} lines, from the connector's time")
    for column in ("measure", "count", "p50 ms", "p95 ms", "p99 ms", "max ms"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    for name, values in rows.items():
        if not values:
            table.add_row(name, "0", "-", "-", "-", "-")
            continue
        table.add_row(
            name,
            str(len(values)),
            *(f"{pct(values, q) * 1000:.0f}" for q in (0.5, 0.95, 0.99)),
            f"{max(values) * 1000:.0f}",
        )
    console.print(table)
    console.print(
        f"lines the connector received: {len(Received.at)}/{lines}; openings stored: "
        f"{len(openings)}; the stored line time differs from the connector's stamp by at most "
        f"{max(skew, default=0) * 1000:.1f} ms",
        highlight=False,
    )
    console.print(f"Load before: {load[0]}\nLoad after:  {load[1]}", highlight=False)
    dom = rows[names[2]]
    ok = len(dom) == lines and pct(dom, 0.99) * 1000 < TARGET_MS
    console.print(
        f"connector → browser p99 {pct(dom, 0.99) * 1000 if dom else float('nan'):.0f} ms "
        f"(target < {TARGET_MS:.0f} ms, every opening shown): "
        + ("met" if ok else "[bold red]NOT met[/]")
    )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--lines", type=int, default=40, help=f"openings to make (1-{MAX_LINES}; default 40)"
    )
    parser.add_argument(
        "--gap",
        type=float,
        default=1.0,
        help="mean seconds from one opening line to the next (each gap 0.5-1.5 times it)",
    )
    parser.add_argument(
        "--chatter", type=int, default=2, help="other members' lines between two openings"
    )
    args = parser.parse_args()
    if not 1 <= args.lines <= MAX_LINES:
        parser.error(f"--lines must be 1-{MAX_LINES} (the Now page shows {MAX_LINES} openings)")
    console = Console()
    console.print(f"Started {datetime.now().astimezone():%Y-%m-%d %H:%M:%S %Z}", highlight=False)
    raise SystemExit(0 if asyncio.run(run(args.lines, args.gap, args.chatter, console)) else 1)


if __name__ == "__main__":
    main()
