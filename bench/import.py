"""Import benchmark: ``presence import``'s speed per format, next to two baselines.

Run ``python bench/import.py [--lines N] [--formats irssi,weechat,...]``. For each format it
writes a generated log of N lines (default 200,000: ~93% messages and actions, the rest
joins, parts, quits and nick changes, ~200 nicks, crossing midnights) in that format's real
layout, then times, in the same run:

- **parse**: reading the file and the format's reader turning every line into events, with
  nothing recorded (the importer cannot be faster than this);
- **import**: :class:`~assistant.importers.importer.LogImporter` into a fresh database with
  analysis off (the recorder path only, as ``presence import`` runs), including the final
  flush; the figure the issue's target (>= 20,000 lines/s) is about;
- **raw**: the same message rows inserted with one ``executemany`` into a file with the same
  schema (what SQLite alone needs).

It prints chat lines (one event each) per second for each, the import's rate per CPU second
(what it costs whatever else the machine runs), its share of the raw rate, and whether the
target is met. Every imported log is checked: all its lines recorded, none bad.

``python bench/import.py --share FOLDER...`` instead imports every file under the folders
(as ``presence import FOLDER --date-from mtime`` would, into a scratch database) and prints,
per format, the share of chat lines recorded: of the lines (rows, messages) that are chat —
every one that gave events or was reported bad, not headers and mode lines, which give
none — those whose events were recorded. Files no format knows are counted apart.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from rich.console import Console
from rich.table import Table

from assistant.events import Event, MessageReceived
from assistant.importers.formats import format_named
from assistant.importers.importer import ImportOptions, LogImporter
from assistant.importers.reading import read_log
from assistant.importers.scene import BadLine, LogCalendar, Scene
from assistant.recorder import Recorder
from assistant.storage.database import Database

TARGET_RATE = 20_000
START = datetime(2021, 4, 12, 8, 30, tzinfo=UTC)
SENTENCES = (
    "anyone tried the new release yet I just pushed a fix for the build thanks for the link "
    "what do you use for hosting the meeting notes are up we should review that next week "
    "welcome back how is the migration going"
)
WORDS = SENTENCES.split()


class Line(NamedTuple):
    """One generated happening: when, who, what (message, action, join, part, quit, nick)."""

    at: datetime
    nick: str
    kind: str
    text: str


def happenings(count: int, seed: int) -> Iterator[Line]:
    """``count`` lines of a busy channel: a line every ~2 s, so a 200,000-line log spans days."""
    rng = random.Random(seed)
    nicks = [f"{rng.choice(['ann', 'bo', 'cy', 'dee', 'eve'])}{n}" for n in range(200)]
    at = START
    for _ in range(count):
        at += timedelta(seconds=rng.randint(1, 3))
        who = rng.randrange(len(nicks))
        roll = rng.random()
        if roll < 0.02:
            yield Line(at, nicks[who], "join", "")
        elif roll < 0.04:
            yield Line(at, nicks[who], "part", "see you")
        elif roll < 0.05:
            yield Line(at, nicks[who], "quit", "Ping timeout")
        elif roll < 0.055:
            new = nicks[who] + "_"
            yield Line(at, nicks[who], "nick", new)
            nicks[who] = new
        elif roll < 0.07:
            yield Line(at, nicks[who], "action", " ".join(rng.choices(WORDS, k=4)))
        else:
            yield Line(
                at, nicks[who], "message", " ".join(rng.choices(WORDS, k=rng.randint(3, 14)))
            )


def _irssi(lines: list[Line]) -> list[str]:
    out, day = [f"--- Log opened {START:%a %b %d %H:%M:%S %Y}"], START.date()
    for line in lines:
        if line.at.date() != day:
            day = line.at.date()
            out.append(f"--- Day changed {line.at:%a %b %d %Y}")
        t = f"{line.at:%H:%M}"
        out.append(
            {
                "message": f"{t} < {line.nick}> {line.text}",
                "action": f"{t}  * {line.nick} {line.text}",
                "join": f"{t} -!- {line.nick} [~{line.nick}@host] has joined #bench",
                "part": f"{t} -!- {line.nick} [~{line.nick}@host] has left #bench [{line.text}]",
                "quit": f"{t} -!- {line.nick} [~{line.nick}@host] has quit [{line.text}]",
                "nick": f"{t} -!- {line.nick} is now known as {line.text}",
            }[line.kind]
        )
    return out


def _weechat(lines: list[Line]) -> list[str]:
    out = []
    for line in lines:
        t = f"{line.at:%Y-%m-%d %H:%M:%S}"
        out.append(
            {
                "message": f"{t}\t@{line.nick}\t{line.text}",
                "action": f"{t}\t *\t{line.nick} {line.text}",
                "join": f"{t}\t-->\t{line.nick} (~{line.nick}@host) has joined #bench",
                "part": f"{t}\t<--\t{line.nick} (~{line.nick}@host) has left #bench ({line.text})",
                "quit": f"{t}\t<--\t{line.nick} (~{line.nick}@host) has quit ({line.text})",
                "nick": f"{t}\t--\t{line.nick} is now known as {line.text}",
            }[line.kind]
        )
    return out


def _znc(lines: list[Line]) -> list[str]:
    out = []
    for line in lines:
        t = f"[{line.at:%H:%M:%S}]"
        out.append(
            {
                "message": f"{t} <{line.nick}> {line.text}",
                "action": f"{t} * {line.nick} {line.text}",
                "join": f"{t} *** Joins: {line.nick} (~{line.nick}@host)",
                "part": f"{t} *** Parts: {line.nick} (~{line.nick}@host) ({line.text})",
                "quit": f"{t} *** Quits: {line.nick} (~{line.nick}@host) ({line.text})",
                "nick": f"{t} *** {line.nick} is now known as {line.text}",
            }[line.kind]
        )
    return out


def _ubuntu(lines: list[Line]) -> list[str]:
    out = []
    for line in lines:
        t = f"[{line.at:%H:%M}]"
        out.append(
            {
                "message": f"{t} <{line.nick}> {line.text}",
                "action": f"{t} * {line.nick} {line.text}",
                "join": f"=== {line.nick} [~{line.nick}@host] has joined #ubuntu",
                "part": f"=== {line.nick} [~{line.nick}@host] has left #ubuntu [{line.text}]",
                "quit": f"=== {line.nick} [~{line.nick}@host] has quit [{line.text}]",
                "nick": f"=== {line.nick} is now known as {line.text}",
            }[line.kind]
        )
    return out


def _w3c(lines: list[Line]) -> list[str]:
    out = []
    for line in lines:
        t = f"[{line.at:%Y-%m-%dT%H:%M:%S}.000Z]"
        if line.kind == "action":
            out.append(f"{t}\t*\t{line.nick} {line.text}")
        elif line.kind == "message":
            out.append(f"{t}\t<{line.nick}>\t{line.text}")
    return out


def _gitter(lines: list[Line]) -> list[str]:
    return [
        f"[{line.at:%Y-%m-%dT%H:%M:%S}] <{line.nick}> {line.text}"
        for line in lines
        if line.kind == "message"
    ]


def _pidgin(lines: list[Line]) -> list[str]:
    out = [f"Conversation with #bench at {START:%a %d %b %Y %I:%M:%S %p} UTC on me@irc (irc)"]
    for line in lines:
        t = f"({line.at:%m/%d/%Y %I:%M:%S %p})"
        out.append(
            {
                "message": f"{t} {line.nick}: {line.text}",
                "action": f"{t} ***{line.nick} {line.text}",
                "join": f"{t} {line.nick} entered the room.",
                "part": f"{t} {line.nick} left the room ({line.text}).",
                "quit": f"{t} {line.nick} left the room (quit: {line.text}).",
                "nick": f"{t} {line.nick} is now known as {line.text}",
            }[line.kind]
        )
    return out


def _author(nick: str) -> tuple[str, str]:
    number = zlib.crc32(nick.encode())
    return str(10**17 + number), f"{nick}#{number % 9000 + 1000}"


def _discord_csv(lines: list[Line]) -> list[str]:
    out = ["AuthorID,Author,Date,Content,Attachments,Reactions"]
    for line in lines:
        if line.kind in ("message", "action"):
            user_id, tag = _author(line.nick)
            out.append(f'"{user_id}","{tag}","{line.at.isoformat()}","{line.text}","",""')
    return out


def _discord_text(lines: list[Line]) -> list[str]:
    rule = "=" * 62
    out = [rule, "Guild: Bench", "Channel: Text channels / bench", rule, ""]
    for line in lines:
        if line.kind in ("message", "action"):
            out += [f"[{line.at:%m/%d/%Y %I:%M %p}] {_author(line.nick)[1]}", line.text, ""]
    return out


def _discord_json(lines: list[Line]) -> list[str]:
    messages = []
    for number, line in enumerate(lines):
        if line.kind in ("message", "action"):
            user_id, tag = _author(line.nick)
            name, _, discriminator = tag.partition("#")
            messages.append(
                {
                    "id": str(10**17 + number),
                    "type": "Default",
                    "timestamp": line.at.isoformat(),
                    "content": line.text,
                    "author": {"id": user_id, "name": name, "discriminator": discriminator},
                }
            )
    export = {"guild": {"name": "Bench"}, "channel": {"name": "bench"}, "messages": messages}
    return json.dumps(export, indent=2).split("\n")


WRITERS: dict[str, tuple[Callable[[list[Line]], list[str]], str]] = {
    "irssi": (_irssi, "#bench.log"),
    "weechat": (_weechat, "irc.libera.#bench.weechatlog"),
    "znc": (_znc, "#bench_20210412.log"),
    "ubuntu": (_ubuntu, "2021-04-12.raw.txt"),
    "w3c": (_w3c, "irc.log"),
    "gitter": (_gitter, "gitter-bench.log"),
    "pidgin": (_pidgin, "2021-04-12.083000+0000UTC.txt"),
    "discord-csv": (_discord_csv, "Bench - bench [1].csv"),
    "discord-text": (_discord_text, "Bench - bench [1].txt"),
    "discord-json": (_discord_json, "Bench - bench [1].json"),
}


class Figures(NamedTuple):
    """One format's measurements."""

    name: str
    lines: int
    """Chat lines in the log: messages, actions, joins, parts, quits and nick changes."""
    messages: int
    parse_s: float
    import_s: float
    cpu_s: float
    """CPU seconds of the import (all threads): what it costs whatever else the machine runs."""
    raw_s: float


def parse_only(path: Path, name: str) -> tuple[float, list[Event]]:
    """Read and parse the file without recording; return the seconds and the events."""
    log_format = format_named(name)
    began = time.perf_counter()
    log = read_log(path)
    scene = Scene("bench", "#bench", log_format.platform)
    events: list[Event] = []
    for _, parsed in log_format.read(log, scene, LogCalendar(date(2021, 4, 12), UTC)):
        if isinstance(parsed, BadLine):
            raise SystemExit(f"{path}: a generated line is bad: {parsed}")
        events.extend(parsed)
    return time.perf_counter() - began, events


async def through_importer(path: Path, db_path: Path, name: str) -> tuple[float, float]:
    """Import the file as ``presence import`` does (detection included).

    Returns the wall-clock seconds and the process's CPU seconds (both threads: the
    importer's and the database writer's) it took.
    """
    async with await Database.open(db_path, batch_size=2000) as db:
        importer = LogImporter(db, Recorder(db), ImportOptions(network="bench", day=START.date()))
        began, cpu = time.perf_counter(), time.process_time()
        report = await importer.import_file(path)
        await db.flush()
        elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    if report.format != name or report.bad_lines or report.skipped or report.error:
        raise SystemExit(
            f"{path}: imported as {report.format!r}, {report.bad_lines} bad lines, "
            f"{report.skipped or report.error or 'no error'}"
        )
    if report.recorded != report.events:
        raise SystemExit(f"{path}: {report.events} events but {report.recorded} recorded")
    return elapsed, cpu


def through_raw_sqlite(db_path: Path, events: list[Event]) -> tuple[int, float]:
    """Insert the message rows with one executemany into a same-schema file; rows, seconds."""
    messages = [e for e in events if isinstance(e, MessageReceived)]
    nicks = sorted({e.actor.key for e in messages})
    identity_ids = {key: number for number, key in enumerate(nicks, 1)}
    rows = [
        (identity_ids[e.actor.key], e.timestamp.timestamp(), e.kind, e.text, e.message_id)
        for e in messages
    ]
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("INSERT INTO networks (id, name, platform) VALUES (1, 'bench', 'irc')")
        conn.execute("INSERT INTO channels (id, network_id, key, name) VALUES (1, 1, 'b', 'b')")
        conn.executemany(
            "INSERT INTO identities (id, platform, network_id, key, nick, first_seen) "
            "VALUES (?, 'irc', 1, ?, ?, 0)",
            [(number, key, key) for key, number in identity_ids.items()],
        )
        began = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO messages (channel_id, identity_id, at, kind, text, message_id) "
            "VALUES (1, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.execute("COMMIT")
        elapsed = time.perf_counter() - began
    finally:
        conn.close()
    return len(rows), elapsed


async def prepare_schema(path: Path) -> None:
    """Create a file with the core schema and nothing else."""
    db = await Database.open(path)
    await db.close()


def measure(name: str, count: int, seed: int, folder: Path) -> Figures:
    """Write the format's log of ``count`` generated lines and time the three paths."""
    write, file_name = WRITERS[name]
    folder = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=folder))  # a format may be run twice
    path = folder / file_name
    text = write(list(happenings(count, seed)))
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    parse_s, events = parse_only(path, name)
    lines = len(events)  # chat lines: one event each (an export's message spans file lines)
    import_s, cpu_s = asyncio.run(through_importer(path, folder / f"{name}.sqlite3", name))
    raw_db = folder / f"{name}-raw.sqlite3"
    asyncio.run(prepare_schema(raw_db))
    messages, raw_s = through_raw_sqlite(raw_db, events)
    return Figures(name, lines, messages, parse_s, import_s, cpu_s, raw_s)


def report(figures: list[Figures], console: Console) -> bool:
    """Print the table; return whether every format imports at the target rate."""
    table = Table(title="presence import: lines per second (analysis off)")
    columns = (
        "format",
        "lines",
        "parse only",
        "import",
        "per CPU s",
        "raw executemany",
        "import/raw",
    )
    for column in columns:
        table.add_column(column, justify="left" if column == "format" else "right")
    met = True
    for f in figures:
        rate = f.lines / f.import_s
        raw_rate = f.messages / f.raw_s
        met &= rate >= TARGET_RATE
        table.add_row(
            f.name,
            f"{f.lines:,}",
            f"{f.lines / f.parse_s:,.0f}",
            f"{rate:,.0f}" + ("" if rate >= TARGET_RATE else " (below)"),
            f"{f.lines / f.cpu_s:,.0f}",
            f"{raw_rate:,.0f} rows",
            f"{rate / raw_rate:.2f}",
        )
    console.print(table)
    total = sum(f.lines for f in figures) / sum(f.import_s for f in figures)
    load = ", ".join(f"{figure:.1f}" for figure in os.getloadavg())
    console.print(
        f"all formats: {total:,.0f} lines/s imported; target >= {TARGET_RATE:,}; "
        f"{os.cpu_count()} CPUs, load average {load} (other work slows the wall-clock figures)"
    )
    console.print("target met" if met else "[bold red]target NOT met[/]")
    return met


class Share(NamedTuple):
    """What importing one real file did, in units of its format (lines, rows, messages)."""

    format: str
    units: int
    chat: int
    """Units that gave events or were bad: chat lines, not headers or mode changes."""
    recorded: float
    bad: int


def count_units(path: Path, name: str) -> tuple[int, int, int]:
    """Units the format's reader yields for ``path``: all, with events, bad."""
    log_format = format_named(name)
    scene = Scene("share", "#share", log_format.platform)
    units = with_events = bad = 0
    for _, parsed in log_format.read(read_log(path), scene, LogCalendar(date(2000, 1, 1), UTC)):
        units += 1
        if isinstance(parsed, BadLine):
            bad += 1
        elif parsed:
            with_events += 1
    return units, with_events, bad


async def import_for_share(
    files: list[Path], db_path: Path
) -> tuple[list[Share], list[Path], list[str]]:
    """Import ``files`` into one database: each file's share, the files no format knew and
    the bad lines reported."""
    shares: list[Share] = []
    unknown: list[Path] = []
    problems: list[str] = []
    async with await Database.open(db_path, batch_size=2000) as db:
        recorder = Recorder(db)
        for path in files:
            report = await LogImporter(db, recorder, ImportOptions(date_from="mtime")).import_file(
                path
            )
            if not report.format:
                unknown.append(path)
                continue
            units, with_events, bad = count_units(path, report.format)
            # A line another file already brought (overlapping logs) is in the database too.
            stored = report.recorded + report.duplicates
            if report.error:  # stopped part-way: only what was read before the stop is in
                recorded = float(min(stored, with_events))
            else:
                recorded = with_events * (stored / report.events if report.events else 0.0)
            shares.append(Share(report.format, units, with_events + bad, recorded, bad))
            problems.extend(str(problem) for problem in report.problems)
            if report.error:
                problems.append(f"{path}: stopped: {report.error}")
    return shares, unknown, problems


def share_report(folders: list[Path], console: Console) -> None:
    """Import every file under ``folders`` and print the share of chat lines recorded."""
    files = sorted(
        path
        for folder in folders
        for path in (folder.rglob("*") if folder.is_dir() else [folder])
        if path.is_file() and not path.name.startswith(".")
    )
    with tempfile.TemporaryDirectory(prefix="presence-bench-share-") as folder:
        shares, unknown, problems = asyncio.run(
            import_for_share(files, Path(folder) / "share.sqlite3")
        )
    table = Table(title=f"Share of chat lines recorded ({len(files)} files)")
    for column in ("format", "files", "units", "chat lines", "recorded", "bad", "share"):
        table.add_column(column, justify="left" if column == "format" else "right")
    for name in sorted({share.format for share in shares}):
        mine = [share for share in shares if share.format == name]
        chat = sum(share.chat for share in mine)
        recorded = sum(share.recorded for share in mine)
        table.add_row(
            name,
            f"{len(mine):,}",
            f"{sum(share.units for share in mine):,}",
            f"{chat:,}",
            f"{recorded:,.0f}",
            f"{sum(share.bad for share in mine):,}",
            f"{recorded / chat:.2%}" if chat else "-",
        )
    console.print(table)
    for problem in problems[:10]:
        console.print(f"  {problem}", highlight=False, markup=False, soft_wrap=True)
    kinds = Counter("".join(path.suffixes[-2:]) or path.name for path in unknown)
    console.print(
        f"files no format recognised: {len(unknown)} ("
        + ", ".join(f"{kind} {count}" for kind, count in kinds.most_common())
        + ")",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )


def main() -> None:
    """Parse arguments, measure every format asked for, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000, help="lines per generated log")
    parser.add_argument(
        "--formats", default=",".join(WRITERS), help=f"comma-separated, of {', '.join(WRITERS)}"
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed for the traffic")
    parser.add_argument(
        "--share",
        nargs="+",
        type=Path,
        metavar="FOLDER",
        help="instead: import real logs and print the share of chat lines recorded per format",
    )
    args = parser.parse_args()
    if args.share:
        share_report(args.share, Console(width=max(Console().width, 110)))
        return
    names = [name.strip() for name in args.formats.split(",") if name.strip()]
    unknown = [name for name in names if name not in WRITERS]
    if unknown:
        parser.error(f"unknown format(s) {', '.join(unknown)}; choose from {', '.join(WRITERS)}")
    console = Console(width=max(Console().width, 110))  # the table's seven columns unwrapped
    figures = []
    with tempfile.TemporaryDirectory(prefix="presence-bench-import-") as folder:
        for name in names:
            console.print(f"{name}: {args.lines:,} generated lines...")
            figures.append(measure(name, args.lines, args.seed, Path(folder)))
    if not report(figures, console):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
