"""Discord flood benchmark: messages/s Presence records from the gateway emulator, heartbeats, lag.

Run ``python bench/discord_flood.py [--messages 20000] [--senders 4] [--rate 2500]``. A child
process runs the Discord emulator (``assistant.testing.discord``) on 127.0.0.1 with a 1 s
heartbeat interval, so that several heartbeats fall inside the flood, and posts the flood at
``--rate`` messages a second (0: as fast as it can). This process measures, in order:

1. idle: the event-loop lag with nothing to do, i.e. what the machine's other processes cost;
2. baseline: a bare, default discord.py client (no Presence) counting the messages it
   dispatches, on its own channel;
3. Presence: the real Assistant (Discord connector, recorder, writer, plugins; analysis off,
   measured by bench/nlp.py) attending another channel; the flood counts as done when the
   last message is committed to SQLite (the child polls the file through its own connection).

The lag is a LoopLagMonitor ticking every 10 ms in this process while the flood is in flight
(the emulator's work is in the child, so it does not pollute it). Both floods are timed from
the child's first post. The child reports the heartbeats the emulator received and those
that came later than the interval plus its grace (missed). CPU µs/msg is this process's CPU
time (all threads) per message, a figure that holds whatever else the machine runs; the idle
row shows how late the loop is with nothing to do. Targets for Presence: >= 2,000
messages/s recorded, no missed heartbeat, loop lag p99 < 20 ms. Exit status 0 when all are
met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import multiprocessing
import os
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import discord
import discord.gateway
import discord.http
import yarl
from rich.console import Console
from rich.table import Table

from assistant.app import Assistant
from assistant.config import parse_settings
from assistant.connectors.discord import DiscordConnector
from assistant.lag import LoopLagMonitor
from assistant.testing.discord import DiscordEmulator

TARGET_RATE = 2_000
TARGET_LAG_P99 = 0.020
LAG_INTERVAL = 0.010
HEARTBEAT_MS = 1000  # several heartbeats fall inside a flood of a few seconds
PHASE_TIMEOUT = 120.0
POLL_INTERVAL = 0.005
TICK = 0.005  # seconds between bursts of a paced flood
IDLE_SECONDS = 2.0
TOKEN_ENV = "PRESENCE_BENCH_DISCORD_TOKEN"
GUILD = "bench"


@dataclass
class Phase:
    """What one flood measured."""

    name: str
    messages: int
    seconds: float
    lag: LoopLagMonitor
    complete: bool
    heartbeats: int
    missed: int
    sent_rate: float
    cpu: float = 0.0
    """CPU seconds this process (all its threads) used during the flood."""

    @property
    def cpu_per_message(self) -> float:
        """CPU microseconds per message: what the flood costs whatever else the machine runs."""
        return self.cpu / self.messages * 1e6 if self.messages else 0.0

    @property
    def rate(self) -> float:
        """Messages per second, from the first post to the last one received or recorded."""
        return self.messages / self.seconds if self.seconds > 0 else 0.0


# --- the emulator process --------------------------------------------------------------------


def count_rows(path: Path) -> int:
    """Committed rows in the messages table (0 until the schema exists)."""
    try:
        with closing(sqlite3.connect(path, timeout=5)) as db:
            return int(db.execute("SELECT count(*) FROM messages").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


async def post(
    emulator: DiscordEmulator, channel: str, members: list[str], per_sender: int, rate: float
) -> None:
    """Post ``per_sender`` messages from each member, paced at ``rate`` a second (0: at once)."""
    if rate <= 0:
        await asyncio.gather(
            *(emulator.flood(channel, member, per_sender, text="line") for member in members)
        )
        return
    loop = asyncio.get_running_loop()
    started, done, total = loop.time(), 0, per_sender * len(members)
    while done < total:
        due = min(total, int((loop.time() - started) * rate) + 1)
        while done < due:
            member = members[done % len(members)]
            await emulator.post_message(channel, member, f"line {done}")
            done += 1
        await asyncio.sleep(TICK)


async def serve(pipe: Connection, senders: int, rate: float) -> None:
    """Run the emulator with a scripted guild and flood on the parent's orders."""
    async with DiscordEmulator() as emulator:
        emulator.heartbeat_interval_ms = HEARTBEAT_MS
        guild = emulator.add_guild(GUILD)
        channels = {name: emulator.add_channel(guild, name) for name in ("baseline", "presence")}
        members = [emulator.add_user(f"member{n}") for n in range(senders)]
        for member in members:
            emulator.add_member(guild, member)
        pipe.send(("ready", emulator.api_base, emulator.gateway_url, emulator.token))
        loop = asyncio.get_running_loop()
        while (order := await loop.run_in_executor(None, pipe.recv)) is not None:
            channel, total, database = order
            per_sender = total // senders
            beats, missed = emulator.heartbeats_received, emulator.heartbeats_missed
            started = time.monotonic()
            pipe.send(("flooding", started))
            await post(emulator, channels[channel], members, per_sender, rate)
            await emulator.drain(PHASE_TIMEOUT)
            sent = time.monotonic()
            pipe.send(("sent", sent, per_sender * senders / (sent - started)))
            rows = 0
            if database is not None:
                for _ in range(int(PHASE_TIMEOUT / POLL_INTERVAL)):
                    if (rows := count_rows(Path(database))) >= per_sender * senders:
                        break
                    await asyncio.sleep(POLL_INTERVAL)
                pipe.send(("recorded", time.monotonic(), rows))
            await loop.run_in_executor(None, pipe.recv)  # the phase is over
            pipe.send(
                (
                    "heartbeats",
                    emulator.heartbeats_received - beats,
                    emulator.heartbeats_missed - missed,
                )
            )


def emulator_main(pipe: Connection, senders: int, rate: float) -> None:
    """The child process."""
    asyncio.run(serve(pipe, senders, rate))


# --- the measuring process -------------------------------------------------------------------


class Child:
    """The emulator process and the pipe to it, read without blocking the event loop."""

    def __init__(self, senders: int, rate: float) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipe, child_end = context.Pipe()
        self.process = context.Process(
            target=emulator_main, args=(child_end, senders, rate), daemon=True
        )
        self.process.start()
        child_end.close()

    async def expect(self, kind: str) -> tuple[Any, ...]:
        """The next message from the child, which must be ``kind``."""
        async with asyncio.timeout(PHASE_TIMEOUT):
            message: tuple[Any, ...] = await asyncio.to_thread(self.pipe.recv)
        if message[0] != kind:
            raise RuntimeError(f"emulator process said {message!r}, expected {kind!r}")
        return message

    def close(self) -> None:
        """Stop the child (bounded)."""
        if self.process.is_alive():
            with contextlib.suppress(OSError):
                self.pipe.send(None)
            self.process.join(10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


@contextlib.contextmanager
def pointed_at(api_base: str, gateway_url: str) -> Iterator[None]:
    """Point discord.py's REST base and gateway at the emulator in the child process."""
    route, ws_class = discord.http.Route, discord.gateway.DiscordWebSocket
    saved = route.BASE, ws_class.DEFAULT_GATEWAY
    route.BASE, ws_class.DEFAULT_GATEWAY = api_base, yarl.URL(gateway_url)
    try:
        yield
    finally:
        route.BASE, ws_class.DEFAULT_GATEWAY = saved


class CountingClient(discord.Client):
    """A bare client that only counts the messages it dispatches."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.count = 0
        self.done = asyncio.Event()
        self.expected = 0

    def dispatch(self, event: str, /, *args: Any, **kwargs: Any) -> None:
        super().dispatch(event, *args, **kwargs)
        if event == "message":
            self.count += 1
            if self.count >= self.expected:
                self.done.set()


async def baseline(child: Child, token: str, args: argparse.Namespace) -> Phase:
    """The flood received by a bare discord.py client."""
    intents = discord.Intents.default()
    intents.message_content = True
    client = CountingClient(intents=intents, guild_ready_timeout=0.05)
    total = args.messages // args.senders * args.senders
    client.expected = total
    await client.login(token)
    run = asyncio.create_task(client.connect())
    try:
        async with asyncio.timeout(PHASE_TIMEOUT):
            await client.wait_until_ready()
        async with LoopLagMonitor(LAG_INTERVAL) as lag:
            cpu = time.process_time()
            child.pipe.send(("baseline", total, None))
            (_, started) = await child.expect("flooding")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(PHASE_TIMEOUT):
                    await client.done.wait()
            finished = time.monotonic()
            cpu = time.process_time() - cpu
            (_, _, sent_rate) = await child.expect("sent")
        child.pipe.send("done")
        (_, beats, missed) = await child.expect("heartbeats")
    finally:
        await client.close()
        await asyncio.gather(run, return_exceptions=True)
    return Phase(
        "bare discord.py client",
        client.count,
        finished - started,
        lag,
        client.count == total,
        beats,
        missed,
        sent_rate,
        cpu,
    )


async def presence(child: Child, args: argparse.Namespace, folder: Path) -> Phase:
    """The flood attended by the real Assistant; done when the last message is in SQLite."""
    database = folder / "presence.sqlite3"
    settings = parse_settings(
        {
            "networks": {
                "bench": {
                    "platform": "discord",
                    "token_env": TOKEN_ENV,
                    "guild": GUILD,
                    "channels": [{"name": "#presence"}],
                }
            },
            "storage": {"path": str(database)},
            "analysis": {"enabled": args.analysis},
        }
    )
    total = args.messages // args.senders * args.senders
    assistant = Assistant(settings)
    await assistant.start()
    try:
        (connector,) = assistant.connectors
        assert isinstance(connector, DiscordConnector)
        async with asyncio.timeout(PHASE_TIMEOUT):
            while True:  # the connector has no event to wait on
                if connector.connected:
                    break
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.3)  # let the roster and the first flush settle
        gc.freeze()  # as `presence run` does after start-up
        async with LoopLagMonitor(LAG_INTERVAL) as lag:
            cpu = time.process_time()
            child.pipe.send(("presence", total, str(database)))
            (_, started) = await child.expect("flooding")
            (_, _, sent_rate) = await child.expect("sent")
            (_, finished, rows) = await child.expect("recorded")
            cpu = time.process_time() - cpu
        child.pipe.send("done")
        (_, beats, missed) = await child.expect("heartbeats")
    finally:
        await assistant.stop()
    return Phase(
        "Presence → SQLite",
        rows,
        finished - started,
        lag,
        rows == total,
        beats,
        missed,
        sent_rate,
        cpu,
    )


async def idle() -> Phase:
    """The loop's lag with nothing to do: what the machine alone costs (other processes)."""
    async with LoopLagMonitor(LAG_INTERVAL) as lag:
        await asyncio.sleep(IDLE_SECONDS)
    return Phase("idle loop (the machine's noise)", 0, IDLE_SECONDS, lag, True, 0, 0, 0.0)


async def measure(args: argparse.Namespace) -> tuple[Phase, Phase, Phase]:
    """Run both floods against one emulator and return what they measured."""
    child = Child(args.senders, args.rate)
    try:
        (_, api_base, gateway_url, token) = await child.expect("ready")
        os.environ[TOKEN_ENV] = token
        DiscordConnector.guild_ready_timeout = 0.05  # one guild: no need to wait for more
        with (
            tempfile.TemporaryDirectory(prefix="presence-bench-") as folder,
            pointed_at(api_base, gateway_url),
        ):
            quiet = await idle()
            bare = await baseline(child, token, args)
            attended = await presence(child, args, Path(folder))
    finally:
        child.close()
    return quiet, bare, attended


def milliseconds(seconds: float) -> str:
    """Seconds shown as milliseconds with one decimal."""
    return f"{seconds * 1000:.1f}"


def report(quiet: Phase, bare: Phase, attended: Phase, senders: int) -> bool:
    """Print the figures as a table; return whether every target is met."""
    title = (
        f"Discord flood via the emulator: {attended.messages:,} messages, {senders} senders, "
        f"heartbeat every {HEARTBEAT_MS} ms (lag in ms)"
    )
    table = Table(title=title)
    columns = (
        "path",
        "messages",
        "seconds",
        "msgs/s",
        "posted/s",
        "lag p50",
        "lag p99",
        "lag max",
        "heartbeats",
        "missed",
        "CPU µs/msg",
    )
    for column in columns:
        table.add_column(column, justify="left" if column == "path" else "right")
    for phase in (quiet, bare, attended):
        table.add_row(
            phase.name + ("" if phase.complete else " [red](incomplete)[/]"),
            f"{phase.messages:,}",
            f"{phase.seconds:.2f}",
            f"{phase.rate:,.0f}",
            f"{phase.sent_rate:,.0f}",
            milliseconds(phase.lag.percentile(50)),
            milliseconds(phase.lag.percentile(99)),
            milliseconds(phase.lag.max),
            str(phase.heartbeats),
            str(phase.missed),
            f"{phase.cpu_per_message:,.0f}",
        )
    console = Console(width=160)
    console.print(table)
    ratio = attended.rate / bare.rate if bare.rate else 0.0
    console.print(
        f"ratio Presence / bare client: {ratio:.2f}; lag p99 Presence / bare: "
        f"{milliseconds(attended.lag.percentile(99))} / {milliseconds(bare.lag.percentile(99))} ms"
    )
    rate_ok = attended.complete and attended.rate >= TARGET_RATE
    beats_ok = attended.missed == 0 and attended.heartbeats > 0
    lag_ok = attended.lag.percentile(99) < TARGET_LAG_P99
    verdict = {True: "[green]met[/]", False: "[bold red]NOT met[/]"}
    console.print(
        f"recorded >= {TARGET_RATE:,} msgs/s: {verdict[rate_ok]}; no missed heartbeat: "
        f"{verdict[beats_ok]}; lag p99 < {milliseconds(TARGET_LAG_P99)} ms: {verdict[lag_ok]}"
    )
    return rate_ok and beats_ok and lag_ok


def main() -> None:
    """Parse arguments, run both floods, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000, help="messages in each flood")
    parser.add_argument("--senders", type=int, default=4, help="members posting")
    parser.add_argument(
        "--rate",
        type=float,
        default=2_500,
        help="messages posted per second (0: as fast as the emulator can)",
    )
    parser.add_argument(
        "--analysis",
        action="store_true",
        help="also run spaCy analysis (measured on its own by bench/nlp.py; off by default)",
    )
    args = parser.parse_args()
    if args.messages < args.senders or args.senders < 1:
        parser.error("need at least one sender and one message per sender")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    quiet, bare, attended = asyncio.run(measure(args))
    raise SystemExit(0 if report(quiet, bare, attended, args.senders) else 1)


if __name__ == "__main__":
    main()
