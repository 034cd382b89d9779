"""Soak benchmark: a simulated week of chat through the live path, watching for leaks.

Run ``python bench/soak.py [--messages 1000000] [--channels 20] [--every 100000]``. A real
Assistant (temporary SQLite file, analysis on in its worker processes, the installed plugins:
openings, summaries, seen, privacy) takes a week of generated chat from a replay-style
connector as fast as the machine allows: each channel is busy two three-hour stretches a day
and quiet in between, so ad-hoc sessions start, end and are summarised; people join, quit,
change nicks and come back. The owner sits in four of the channels; the one watched member
now and then speaks to them (an opening) and half the time the owner answers (taken). One
clock, the chat's own time, drives the sessions and the openings engine, as ``presence
replay`` does; the analysis is drained every 200 messages, so nothing is shed for being
behind.

Every ``--every`` messages it prints the RSS of the bot and of each analysis worker (and
their growth since the first report, after warm-up), the asyncio task count, the open file
descriptors, the database size (and per million messages) and the rate. At the end: the time
to compose the summary of the last session of the week on the full database, the event
loop's lag p99 and max, and whether the issue's targets held (growth after warm-up < 50 MB
per process, tasks and descriptors flat, summary < 1 s). Linux only (it reads ``/proc``).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from assistant.app import Assistant
from assistant.clock import ReplayClock
from assistant.config import parse_settings
from assistant.connectors.replay.connector import ReplayConnector
from assistant.events import Event, Identity, MemberJoined, MemberLeft, MessageReceived, NickChanged
from assistant.summaries import compose_summary

NETWORK = "soaknet"
WEEK = timedelta(days=7)
WINDOW_HOURS = 3  # each channel is busy twice a day for this long, quiet otherwise
PEOPLE_PER_CHANNEL = 60
OWNER = "owner"
WATCHED = "p00u01"
"""The one watched member; now and then they speak to the owner, which surfaces openings."""
OWNER_CHANNELS = 4
"""The owner sits in the first few channels all week (the watched member's among them)."""
GROWTH_LIMIT_MB = 50.0
SUMMARY_LIMIT_S = 1.0
_TEXT = (
    "anyone tried the new microphone for the podcast episode I just published a post about "
    "editing audio what do you use for hosting thanks for the link we should plan a "
    "collaboration next week how is the blog going can you share a screenshot of the setup "
    "does the plugin work with python and rust welcome back good morning interesting idea"
)
_WORDS = _TEXT.split()


def rss_mb(pid: int) -> float | None:
    """Resident set size of ``pid`` in MB (None when it is gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@dataclass
class Week:
    """A generated week: messages spread over each channel's busy hours, with attendance."""

    messages: int
    channels: int
    seed: int = 7
    start: datetime = datetime(2026, 1, 5, tzinfo=UTC)
    counts: dict[str, int] = field(default_factory=dict)

    def windows(self, channel: int) -> tuple[int, int]:
        first = (channel * 5) % 24
        return first, (first + 12) % 24

    def busy(self, channel: int, hour: int) -> bool:
        return any((hour - w) % 24 < WINDOW_HOURS for w in self.windows(channel))

    def events(self) -> Iterator[Event]:
        """The week's events in time order (generated lazily: a million events stay small)."""
        rng = random.Random(self.seed)
        names = [f"#chan{c:02d}" for c in range(self.channels)]
        nicks = {
            name: [f"p{c:02d}u{n:02d}" for n in range(PEOPLE_PER_CHANNEL)]
            for c, name in enumerate(names)
        }
        inside: dict[str, set[str]] = {c: set() for c in names}
        renamed: dict[str, str] = {}  # the nick someone goes by now
        owner = Identity("irc", NETWORK, OWNER, account=OWNER, userhost=f"{OWNER}@soak.example")
        for channel in names[:OWNER_CHANNELS]:
            self.counts["joins"] = self.counts.get("joins", 0) + 1
            yield MemberJoined(
                platform="irc", network=NETWORK, timestamp=self.start, channel=channel, actor=owner
            )
        answer: set[str] = set()  # channels where the owner answers the watched member next
        minutes = int(WEEK.total_seconds() // 60)
        busy_minutes = sum(self.busy(c, h) for h in range(24) for c in range(self.channels)) * 60
        busy_minutes *= WEEK.days
        per_minute = self.messages / max(1, busy_minutes)
        owed = 0.0
        said = 0
        for minute in range(minutes):
            hour = (minute // 60) % 24
            active = [c for c in range(self.channels) if self.busy(c, hour)]
            if not active:
                continue
            owed += per_minute * len(active)
            count = int(owed)
            owed -= count
            if minute == minutes - 1 or said + count > self.messages:
                count = self.messages - said
            base = self.start + timedelta(minutes=minute)
            for n in range(count):
                when = base + timedelta(seconds=60 * n / max(1, count))
                channel = names[active[n % len(active)]]
                yield from self._attendance(rng, when, channel, nicks[channel], inside, renamed)
                present = inside[channel]
                speaker = rng.choice(sorted(present)) if present else nicks[channel][0]
                text = " ".join(rng.choices(_WORDS, k=rng.randint(4, 14)))
                actor = self._who(renamed.get(speaker, speaker))
                if channel in answer:  # the owner takes the opening, now and then
                    answer.discard(channel)
                    actor, text = owner, f"{renamed.get(WATCHED, WATCHED)}: {text}"
                    self.counts["owner lines"] = self.counts.get("owner lines", 0) + 1
                elif rng.random() < 0.1:
                    text += "?"
                if speaker == WATCHED and actor != owner and rng.random() < 0.2:
                    text = f"{OWNER}: {text}?"  # the watched member turns to the owner: an opening
                    if rng.random() < 0.5:
                        answer.add(channel)
                said += 1
                yield MessageReceived(
                    platform="irc",
                    network=NETWORK,
                    timestamp=when,
                    channel=channel,
                    actor=actor,
                    text=text,
                )
            if said >= self.messages:
                return

    def _who(self, nick: str) -> Identity:
        return Identity("irc", NETWORK, nick, userhost=f"{nick}@soak.example")

    def _attendance(
        self,
        rng: random.Random,
        when: datetime,
        channel: str,
        pool: list[str],
        inside: dict[str, set[str]],
        renamed: dict[str, str],
    ) -> Iterator[Event]:
        """Joins while a channel fills up, then now and then a quit, a rejoin or a new nick."""
        present = inside[channel]
        roll = rng.random()
        if len(present) < 12 or roll < 0.01:
            nick = rng.choice(pool)
            if nick not in present:
                present.add(nick)
                self.counts["joins"] = self.counts.get("joins", 0) + 1
                yield MemberJoined(
                    platform="irc",
                    network=NETWORK,
                    timestamp=when,
                    channel=channel,
                    actor=self._who(renamed.get(nick, nick)),
                )
        elif roll < 0.02 and len(present) > 12:
            nick = rng.choice(sorted(present))
            present.discard(nick)
            self.counts["quits"] = self.counts.get("quits", 0) + 1
            yield MemberLeft(
                platform="irc",
                network=NETWORK,
                timestamp=when,
                channel=channel,
                actor=self._who(renamed.get(nick, nick)),
                kind="quit",
                reason="Quit: later",
            )
        elif roll < 0.023:
            nick = rng.choice(sorted(present))
            old = renamed.get(nick, nick)
            new = f"{nick}_away" if not old.endswith("_away") else nick
            renamed[nick] = new
            self.counts["nick changes"] = self.counts.get("nick changes", 0) + 1
            yield NickChanged(
                platform="irc", network=NETWORK, timestamp=when, actor=self._who(old), new_nick=new
            )


class SoakConnector(ReplayConnector):
    """The replay connector, counting what Presence said instead of keeping it."""

    said = 0

    async def send(self, target: str, text: str) -> None:
        self.said += 1


class Played:
    """Counts the messages played (the connector's ``after`` hook)."""

    messages = 0

    def __call__(self, event: Event) -> None:
        if isinstance(event, MessageReceived):
            self.messages += 1


@dataclass
class Sample:
    messages: int
    seconds: float
    bot_mb: float
    workers_mb: dict[str, float]
    tasks: int
    fds: int
    db_mb: float
    wal_mb: float


async def soak(messages: int, channels: int, every: int, console: Console) -> bool:
    """Play the week, printing a row every ``every`` messages; True when the targets held."""
    week = Week(messages, channels)
    samples: list[Sample] = []
    with tempfile.TemporaryDirectory(prefix="presence-soak-") as folder:
        db_path = Path(folder) / "soak.sqlite3"
        settings = parse_settings(
            {
                "storage": {"path": str(db_path)},
                "owner": {"identities": [{"platform": "irc", "account": OWNER}], "nicks": [OWNER]},
                "watchlist": [
                    {"name": WATCHED, "identities": [{"platform": "irc", "nick": WATCHED}]}
                ],
                "plugins": {"openings": {"notify": ["dm"]}},
                "summaries": {"folder": str(Path(folder) / "summaries"), "formats": ["md"]},
            }
        )
        clock = ReplayClock(week.start - timedelta(seconds=1))
        assistant: Assistant

        async def settle() -> None:
            analyzer = assistant.analyzer
            if analyzer is not None:
                await analyzer.drain(300)

        async def before(event: Event) -> None:
            if event.timestamp > clock.now() and clock.move_to(event.timestamp):
                due = assistant.sessions.next_due()
                if due is not None and due <= event.timestamp:
                    await settle()
                    await assistant.db.flush()
                    await assistant.sessions.run_due()

        async def pace() -> None:
            await settle()

        played = Played()
        connector = SoakConnector(
            week.events(), network=NETWORK, pace=pace, before=before, after=played
        )
        assistant = Assistant(settings, connectors=[connector], clock=clock)
        await assistant.start()
        # As `presence run` does after start-up (Assistant.run): full collections skip what
        # lives for good. Without it a full collection walked ~150,000 start-up objects, and
        # one that a summary's allocations triggered held the GIL, and the loop, for 80-370 ms.
        gc.collect()
        gc.freeze()
        analyzer = assistant.analyzer
        if analyzer is None:
            console.print("[bold red]analysis is off: the spaCy worker could not start[/]")
            await assistant.stop()
            return False
        await analyzer.drain(300)  # the workers have loaded their pipelines
        assistant.lag.reset()  # start-up (loading plugins and pipelines) is not the soak

        def sample(count: int, started: float) -> Sample:
            pids = analyzer.worker_pids
            return Sample(
                messages=count,
                seconds=time.perf_counter() - started,
                bot_mb=rss_mb(os.getpid()) or 0.0,
                workers_mb={name: rss_mb(pid) or 0.0 for name, pid in pids.items()},
                tasks=len(asyncio.all_tasks()),
                fds=open_fds(),
                db_mb=_size(db_path) / 1e6,
                wal_mb=_size(db_path.with_name(db_path.name + "-wal")) / 1e6,
            )

        table = Table(title=f"soak: {messages:,} messages over {channels} channels, one week")
        for name in ("messages", "msgs/s", "bot RSS MB", "workers RSS MB", "tasks", "fds", "db MB"):
            table.add_column(name, justify="right")
        progress = Progress(
            TextColumn("[bold]soak"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:>8} msgs/s  day {task.fields[day]}"),
            TimeElapsedColumn(),
            console=console,
        )
        started = time.perf_counter()
        samples.append(sample(0, started))
        connector.go.set()
        with progress:
            bar = progress.add_task("soak", total=messages, rate="-", day=1)
            last = stalled = previous = 0
            while not connector.done.is_set():
                await asyncio.sleep(0.25)
                count = played.messages
                stalled = stalled + 1 if count == previous else 0
                previous = count
                if stalled > 1200:  # five minutes without a message: the connector died
                    progress.console.print("[bold red]the replay stopped; see the log above[/]")
                    break
                elapsed = time.perf_counter() - started
                day = (clock.now() - week.start).days + 1
                progress.update(
                    bar, completed=count, rate=f"{count / max(elapsed, 1e-9):,.0f}", day=day
                )
                while count >= last + every:
                    last += every
                    row = sample(last, started)
                    samples.append(row)
                    progress.console.print(_row(row, samples))
            progress.update(bar, completed=messages)
        play_seconds = time.perf_counter() - started
        await settle()
        await assistant.plugins.delivered()
        # Let the week's time run out: the sessions under way end and are summarised.
        clock.move_to(clock.now() + timedelta(hours=12))
        await assistant.db.flush()
        await assistant.sessions.run_due()
        await assistant.plugins.delivered()
        await assistant.db.flush()
        found = await assistant.db.fetchone("SELECT max(id), count(*) FROM sessions")
        last_session, sessions = (int(found[0] or 0), int(found[1])) if found else (0, 0)
        summary_s = float("nan")
        if last_session:
            t0 = time.perf_counter()
            await compose_summary(assistant.db, last_session, settings)
            summary_s = time.perf_counter() - t0
        lag_p99 = assistant.lag.percentile(0.99) * 1000
        lag_max = assistant.lag.max * 1000
        final = sample(messages, started)
        stored = await assistant.db.fetchone("SELECT count(*) FROM messages")
        await assistant.stop()
        closed_mb = _size(db_path) / 1e6  # closing checkpointed the WAL into the file

    return report(
        console,
        week,
        samples,
        final,
        play_seconds=play_seconds,
        sessions=sessions,
        stored=int(stored[0]) if stored else 0,
        summary_s=summary_s,
        lag_p99=lag_p99,
        lag_max=lag_max,
        said=connector.said,
        closed_mb=closed_mb,
    )


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _row(row: Sample, samples: list[Sample]) -> str:
    first = samples[1] if len(samples) > 1 else row
    workers = ", ".join(
        f"{name} {mb:.0f} ({mb - first.workers_mb.get(name, mb):+.0f})"
        for name, mb in sorted(row.workers_mb.items())
    )
    rate = row.messages / max(row.seconds, 1e-9)
    per_million = row.db_mb / max(row.messages, 1) * 1e6
    return (
        f"{row.messages:>9,} msgs  {rate:>6,.0f}/s  bot {row.bot_mb:.0f} MB "
        f"({row.bot_mb - first.bot_mb:+.0f})  workers: {workers}  tasks {row.tasks}  "
        f"fds {row.fds}  db {row.db_mb:.0f} MB ({per_million:.0f} MB/M msgs), "
        f"WAL {row.wal_mb:.0f} MB"
    )


def report(
    console: Console,
    week: Week,
    samples: list[Sample],
    final: Sample,
    *,
    play_seconds: float,
    sessions: int,
    stored: int,
    summary_s: float,
    lag_p99: float,
    lag_max: float,
    said: int,
    closed_mb: float,
) -> bool:
    """Print the summary table; True when every target held."""
    warm = samples[1] if len(samples) > 2 else None  # the first report is the warm-up
    last = samples[-1]
    table = Table(title="soak results")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    ok = True

    def add(name: str, value: str, target: str = "", good: bool = True) -> None:
        nonlocal ok
        ok = ok and good
        table.add_row(name, value, target if good else f"[bold red]{target} NOT met[/]")

    add("messages played", f"{final.messages:,} in {play_seconds:.0f} s")
    add("rate", f"{final.messages / max(play_seconds, 1e-9):,.0f} msgs/s")
    add("messages stored", f"{stored:,}", f"= {final.messages:,}", stored == final.messages)
    extra = ", ".join(f"{k} {v:,}" for k, v in sorted(week.counts.items()))
    add("attendance events", extra)
    add("sessions", f"{sessions:,}")
    add("lines Presence sent (openings, digests)", f"{said:,}")
    if warm is not None:
        growth = last.bot_mb - warm.bot_mb
        add(
            f"bot RSS growth after {warm.messages:,}",
            f"{growth:+.1f} MB",
            f"< {GROWTH_LIMIT_MB:g}",
            growth < GROWTH_LIMIT_MB,
        )
        for name, mb in sorted(last.workers_mb.items()):
            grown = mb - warm.workers_mb.get(name, mb)
            add(
                f"worker {name} RSS growth",
                f"{grown:+.1f} MB",
                f"< {GROWTH_LIMIT_MB:g}",
                grown < GROWTH_LIMIT_MB,
            )
        tasks = max(s.tasks for s in samples[1:]) - min(s.tasks for s in samples[1:])
        fds = max(s.fds for s in samples[1:]) - min(s.fds for s in samples[1:])
        add("asyncio tasks (min-max)", _span([s.tasks for s in samples[1:]]), "flat", tasks <= 10)
        add("open fds (min-max)", _span([s.fds for s in samples[1:]]), "flat", fds <= 5)
    per_million = closed_mb / max(final.messages, 1) * 1e6
    add(
        "database size once closed",
        f"{closed_mb:.0f} MB ({per_million:.0f} MB per million messages)",
    )
    if sessions:
        add(
            "last session's summary on the full database",
            f"{summary_s * 1000:.0f} ms",
            f"< {SUMMARY_LIMIT_S * 1000:.0f} ms",
            summary_s < SUMMARY_LIMIT_S,
        )
    else:
        add("last session's summary", "no session (too few messages for a burst)")
    add("event loop lag p99 / max", f"{lag_p99:.1f} / {lag_max:.1f} ms")
    console.print(table)
    console.print("targets " + ("met" if ok else "[bold red]NOT met[/]"))
    return ok


def _span(values: list[int]) -> str:
    return f"{min(values)}-{max(values)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000, help="messages in the week")
    parser.add_argument("--channels", type=int, default=20, help="channels they are spread over")
    parser.add_argument("--every", type=int, default=100_000, help="messages between reports")
    args = parser.parse_args()
    if args.messages < 1 or args.channels < 1 or args.every < 1:
        parser.error("--messages, --channels and --every must be 1 or more")
    console = Console()
    ok = asyncio.run(soak(args.messages, args.channels, args.every, console))
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
