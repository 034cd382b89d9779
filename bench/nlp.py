"""Analysis benchmark: the Analyzer (worker process) versus raw ``nlp.pipe``, loop lag, worker RSS.

Run ``python bench/nlp.py [--messages 20000] [--rounds 3] [--rss-messages 300000]``. It
generates chat-like lines (greetings, questions, answers addressed by nick, links, thanks,
shares of own work; a share of the words are new each time, as in real chat, so the string
store is exercised) across a few channels, then in one run, ``--rounds`` times in turn:

1. times raw ``nlp.pipe`` (spaCy's default batch size) of the same pipeline over the messages
   in this process;
2. times the Analyzer end to end over the same messages: recorded and submitted in bursts,
   analysed in the worker processes, results stored (timing ends after the final flush);
3. samples the event loop's lag (corrected p99) while (2) runs;

then keeps feeding ``--rss-messages`` more messages and reads the worker's resident memory
(``VmRSS`` in ``/proc/PID/status``) after the rounds and at the end. Taking turns puts load
from anything else on the machine on both sides of each ratio; the median ratio is judged.
CPU shares (time on a CPU : time runnable but waiting for one) and messages per CPU-second
show whether a low ratio is the analyzer's cost or a busy machine.

The pipeline is the default one (no entity recognizer); ``--entities`` adds it on both sides.
The Analyzer runs as the app does by default: the pipeline worker, the spare pipeline worker at
idle priority, the reply linker (``--no-spare`` leaves the spare out).

Targets: analyzer / raw >= 0.9 (median of the rounds), lag p99 < 20 ms, RSS growth < 50 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from spacy.language import Language

from assistant.events import Identity, MessageReceived
from assistant.lag import LoopLagMonitor
from assistant.nlp.pipeline import load_pipeline, normalize_text, set_roster
from assistant.nlp.stage import Analyzer
from assistant.nlp.worker import WorkerOptions
from assistant.recorder import Recorder
from assistant.storage.database import Database

NETWORK = "libera"
CHANNELS = ("#bloggers", "#podcasting", "#python", "#offtopic")
TARGET_RATIO = 0.9
TARGET_LAG_MS = 20.0
TARGET_RSS_MB = 50.0
BURST = 100  # events arrive from sockets in bursts; the loop gets control back between them
WARM_UP = 1000

TOPICS = (
    "podcast hosting",
    "wordpress themes",
    "the new microphone",
    "skype interviews",
    "email newsletters",
    "static site generators",
    "affiliate links",
    "guest posting",
    "seo plugins",
    "video editing",
    "the python meetup",
    "google analytics",
    "comment spam",
    "blog traffic",
    "sponsorship deals",
)
TEMPLATES = (
    "hi all",
    "morning everyone!",
    "anyone using {topic} these days?",
    "{nick}: have you tried {topic}?",
    "{nick}, what do you use for {topic}",
    "I just published a post about {topic}: https://{word}.example.com/{word}-{n}",
    "thanks {nick}!",
    "{nick}: yes, we moved to {topic} last month and it works well",
    "does anyone know how to fix {topic} on a {word} server",
    "lol",
    "agreed, {topic} is overrated tbh",
    "check out my new episode on {topic} https://pod.example.org/ep{n}",
    "{nick} how did the {word} launch go?",
    "we should try a collaboration on {topic} next sunday",
    "brb",
    "welcome back {nick}",
    "is {Word} still doing {topic}? I heard {Word} {Word2} bought them",
    "fwiw {topic} doubled my traffic in {n} weeks",
)
SYLLABLES = ("ka", "lo", "mi", "ter", "vax", "zu", "pre", "nik", "ob", "sto", "rel", "quin")


def fresh_word(rng: random.Random) -> str:
    """A word that is usually new: chat is full of names, typos and ids."""
    return "".join(rng.choices(SYLLABLES, k=rng.randint(2, 4)))


def generate(count: int, seed: int, start_number: int = 0) -> Iterator[MessageReceived]:
    """Yield ``count`` chat-like channel messages from ~150 nicks, in time order."""
    rng = random.Random(seed)
    nicks = [f"{rng.choice(['pro', 'blog', 'pod', 'dev', 'mic', 'ann'])}{n}" for n in range(150)]
    start = datetime(2024, 1, 7, 8, 30, tzinfo=UTC)
    for number in range(start_number, start_number + count):
        channel = CHANNELS[number % len(CHANNELS)] if rng.random() < 0.5 else rng.choice(CHANNELS)
        who = rng.choice(nicks)
        text = rng.choice(TEMPLATES).format(
            topic=rng.choice(TOPICS),
            nick=rng.choice(nicks),
            word=fresh_word(rng),
            Word=fresh_word(rng).title(),
            Word2=fresh_word(rng).title(),
            n=rng.randint(1, 9999),
        )
        yield MessageReceived(
            platform="irc",
            network=NETWORK,
            timestamp=start + timedelta(milliseconds=700 * number),
            channel=channel,
            actor=Identity(platform="irc", network=NETWORK, nick=who),
            text=text,
        )


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB (Linux ``/proc``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time process ``pid`` has used, in seconds (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_waited(pid: int) -> float:
    """Seconds process ``pid``'s threads were runnable but waited for a CPU (``schedstat``)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            total += int((task / "schedstat").read_text().split()[1])
    return total / 1e9


def raw_pipe(nlp: Language, texts: list[str]) -> tuple[float, float]:
    """Plain ``nlp.pipe`` at spaCy's default batch size over ``texts``, in this process.

    Returns messages per second of wall time and per second of this process's CPU time.
    """
    began, cpu = time.perf_counter(), cpu_seconds(os.getpid())
    for start in range(0, len(texts), 5000):
        with nlp.memory_zone():
            for _ in nlp.pipe(texts[start : start + 5000]):
                pass
    return (
        len(texts) / (time.perf_counter() - began),
        len(texts) / max(cpu_seconds(os.getpid()) - cpu, 1e-9),
    )


async def feed(
    recorder: Recorder, analyzer: Analyzer, messages: Iterator[MessageReceived], limit: int
) -> int:
    """Record and submit ``messages`` in bursts; hold back while ``limit`` are pending."""
    count = 0
    record, submit = recorder.record, analyzer.submit
    burst: list[MessageReceived] = []
    for message in messages:
        burst.append(message)
        if len(burst) < BURST:
            continue
        while analyzer.pending > limit:  # noqa: ASYNC110 -- a benchmark's crude flow control
            await asyncio.sleep(0.01)
        for event in burst:
            record(event)
            submit(event)
        count += len(burst)
        burst = []
        await asyncio.sleep(0)
    for event in burst:
        record(event)
        submit(event)
    return count + len(burst)


async def run(
    folder: Path,
    count: int,
    rounds: int,
    rss_messages: int,
    seed: int,
    entities: bool = False,
    spare: bool = True,
) -> dict[str, Any]:
    """Run the phases; return the figures.

    Raw ``nlp.pipe`` and the Analyzer take turns, ``rounds`` times, over the same texts (each
    round's messages are a day later, so the linker sees time move on): load from anything
    else on the machine then falls on both sides of each ratio alike.
    """
    messages = list(generate(count, seed))
    texts = [normalize_text(m.text) for m in messages]
    nlp = load_pipeline(entities=entities)
    set_roster(nlp, {m.actor.nick for m in messages})
    with nlp.memory_zone():
        for _ in nlp.pipe(texts[:WARM_UP], batch_size=64):
            pass
    # The baseline's pipeline and the traffic live in this process only for the comparison
    # (the app's process has no spaCy); frozen, they do not lengthen the bot's collections.
    gc.collect()
    gc.freeze()
    db = await Database.open(folder / "bench.sqlite3")
    figures: dict[str, Any] = {"raw": [], "analyzer": [], "lag_p99_ms": [], "lag_max_ms": []}
    try:
        recorder = Recorder(db)
        analyzer = Analyzer(
            db, lambda _event: None, WorkerOptions(entities=entities), spare_worker=spare
        )
        await analyzer.start()
        pids = analyzer.worker_pids
        figures["rss_loaded"] = rss_mb(pids["analysis"])
        await feed(recorder, analyzer, generate(WARM_UP, seed + 1, 10**7), 10**9)
        await analyzer.drain()
        await db.flush()
        for round_number in range(rounds):
            # Blocks the loop on purpose: nothing else runs now, and it is this process's CPU.
            rate, per_cpu = raw_pipe(nlp, texts)
            figures["raw"].append(rate)
            figures.setdefault("raw_per_cpu", []).append(per_cpu)
            # 123,428 * 700 ms is a day; a multiple of the channel count keeps the texts equal.
            first = 10**7 + (round_number + 1) * 123_428 * len(CHANNELS)
            shifted = generate(count, seed, first)
            watched = {"pipeline": pids["analysis"], "linker": pids["links"], "bot": os.getpid()}
            if "analysis-spare" in pids:
                watched["spare"] = pids["analysis-spare"]
            cpu = {name: cpu_seconds(pid) for name, pid in watched.items()}
            waited = {name: cpu_waited(pid) for name, pid in watched.items()}
            async with LoopLagMonitor(0.01) as lag:
                began = time.perf_counter()
                await feed(recorder, analyzer, shifted, 10**9)
                await analyzer.drain()
                await db.flush()
                elapsed = time.perf_counter() - began
            used = sum(
                cpu_seconds(pids[worker]) - cpu[name]
                for worker, name in (("analysis", "pipeline"), ("analysis-spare", "spare"))
                if name in watched
            )
            figures.setdefault("pipeline_per_cpu", []).append(count / max(used, 1e-9))
            for name, pid in watched.items():
                busy = (cpu_seconds(pid) - cpu[name]) / elapsed
                figures.setdefault(f"busy_{name}", []).append(busy * 100)
                wait = (cpu_waited(pid) - waited[name]) / elapsed
                figures.setdefault(f"waited_{name}", []).append(wait * 100)
            figures["analyzer"].append(count / elapsed)
            figures["lag_p99_ms"].append(lag.percentile(99) * 1000)
            figures["lag_max_ms"].append(lag.max * 1000)
        figures["stored"] = float(
            (await db.fetchone("SELECT count(*) FROM message_analyses") or [0])[0]
        )
        figures["rss_warm"] = rss_mb(pids["analysis"])
        figures["links_rss_warm"] = rss_mb(pids["links"])
        if "analysis-spare" in pids:
            figures["spare_rss_warm"] = rss_mb(pids["analysis-spare"])
        if rss_messages:
            began = time.perf_counter()
            await feed(recorder, analyzer, generate(rss_messages, seed + 2, 2 * 10**7), 5000)
            await analyzer.drain()
            figures["rss_rate"] = rss_messages / (time.perf_counter() - began)
            if analyzer.worker_pids != pids:
                raise SystemExit("a worker restarted during the run; RSS figures are void")
            figures["rss_end"] = rss_mb(pids["analysis"])
            figures["links_rss_end"] = rss_mb(pids["links"])
            if "analysis-spare" in pids:
                figures["spare_rss_end"] = rss_mb(pids["analysis-spare"])
        figures["dropped"] = analyzer.stats.dropped
        await analyzer.stop()
    finally:
        await db.close()
    return figures


def report(count: int, rounds: int, figures: dict[str, Any], rss_messages: int) -> bool:
    """Print the table; return whether every target is met."""
    ratios = [a / r for a, r in zip(figures["analyzer"], figures["raw"], strict=True)]
    ratio = statistics.median(ratios)
    lag = max(figures["lag_p99_ms"])
    workers = (
        "pipeline + spare pipeline + linker" if "busy_spare" in figures else "pipeline + linker"
    )
    table = Table(
        title=f"Analysis: {count:,} chat messages x {rounds} rounds, batch 64, workers: {workers}"
    )
    for column in ("measure", "value", "target", "met"):
        table.add_column(column, justify="left" if column == "measure" else "right")

    def met(ok: bool) -> str:
        return "met" if ok else "[bold red]NOT met[/]"

    def each(values: list[float], form: str) -> str:
        return " / ".join(format(value, form) for value in values)

    table.add_row("raw nlp.pipe, this process (msgs/s), per round", each(figures["raw"], ",.0f"))
    table.add_row(
        "Analyzer: submit → worker → stored (msgs/s), per round",
        each(figures["analyzer"], ",.0f"),
    )
    table.add_row("ratio Analyzer / raw, per round", each(ratios, ".2f"))
    table.add_row(
        "msgs per CPU-second: raw / pipeline workers, per round",
        " / ".join(
            f"{r:,.0f}:{p:,.0f}"
            for r, p in zip(figures["raw_per_cpu"], figures["pipeline_per_cpu"], strict=True)
        ),
    )
    for name in ("pipeline", "spare", "linker", "bot"):
        if f"busy_{name}" not in figures:
            continue
        busy, waited = figures[f"busy_{name}"], figures[f"waited_{name}"]
        table.add_row(
            f"{name} process: % of the time on a CPU / waiting for one",
            " / ".join(f"{b:.0f}:{w:.0f}" for b, w in zip(busy, waited, strict=True)),
        )
    table.add_row(
        "ratio Analyzer / raw, median (min)",
        f"{ratio:.2f} ({min(ratios):.2f})",
        f">= {TARGET_RATIO}",
        met(ratio >= TARGET_RATIO),
    )
    table.add_row(
        "event-loop lag p99 during the flood (ms), worst round",
        f"{lag:.1f}",
        f"< {TARGET_LAG_MS:.0f}",
        met(lag < TARGET_LAG_MS),
    )
    table.add_row("event-loop lag max (ms)", f"{max(figures['lag_max_ms']):.1f}", "", "")
    table.add_row(
        "analyses stored", f"{figures['stored']:,.0f}", f"{count * rounds + WARM_UP:,}", ""
    )
    table.add_row("worker RSS, pipeline loaded (MB)", f"{figures['rss_loaded']:.0f}", "", "")
    table.add_row("worker RSS after warm-up (MB)", f"{figures['rss_warm']:.0f}", "", "")
    table.add_row(
        "reply-linker worker RSS after warm-up (MB)", f"{figures['links_rss_warm']:.0f}", "", ""
    )
    ok = ratio >= TARGET_RATIO and lag < TARGET_LAG_MS
    if "rss_end" in figures:
        growth = figures["rss_end"] - figures["rss_warm"]
        table.add_row(
            f"worker RSS after {rss_messages:,} more (MB)", f"{figures['rss_end']:.0f}", "", ""
        )
        table.add_row(
            "worker RSS growth (MB)",
            f"{growth:+.1f}",
            f"< {TARGET_RSS_MB:.0f}",
            met(growth < TARGET_RSS_MB),
        )
        links_growth = figures["links_rss_end"] - figures["links_rss_warm"]
        table.add_row(
            "reply-linker worker RSS growth (MB)",
            f"{links_growth:+.1f}",
            f"< {TARGET_RSS_MB:.0f}",
            met(links_growth < TARGET_RSS_MB),
        )
        table.add_row("Analyzer msgs/s over the RSS run", f"{figures['rss_rate']:,.0f}", "", "")
        ok = ok and growth < TARGET_RSS_MB and links_growth < TARGET_RSS_MB
        if "spare_rss_end" in figures:
            spare_growth = figures["spare_rss_end"] - figures["spare_rss_warm"]
            table.add_row(
                "spare pipeline worker RSS growth (MB)",
                f"{spare_growth:+.1f}",
                f"< {TARGET_RSS_MB:.0f}",
                met(spare_growth < TARGET_RSS_MB),
            )
            ok = ok and spare_growth < TARGET_RSS_MB
    table.add_row(
        "messages dropped", f"{figures['dropped']:,.0f}", "0", met(not figures["dropped"])
    )
    console = Console()
    console.print(table)
    console.print("targets met" if ok else "[bold red]targets NOT met[/]")
    return ok


def main() -> None:
    """Parse arguments, run the phases, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000, help="messages to time")
    parser.add_argument(
        "--rss-messages", type=int, default=300_000, help="messages for the memory run (0: skip)"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="raw / Analyzer turns (the ratio is their median)"
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed for the traffic")
    parser.add_argument(
        "--entities", action="store_true", help="both sides run the entity recognizer too"
    )
    parser.add_argument("--no-spare", action="store_true", help="without the spare pipeline worker")
    args = parser.parse_args()
    if args.messages < 1 or args.rounds < 1:
        parser.error("--messages and --rounds must be at least 1")
    with tempfile.TemporaryDirectory(prefix="presence-bench-") as folder:
        figures = asyncio.run(
            run(
                Path(folder),
                args.messages,
                args.rounds,
                args.rss_messages,
                args.seed,
                args.entities,
                not args.no_spare,
            )
        )
    ok = report(args.messages, args.rounds, figures, args.rss_messages)
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
