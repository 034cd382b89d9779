"""IRC flood benchmark: messages/s Presence records from a real ngircd, and its event-loop lag.

Run ``python bench/irc_flood.py [--lines 20000] [--senders 4]``. It starts ngircd on 127.0.0.1
and runs the same flood twice, each on its own channel:

1. baseline: a bare asyncio reader (no Presence) counts the relayed lines;
2. Presence: the real Assistant (connector, recorder, writer, plugins) attends the channel,
   and the flood counts as done when the last line is committed to SQLite. Like
   ``presence run``, it freezes what start-up made (``gc.freeze``) before the flood; the
   report also says how many transactions the SQLite writer needed, and how many events
   each plugin was not given because it fell behind (shed).

The senders run in a child process, so their work does not pollute the lag measured in this
process's event loop (a LoopLagMonitor ticking every 10 ms while the flood is in flight, its
percentiles corrected for the ticks a blocked loop misses); the child also polls the SQLite
file for the row count, through its own connection. Both phases
are timed from the child's first send. The targets are >= 5,000 messages/s recorded with a
loop lag p99 < 20 ms, and no event shed for any plugin. Exit status 0 when all are met, 1
otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import multiprocessing
import sqlite3
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from assistant.app import Assistant
from assistant.config import parse_settings
from assistant.lag import LoopLagMonitor
from assistant.testing.flood import FloodSender, flood_lines
from assistant.testing.ircd import NgircdServer, run_ngircd

TARGET_RATE = 5_000
TARGET_LAG_P99 = 0.020
LAG_INTERVAL = 0.010
PHASE_TIMEOUT = 120.0  # seconds for one flood to be received or recorded, at most
POLL_INTERVAL = 0.005  # seconds between row counts while waiting for the last line
BOT_NICK = "presence"
BASELINE_NICK = "baseline"


@dataclass
class Phase:
    """What one flood measured."""

    name: str
    lines: int
    seconds: float
    lag: LoopLagMonitor
    complete: bool
    batches: int = 0
    """Transactions the SQLite writer committed during the flood (Presence only)."""
    ops: int = 0
    """Writes those transactions held."""
    shed: dict[str, int] = field(default_factory=dict)
    """Events each plugin was not given because it fell behind (Presence only)."""

    @property
    def rate(self) -> float:
        """Lines per second, from the first send to the last line received or recorded."""
        return self.lines / self.seconds if self.seconds > 0 else 0.0


# --- the sender process ----------------------------------------------------------------------


def count_rows(path: Path) -> int:
    """Committed rows in the messages table (0 until the schema exists)."""
    try:
        with closing(sqlite3.connect(path, timeout=5)) as db:
            return int(db.execute("SELECT count(*) FROM messages").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


async def flood(pipe: Connection, order: dict[str, Any]) -> None:
    """Connect the senders, wait for the watcher to join, flood, and report times to ``pipe``."""
    host, port, channel = order["host"], order["port"], order["channel"]
    per_sender = order["lines"] // order["senders"]
    nicks = [f"{order['prefix']}{n}" for n in range(order["senders"])]
    texts = {nick: flood_lines(nick, per_sender) for nick in nicks}
    senders = await asyncio.gather(
        *(FloodSender.connect(host, port, nick, channel) for nick in nicks)
    )
    try:
        pipe.send(("ready",))
        await senders[0].wait_for_join(order["watcher"], timeout=PHASE_TIMEOUT)
        await asyncio.sleep(0.3)  # let the watcher finish joining (NAMES, first flush)
        pipe.send(("flooding", time.monotonic()))
        await asyncio.gather(*(s.send(channel, texts[s.nick]) for s in senders))
        pipe.send(("sent", time.monotonic()))
        database = order.get("database")
        if database is not None:
            total = per_sender * len(senders)
            for _ in range(int(PHASE_TIMEOUT / POLL_INTERVAL)):
                if (rows := count_rows(Path(database))) >= total:
                    break
                await asyncio.sleep(POLL_INTERVAL)
            pipe.send(("recorded", time.monotonic(), rows))
        pipe.recv()  # the parent says when the phase is over
    finally:
        await asyncio.gather(*(s.close() for s in senders))
    pipe.send(("closed",))


def sender_main(pipe: Connection) -> None:
    """The child process: run one flood per order until told to stop."""
    while (order := pipe.recv()) is not None:
        asyncio.run(flood(pipe, order))


# --- the measuring process -------------------------------------------------------------------


class Child:
    """The sender process and the pipe to it, read without blocking the event loop."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipe, child_end = context.Pipe()
        self.process = context.Process(target=sender_main, args=(child_end,), daemon=True)
        self.process.start()
        child_end.close()

    async def expect(self, kind: str) -> tuple[Any, ...]:
        """The next message from the child, which must be ``kind``."""
        async with asyncio.timeout(PHASE_TIMEOUT):
            message: tuple[Any, ...] = await asyncio.to_thread(self.pipe.recv)
        if message[0] != kind:
            raise RuntimeError(f"sender process said {message!r}, expected {kind!r}")
        return message

    def close(self) -> None:
        """Stop the child (bounded)."""
        if self.process.is_alive():
            self.pipe.send(None)
            self.process.join(10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


def order_for(server: NgircdServer, channel: str, args: argparse.Namespace) -> dict[str, Any]:
    """The child's instructions for one flood."""
    return {
        "host": server.host,
        "port": server.port,
        "channel": channel,
        "lines": args.lines,
        "senders": args.senders,
    }


async def baseline(child: Child, server: NgircdServer, args: argparse.Namespace) -> Phase:
    """The same flood received by a bare reader that only counts PRIVMSG lines."""
    channel = "#baseline"
    order = {**order_for(server, channel, args), "watcher": BASELINE_NICK, "prefix": "base"}
    child.pipe.send(order)
    await child.expect("ready")
    expected = args.lines // args.senders * args.senders
    reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(f"NICK {BASELINE_NICK}\r\nUSER b 0 * :b\r\nJOIN {channel}\r\n".encode())
    (_, started) = await child.expect("flooding")
    received, tail = 0, b""
    async with LoopLagMonitor(LAG_INTERVAL) as lag:
        async with asyncio.timeout(PHASE_TIMEOUT):
            while received < expected and (data := await reader.read(1 << 16)):
                chunk = tail + data
                cut = chunk.rfind(b"\n") + 1
                received += chunk.count(b" PRIVMSG ", 0, cut)
                tail = chunk[cut:]
        finished = time.monotonic()
    await child.expect("sent")
    child.pipe.send("done")
    writer.write(b"QUIT\r\n")
    writer.close()
    await child.expect("closed")
    return Phase(
        "bare reader, no Presence", received, finished - started, lag, received == expected
    )


async def presence(
    child: Child, server: NgircdServer, args: argparse.Namespace, folder: Path
) -> Phase:
    """The flood attended by the real Assistant; done when the last line is in SQLite."""
    channel = "#presence"
    database = folder / "presence.sqlite3"
    settings = parse_settings(
        {
            "networks": {
                "bench": {
                    "host": server.host,
                    "port": server.port,
                    "tls": False,
                    "nick": BOT_NICK,
                    "channels": [{"name": channel}],
                }
            },
            "storage": {"path": str(database)},
            "analysis": {"enabled": args.analysis},
        }
    )
    order = {**order_for(server, channel, args), "watcher": BOT_NICK, "prefix": "member"}
    order["database"] = str(database)
    child.pipe.send(order)
    await child.expect("ready")
    assistant = Assistant(settings)
    await assistant.start()
    gc.freeze()  # as `presence run` does after start-up: full collections skip what lives for good
    try:
        writer = assistant.db.writer
        batches, ops = writer.batches, writer.committed
        (_, started) = await child.expect("flooding")
        async with LoopLagMonitor(LAG_INTERVAL) as lag:
            await child.expect("sent")
            (_, finished, rows) = await child.expect("recorded")
        batches, ops = writer.batches - batches, writer.committed - ops
        # Shedding happens as events are published, so once the last line is recorded
        # these counts are final for the flood, whatever the plugins still have queued.
        shed = {name: assistant.plugins.shed[name] for name in assistant.plugins.names}
        child.pipe.send("done")
        await child.expect("closed")
    finally:
        await assistant.stop()
    expected = args.lines // args.senders * args.senders
    return Phase(
        "Presence → SQLite", rows, finished - started, lag, rows == expected, batches, ops, shed
    )


async def measure(args: argparse.Namespace) -> tuple[Phase, Phase]:
    """Run both floods against one ngircd and return what they measured."""
    child = Child()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="presence-bench-") as folder,
            run_ngircd() as server,
        ):
            bare = await baseline(child, server, args)
            attended = await presence(child, server, args, Path(folder))
    finally:
        child.close()
    return bare, attended


def milliseconds(seconds: float) -> str:
    """Seconds shown as milliseconds with one decimal."""
    return f"{seconds * 1000:.1f}"


def report(bare: Phase, attended: Phase, senders: int) -> bool:
    """Print the figures as a table; return whether both targets are met."""
    title = f"IRC flood via ngircd: {attended.lines:,} lines, {senders} senders (lag in ms)"
    table = Table(title=title)
    for column in ("path", "lines", "seconds", "msgs/s", "lag p50", "lag p99", "lag max"):
        table.add_column(column, justify="left" if column == "path" else "right")
    for phase in (bare, attended):
        table.add_row(
            phase.name + ("" if phase.complete else " [red](incomplete)[/]"),
            f"{phase.lines:,}",
            f"{phase.seconds:.2f}",
            f"{phase.rate:,.0f}",
            milliseconds(phase.lag.percentile(50)),
            milliseconds(phase.lag.percentile(99)),
            milliseconds(phase.lag.max),
        )
    console = Console()
    console.print(table)
    ratio = attended.rate / bare.rate if bare.rate else 0.0
    # Few samples mean a blocked loop: a ticker cannot sample while the loop is not running.
    late = sum(attended.lag.samples) / attended.seconds if attended.seconds else 0.0
    console.print(
        f"ratio Presence / bare reader: {ratio:.2f}; Presence loop: "
        f"{len(attended.lag.samples)} lag samples every {milliseconds(LAG_INTERVAL)} ms asked, "
        f"timers late {late:.0%} of the flood; SQLite writer: {attended.batches} transactions, "
        f"{attended.ops / attended.batches if attended.batches else 0:,.0f} writes each on average"
    )
    console.print(
        "events shed per plugin: "
        + (", ".join(f"{name} {count:,}" for name, count in attended.shed.items()) or "no plugins")
    )
    rate_ok = attended.complete and attended.rate >= TARGET_RATE
    lag_ok = attended.lag.percentile(99) < TARGET_LAG_P99
    shed_ok = not any(attended.shed.values())
    console.print(
        f"recorded >= {TARGET_RATE:,} msgs/s: "
        + ("[green]met[/]" if rate_ok else "[bold red]NOT met[/]")
        + f"; lag p99 < {milliseconds(TARGET_LAG_P99)} ms: "
        + ("[green]met[/]" if lag_ok else "[bold red]NOT met[/]")
        + "; no events shed: "
        + ("[green]met[/]" if shed_ok else "[bold red]NOT met[/]")
    )
    return rate_ok and lag_ok and shed_ok


def main() -> None:
    """Parse arguments, run both floods, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=20_000, help="lines in each flood")
    parser.add_argument("--senders", type=int, default=4, help="simulated members sending")
    parser.add_argument(
        "--analysis",
        action="store_true",
        help="also run spaCy analysis (measured on its own by bench/nlp.py; off by default)",
    )
    args = parser.parse_args()
    if args.lines < args.senders or args.senders < 1:
        parser.error("need at least one sender and one line per sender")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    bare, attended = asyncio.run(measure(args))
    raise SystemExit(0 if report(bare, attended, args.senders) else 1)


if __name__ == "__main__":
    main()
