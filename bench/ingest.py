"""Ingestion benchmark: events through the Recorder versus a raw bulk insert of the rows.

Run ``python bench/ingest.py [--events N] [--backend sqlite|postgresql] [--message-ids]``. It
generates realistic chat traffic (mostly channel messages from ~200 nicks across a few
channels, with joins and parts; with ``--message-ids`` each message has a platform id, as on
Discord, which the recorder checks for repeats), records it through
:class:`~assistant.recorder.Recorder` into a fresh database (timing includes the final flush),
then inserts the same message rows with one raw ``executemany`` into a file with the same
schema and pragmas. With ``--backend postgresql`` it records into a throwaway PostgreSQL
cluster (the test kit's, on 127.0.0.1) and the baseline is asyncpg's ``copy_records_to_table``
(PostgreSQL's ``COPY``) into a second database with the same schema. It prints both rates and
their ratio; the targets are >= 20,000 events/s and a ratio >= 0.3. It also prints what bounds
a crash's loss: the operations per writer transaction (max and p99, at most the batch size) and
the most operations ever uncommitted at once. On PostgreSQL it then runs two instances (two
processes, each a Database and a Recorder) recording disjoint channels into one database at
once, half of the events each, and prints their aggregate rate next to the single instance's
(target >= 1.5x), three times: one network each, one network with a fifth of the people in
both, and one network with the same people (:func:`two_instances`).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import multiprocessing.queues
import multiprocessing.synchronize
import os
import random
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from rich.console import Console
from rich.table import Table

from assistant.events import (
    Event,
    Identity,
    MemberJoined,
    MemberLeft,
    MessageReceived,
    irc_casefold,
)
from assistant.recorder import Recorder
from assistant.storage.database import Database

NETWORK = "libera"
CHANNELS = ("#bloggers", "#podcasting", "#python", "#offtopic")
SENTENCES = (
    "anyone interviewing over skype this week I just published a post about microphones "
    "and editing thanks for the link what do you use for hosting the episode was great "
    "we should try a collaboration next sunday welcome back how is the new blog going"
)
WORDS = SENTENCES.split()
TARGET_RATE = 20_000
TARGET_RATIO = 0.3
TARGET_SCALING = 1.5  # two instances writing at once, against one
# Events arrive from sockets in bursts; the loop gets control back between bursts.
BURST = 100


def generate(
    count: int,
    seed: int,
    channels: tuple[str, ...] = CHANNELS,
    *,
    message_ids: bool = False,
    network: str = NETWORK,
    people: int | None = None,
) -> list[Event]:
    """Return ``count`` events in ``channels``: ~96% messages, the rest joins and parts.

    With ``message_ids`` each message has a platform id, as a Discord message has (unique
    within the seed). The ~200 nicks come from ``people`` when given (two streams with the
    same ``people`` are said by the same people), else from ``seed``.
    """
    rng = random.Random(seed)
    names = rng if people is None else random.Random(people)
    nicks = [f"{names.choice(['pro', 'blog', 'pod', 'dev', 'mic'])}{name}" for name in range(200)]
    identities = [
        Identity(platform="irc", network=network, nick=n, userhost=f"{n}@h") for n in nicks
    ]
    inside: dict[tuple[int, str], bool] = {}
    start = datetime(2024, 1, 7, 8, 30, tzinfo=UTC)
    events: list[Event] = []
    for number in range(count):
        when = start + timedelta(milliseconds=250 * number)
        who = rng.randrange(len(identities))
        channel = rng.choice(channels)
        actor = identities[who]
        if rng.random() < 0.04:
            if inside.get((who, channel)):
                events.append(
                    MemberLeft(
                        platform="irc",
                        network=network,
                        timestamp=when,
                        channel=channel,
                        actor=actor,
                        kind="part",
                        reason="later",
                    )
                )
            else:
                events.append(
                    MemberJoined(
                        platform="irc",
                        network=network,
                        timestamp=when,
                        channel=channel,
                        actor=actor,
                    )
                )
            inside[who, channel] = not inside.get((who, channel))
            continue
        text = " ".join(rng.choices(WORDS, k=rng.randint(4, 14)))
        events.append(
            MessageReceived(
                platform="irc",
                network=network,
                timestamp=when,
                channel=channel,
                actor=actor,
                text=text,
                message_id=f"{seed}-{number}" if message_ids else None,
            )
        )
    return events


class WriterFigures(NamedTuple):
    """What the writer did during the run."""

    batches: int
    ops_max: int
    ops_p99: int
    most_uncommitted: int
    stalls: int


def writer_figures(db: Database) -> WriterFigures:
    """Transactions, operations per transaction (max, p99) and the largest uncommitted backlog."""
    sizes = db.writer.batch_sizes
    total = sum(sizes.values())
    p99, seen = 0, 0
    for size in sorted(sizes):
        seen += sizes[size]
        if seen >= 0.99 * total:
            p99 = size
            break
    writer = db.writer
    return WriterFigures(total, max(sizes, default=0), p99, writer.most_uncommitted, writer.stalls)


class Run(NamedTuple):
    """One recording: when it began and ended (``time.monotonic``) and the writer's figures."""

    began: float
    ended: float
    writer: WriterFigures
    cpu: CpuUse | None = None


async def through_recorder(
    open_db: Callable[[], Awaitable[Database]],
    events: list[Event],
    ready: Callable[[], Awaitable[None]] | None = None,
    server_meter: Callable[[], float] | None = None,
) -> Run:
    """Record every event and flush; return when that began and ended and the writer's figures.

    ``ready`` is awaited once the database is open, before the clock starts. With
    ``server_meter`` (the server's CPU seconds so far) the run also says what it cost in CPU
    time, this process's and the server's.
    """
    db = await open_db()
    try:
        recorder = Recorder(db)
        take = recorder.take  # as the app takes a connector's events: held back, not blocked
        if ready is not None:
            await ready()
        client, server = time.process_time(), server_meter() if server_meter else 0.0
        began = time.monotonic()
        for start in range(0, len(events), BURST):
            for event in events[start : start + BURST]:
                await take(event)
            await asyncio.sleep(0)
        await db.flush()
        ended = time.monotonic()
        cpu = None
        if server_meter is not None:
            cpu = CpuUse(time.process_time() - client, server_meter() - server)
        figures = writer_figures(db)
        channels = sorted(
            {
                irc_casefold(e.channel)
                for e in events
                if isinstance(e, MessageReceived) and e.channel
            }
        )
        marks = ", ".join("?" * len(channels))
        row = await db.fetchone(
            "SELECT count(*) FROM messages WHERE channel_id IN "
            f"(SELECT id FROM channels WHERE key IN ({marks}))",
            channels,
        )
        expected = sum(isinstance(e, MessageReceived) for e in events)
        if row is None or row[0] != expected:
            raise SystemExit(f"recorder wrote {row and row[0]} messages, expected {expected}")
    finally:
        await db.close()
    return Run(began, ended, figures, cpu)


def one_of_two(
    dsn: str,
    batch_size: int,
    events: list[Event],
    start: multiprocessing.synchronize.Barrier,
    results: multiprocessing.queues.Queue[tuple[float, float]],
) -> None:
    """In a process of its own: record ``events`` into ``dsn`` once both instances are open."""

    async def ready() -> None:
        await asyncio.to_thread(start.wait)

    run = asyncio.run(
        through_recorder(
            lambda: Database.open_postgresql(dsn, batch_size=batch_size), events, ready
        )
    )
    results.put((run.began, run.ended))


# How the people of two instances overlap (see two_instances), in the order they are printed.
SHARING = {
    "apart": "one network each",
    "some": "one network, a fifth of the people in both",
    "all": "one network, the same people",
}


def two_instances(
    dsn: str,
    batch_size: int,
    count: int,
    seed: int,
    *,
    message_ids: bool = False,
    sharing: str = "some",
) -> float:
    """Two instances (two processes) record disjoint channels into ``dsn`` at once.

    Each records half of ``count`` events, in channels of its own. ``sharing`` says whose
    lines: ``apart``, each on a network of its own (one instance per network: no identity in
    common); ``some``, on the same network, each from its own ~200 nicks of which about a
    fifth are the other's too; ``all``, on the same network from the same ~200 people (one
    instance per team member in one community). Every line a member says references their
    identity row, and PostgreSQL's foreign-key check locks that row (``FOR KEY SHARE``) until
    the transaction ends: rows both instances lock at once cost more. Returns the seconds
    from the first start to the last flush.
    """
    spawn = multiprocessing.get_context("spawn")
    start = spawn.Barrier(2)
    results: multiprocessing.queues.Queue[tuple[float, float]] = spawn.Queue()
    workers = [
        spawn.Process(
            target=one_of_two,
            args=(
                dsn,
                batch_size,
                generate(
                    count // 2,
                    seed + number,
                    tuple(f"{c}-{number}" for c in CHANNELS),
                    message_ids=message_ids,
                    network=f"{NETWORK}-{number}" if sharing == "apart" else NETWORK,
                    people=seed if sharing == "all" else None,
                ),
                start,
                results,
            ),
        )
        for number in range(2)
    ]
    for worker in workers:
        worker.start()
    spans = [results.get() for _ in workers]
    for worker in workers:
        worker.join()
        if worker.exitcode != 0:
            raise SystemExit(f"an instance failed (exit status {worker.exitcode})")
    return max(ended for _, ended in spans) - min(began for began, _ in spans)


async def prepare_schema(path: Path) -> None:
    """Create a file with the same schema (the core migrations) and nothing else."""
    db = await Database.open(path)
    await db.close()


def raw_rows(events: list[Event]) -> tuple[list[str], list[str], list[tuple[object, ...]]]:
    """Return the channel keys, identity keys and message rows the raw insert will use."""
    channels = sorted({e.channel for e in events if isinstance(e, MessageReceived) and e.channel})
    nicks = sorted({e.actor.key for e in events if isinstance(e, MessageReceived)})
    channel_ids = {name: number for number, name in enumerate(channels, 1)}
    identity_ids = {key: number for number, key in enumerate(nicks, 1)}
    rows: list[tuple[object, ...]] = [
        (
            channel_ids[e.channel],
            identity_ids[e.actor.key],
            e.timestamp.timestamp(),
            e.kind,
            e.text,
            e.message_id,
            e.reply_to,
        )
        for e in events
        if isinstance(e, MessageReceived) and e.channel is not None
    ]
    return channels, nicks, rows


def through_raw_sqlite(path: Path, events: list[Event]) -> tuple[int, float]:
    """Insert the message rows with one executemany; return (rows, seconds)."""
    channels, nicks, rows = raw_rows(events)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("INSERT INTO networks (id, name, platform) VALUES (1, ?, 'irc')", (NETWORK,))
        conn.executemany(
            "INSERT INTO channels (id, network_id, key, name) VALUES (?, 1, ?, ?)",
            [(number, name, name) for number, name in enumerate(channels, 1)],
        )
        conn.executemany(
            "INSERT INTO identities (id, platform, network_id, key, nick, first_seen) "
            "VALUES (?, 'irc', 1, ?, ?, 0)",
            [(number, key, key) for number, key in enumerate(nicks, 1)],
        )
        began = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO messages (channel_id, identity_id, at, kind, text, message_id, reply_to) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.execute("COMMIT")
        elapsed = time.perf_counter() - began
    finally:
        conn.close()
    return len(rows), elapsed


async def through_raw_postgresql(dsn: str, events: list[Event]) -> tuple[int, float]:
    """COPY the message rows into a migrated PostgreSQL database; return (rows, seconds)."""
    import asyncpg

    async with await Database.open_postgresql(dsn):
        pass  # the same schema as the recorder's database
    channels, nicks, rows = raw_rows(events)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "INSERT INTO networks (id, name, platform) VALUES (1, $1, 'irc')", NETWORK
        )
        await conn.executemany(
            "INSERT INTO channels (id, network_id, key, name) VALUES ($1, 1, $2, $3)",
            [(number, name, name) for number, name in enumerate(channels, 1)],
        )
        await conn.executemany(
            "INSERT INTO identities (id, platform, network_id, key, nick, first_seen) "
            "VALUES ($1, 'irc', 1, $2, $3, 0)",
            [(number, key, key) for number, key in enumerate(nicks, 1)],
        )
        began = time.perf_counter()
        async with conn.transaction():
            await conn.copy_records_to_table(
                "messages",
                records=rows,
                columns=[
                    "channel_id",
                    "identity_id",
                    "at",
                    "kind",
                    "text",
                    "message_id",
                    "reply_to",
                ],
            )
        elapsed = time.perf_counter() - began
    finally:
        await conn.close()
    return len(rows), elapsed


_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int, *, reaped: bool = False) -> float:
    """CPU time a process used (user + system), with its reaped children's when asked."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # it exited meanwhile
        return 0.0
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if reaped:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / _TICKS


def server_cpu(data_dir: Path) -> float:
    """CPU seconds the PostgreSQL server used so far: the postmaster, the backends it reaped
    and the ones still running (read from /proc; the first line of postmaster.pid is its pid).
    """
    postmaster = int((data_dir / "postmaster.pid").read_text().split()[0])
    children = [
        int(pid) for pid in os.listdir("/proc") if pid.isdigit() and _parent(int(pid)) == postmaster
    ]
    return _cpu_seconds(postmaster, reaped=True) + sum(_cpu_seconds(c) for c in children)


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return -1


class CpuUse(NamedTuple):
    """CPU seconds one instance's recording took: its own process and the server's."""

    client: float
    server: float


def report(
    events: int,
    recorder_s: float,
    writer: WriterFigures,
    rows: int,
    raw_s: float,
    batch_size: int,
    backend: str,
    two: dict[str, float] | None = None,
    cpu: CpuUse | None = None,
) -> bool:
    """Print the figures as a table; return whether the targets are met.

    ``two`` is how long two instances took to record ``events`` between them, at once, per
    way their people overlap (:data:`SHARING`);
    ``cpu`` what one instance's recording cost in CPU time, the server's included.
    """
    rate = events / recorder_s
    raw_rate = rows / raw_s
    ratio = rate / raw_rate
    engine, raw_name = (
        ("PostgreSQL", "raw asyncpg COPY")
        if backend == "postgresql"
        else ("SQLite", "raw sqlite3 executemany")
    )
    table = Table(title=f"Ingestion into {engine}: {events:,} events, batch size {batch_size}")
    table.add_column("path")
    table.add_column("items", justify="right")
    table.add_column("seconds", justify="right")
    table.add_column("per second", justify="right")
    table.add_column("target", justify="right")
    table.add_row(
        f"Recorder → writer → {engine} (events)",
        f"{events:,}",
        f"{recorder_s:.2f}",
        f"{rate:,.0f}",
        f">= {TARGET_RATE:,}",
    )
    table.add_row(f"{raw_name} (rows)", f"{rows:,}", f"{raw_s:.2f}", f"{raw_rate:,.0f}", "")
    table.add_row("ratio recorder / raw", "", "", f"{ratio:.2f}", f">= {TARGET_RATIO}")
    scaled = True
    for sharing, seconds in (two or {}).items():
        two_rate = events / seconds
        scaled = scaled and two_rate >= TARGET_SCALING * rate
        table.add_row(
            f"two instances at once, {SHARING[sharing]} → {engine} (events)",
            f"{events:,}",
            f"{seconds:.2f}",
            f"{two_rate:,.0f}",
            "",
        )
        table.add_row(
            f"ratio two instances / one ({sharing})",
            "",
            "",
            f"{two_rate / rate:.2f}",
            f">= {TARGET_SCALING}",
        )
    console = Console()
    console.print(table)
    if cpu is not None:
        # Two instances share the machine's cores with each other and with the server: they
        # can go at most as much faster as the cores one instance leaves idle allow.
        busy = (cpu.client + cpu.server) / recorder_s
        cores = os.cpu_count() or 1
        console.print(
            f"one instance kept {busy:.2f} of {cores} cores busy (its process "
            f"{cpu.client / recorder_s:.2f}, the server {cpu.server / recorder_s:.2f}): two "
            f"instances can reach at most {min(2.0, cores / busy):.2f}x on this machine"
        )
    # A crash loses at most what is uncommitted: one batch, if the writer keeps its bound.
    console.print(
        f"writer transactions: {writer.batches:,}; operations per transaction: "
        f"max {writer.ops_max:,}, p99 {writer.ops_p99:,} (batch size {batch_size:,}); "
        f"most uncommitted at once: {writer.most_uncommitted:,}; stalls: {writer.stalls}"
    )
    bounded = writer.most_uncommitted <= batch_size
    if not bounded:
        console.print("[bold red]more than a batch was uncommitted: a crash would lose more[/]")
    met = rate >= TARGET_RATE and ratio >= TARGET_RATIO and bounded and scaled
    console.print("targets met" if met else "[bold red]targets NOT met[/]")
    return met


def main() -> None:
    """Parse arguments, run both measurements, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000, help="events to generate")
    parser.add_argument("--batch-size", type=int, default=2000, help="writer batch size")
    parser.add_argument("--seed", type=int, default=7, help="random seed for the traffic")
    parser.add_argument(
        "--backend",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="record into an SQLite file (default) or a throwaway PostgreSQL cluster",
    )
    parser.add_argument(
        "--message-ids",
        action="store_true",
        help="give each message a platform id, as Discord does (IRC lines have none)",
    )
    args = parser.parse_args()
    events = generate(args.events, args.seed, message_ids=args.message_ids)
    batch = args.batch_size
    if args.backend == "postgresql":
        from assistant.testing.postgres import run_postgres

        with run_postgres() as cluster:
            recorded, raw = cluster.create_database(), cluster.create_database()
            run = asyncio.run(
                through_recorder(
                    lambda: Database.open_postgresql(recorded, batch_size=batch),
                    events,
                    server_meter=lambda: server_cpu(cluster.data_dir),
                )
            )
            rows, raw_s = asyncio.run(through_raw_postgresql(raw, events))
            two: dict[str, float] | None = {
                sharing: two_instances(
                    cluster.create_database(),
                    batch,
                    len(events),
                    args.seed,
                    message_ids=args.message_ids,
                    sharing=sharing,
                )
                for sharing in SHARING
            }
    else:
        with tempfile.TemporaryDirectory(prefix="presence-bench-") as folder:
            path = Path(folder) / "recorder.sqlite3"
            run = asyncio.run(
                through_recorder(lambda: Database.open(path, batch_size=batch), events)
            )
            raw_path = Path(folder) / "raw.sqlite3"
            asyncio.run(prepare_schema(raw_path))
            rows, raw_s = through_raw_sqlite(raw_path, events)
            two = None
    recorder_s = run.ended - run.began
    met = report(
        len(events), recorder_s, run.writer, rows, raw_s, batch, args.backend, two, run.cpu
    )
    raise SystemExit(0 if met else 1)


if __name__ == "__main__":
    main()
