"""Summary-side benchmarks: composing a session summary, and log import throughput.

Run ``python bench/summary.py [--lines N] [--messages N]``. First the time to compose and
render a 5,000-message session's summary (target < 1 s; ``bench/summary_render.py``, which
also runs alone), then the import tables below (see ``MEASUREMENTS``).

Import: a generated irssi log of 250,000 lines (messages from ~300 nicks, actions, joins,
parts, nick changes, day changes) is imported through ``presence import``'s own path
(reading, detection, parsing, dedupe digests, Recorder, writer, SQLite; no NLP) into a
fresh database. Same-run baselines: parsing the same file without recording, and a raw
``sqlite3`` ``executemany`` of the same message rows into the same schema.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table
from summary_render import main as summary_render  # bench/summary_render.py, beside this file

from assistant.events import MessageReceived
from assistant.importers.formats import detect_format
from assistant.importers.importer import ImportOptions, LogImporter
from assistant.importers.reading import read_log
from assistant.importers.scene import LogCalendar, Scene
from assistant.recorder import Recorder
from assistant.storage.database import Database

WORDS = (  # noqa: SIM905 (a sentence reads better than a list of words)
    "anyone interviewing over skype this week I just published a post about microphones "
    "and editing thanks for the link what do you use for hosting the episode was great "
    "we should try a collaboration next sunday welcome back how is the new blog going"
).split()

Row = tuple[str, int, float, float, str]
"""(what, items, seconds, items per second, note)."""


def generate_irssi_log(path: Path, lines: int, seed: int = 7) -> None:
    """Write an irssi log of ``lines`` lines: ~94% messages, the rest actions and presence."""
    rng = random.Random(seed)
    nicks = [f"{rng.choice(['pro', 'blog', 'pod', 'dev', 'mic'])}{n}" for n in range(300)]
    start = datetime(2024, 1, 7, 8, 30, tzinfo=UTC)
    out = [f"--- Log opened {start:%a %b %d %H:%M:%S %Y}"]
    day = start.date()
    for number in range(lines - 1):
        when = start + timedelta(seconds=3 * number)
        if when.date() != day:
            day = when.date()
            out.append(f"--- Day changed {when:%a %b %d %Y}")
            continue
        stamp = f"{when:%H:%M:%S}"
        nick = rng.choice(nicks)
        roll = rng.random()
        text = " ".join(rng.choices(WORDS, k=rng.randint(4, 14)))
        if roll < 0.02:
            out.append(f"{stamp} -!- {nick} [{nick}@host.example] has joined #bench")
        elif roll < 0.04:
            out.append(f"{stamp} -!- {nick} [{nick}@host.example] has quit [Ping timeout]")
        elif roll < 0.045:
            new = f"{nick}_"
            out.append(f"{stamp} -!- {nick} is now known as {new}")
            out.append(f"{stamp} -!- {new} is now known as {nick}")
        elif roll < 0.06:
            out.append(f"{stamp}  * {nick} {text}")
        else:
            out.append(f"{stamp} <{rng.choice('@+ ')}{nick}> {text}")
    path.write_text("\n".join(out[:lines]) + "\n", encoding="utf-8")


def parse_only(path: Path) -> tuple[int, int, float]:
    """Read, detect and parse without recording; return (lines, events, seconds)."""
    began = time.perf_counter()
    log = read_log(path)
    log_format = detect_format(log)
    assert log_format is not None
    scene, clock = Scene("bench", "#bench"), LogCalendar(date(2024, 1, 7), UTC)
    events = sum(len(p) for _, p in log_format.read(log, scene, clock) if isinstance(p, list))
    return len(log.lines), events, time.perf_counter() - began


async def import_through_recorder(path: Path, db_path: Path) -> tuple[int, int, float]:
    """Import like ``presence import`` does; return (lines, events recorded, seconds)."""
    async with await Database.open(db_path, batch_size=2000) as db:
        began = time.perf_counter()
        importer = LogImporter(db, Recorder(db), ImportOptions(network="bench"))
        report = await importer.import_file(path)
        await db.flush()
        elapsed = time.perf_counter() - began
        if report.bad_lines or report.error:
            raise SystemExit(f"import failed: {report.problems[:3]} {report.error}")
        row = await db.fetchone("SELECT count(*) FROM messages")
        assert row is not None and row[0] > 0
    return report.lines, report.recorded, elapsed


def raw_sqlite(path: Path, db_path: Path) -> tuple[int, float]:
    """Insert the log's message rows with one executemany; return (rows, seconds)."""
    log = read_log(path)
    log_format = detect_format(log)
    assert log_format is not None
    scene, clock = Scene("bench", "#bench"), LogCalendar(date(2024, 1, 7), UTC)
    messages = [
        event
        for _, parsed in log_format.read(log, scene, clock)
        if isinstance(parsed, list)
        for event in parsed
        if isinstance(event, MessageReceived)
    ]
    keys = {key: n for n, key in enumerate(sorted({m.actor.key for m in messages}), 1)}
    rows = [(1, keys[m.actor.key], m.timestamp.timestamp(), m.kind, m.text) for m in messages]
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("INSERT INTO networks (id, name, platform) VALUES (1, 'bench', 'irc')")
        conn.execute("INSERT INTO channels (id, network_id, key, name) VALUES (1, 1, 'b', 'b')")
        conn.executemany(
            "INSERT INTO identities (id, platform, network_id, key, nick, first_seen) "
            "VALUES (?, 'irc', 1, ?, ?, 0)",
            [(n, key, key) for key, n in keys.items()],
        )
        began = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO messages (channel_id, identity_id, at, kind, text) VALUES (?, ?, ?, ?, ?)",
            rows,
        )
        conn.execute("COMMIT")
        elapsed = time.perf_counter() - began
    finally:
        conn.close()
    return len(rows), elapsed


def measure_import(folder: Path, lines: int) -> tuple[str, list[Row]]:
    """Import throughput of a generated log, with its two same-run baselines."""
    log = folder / "#bench.2024-01-07.log"
    generate_irssi_log(log, lines)
    total, events, imported_s = asyncio.run(import_through_recorder(log, folder / "import.db"))
    _, parsed_events, parse_s = parse_only(log)
    schema = folder / "raw.db"
    asyncio.run(_create_schema(schema))
    rows, raw_s = raw_sqlite(log, schema)
    return (
        f"Import of a {total:,}-line irssi log (no NLP)",
        [
            ("presence import path (lines)", total, imported_s, total / imported_s, "measured"),
            ("parse only, no recording (lines)", total, parse_s, total / parse_s, "baseline"),
            ("raw sqlite3 executemany (message rows)", rows, raw_s, rows / raw_s, "baseline"),
            (
                "import / parse-only ratio",
                events,
                0.0,
                (total / imported_s) / (total / parse_s),
                f"{parsed_events:,} events parsed",
            ),
        ],
    )


async def _create_schema(path: Path) -> None:
    db = await Database.open(path)
    await db.close()


MEASUREMENTS: list[Callable[[Path, argparse.Namespace], tuple[str, list[Row]]]] = [
    lambda folder, args: measure_import(folder, args.lines),
]
"""Each measurement makes its own files in the folder and returns a titled table's rows."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=250_000, help="lines in the generated log")
    parser.add_argument("--messages", type=int, default=5000, help="messages in the session")
    args = parser.parse_args()
    asyncio.run(summary_render(args.messages, people=40, repeat=5, seed=7))
    console = Console()
    with tempfile.TemporaryDirectory(prefix="presence-bench-") as folder:
        for measure in MEASUREMENTS:
            title, rows = measure(Path(folder), args)
            table = Table(title=title)
            for column in ("what", "items", "seconds", "per second", "note"):
                table.add_column(column, justify="left" if column in ("what", "note") else "right")
            for what, items, seconds, rate, note in rows:
                per = f"{rate:,.0f}" if seconds else f"{rate:.2f}"
                table.add_row(what, f"{items:,}", f"{seconds:.2f}" if seconds else "", per, note)
            console.print(table)


if __name__ == "__main__":
    main()
