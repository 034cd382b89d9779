"""Openings benchmark: from a message arriving at the connector to the owner's notification.

Run ``python bench/openings.py [--rate 200] [--seconds 15] [--every 10] [--arrivals ...]``. A
real Assistant (temporary SQLite file, the real analyzer in its worker processes, the
``openings`` plugin, default settings) takes chat lines from an in-memory IRC-like connector at
``--rate`` messages a second: ``poisson`` arrivals (independent speakers), ``bursts`` (a tenth
of a second's lines at once, the worst case), or ``both`` in turn (the default). One line in
``--every`` is a notable member speaking to the owner, which is an opening each time (cooldown
off, cap high); its notification goes out as a private message through the connector, and the
time from injecting the line to that ``send`` is measured.

Same-run baseline: the time from injecting a line to its ``MessageAnalyzed`` reaching a
plugin (what any opening must wait for). The ratio shows what the openings stage adds. No
deliberate wait is left in this path: a line that finds the analysis worker idle is parsed at
once, and ``batch_wait`` only bounds how long a line waits while the worker is busy, so the
target applies to the whole figure. Target: p99 < 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path
from typing import ClassVar

from assistant_openings import OpeningsPlugin
from rich.console import Console
from rich.table import Table

from assistant import Event, MessageAnalyzed
from assistant.app import Assistant
from assistant.config import parse_settings
from assistant.events import MessageReceived, analysis_key, utcnow
from assistant.testing.fake import FakeConnector

CHANNEL = "#bloggers"
TARGET_P99_MS = 100.0


class IrcLikeConnector(FakeConnector):
    """The fake connector, speaking as an IRC network so owner accounts verify."""

    platform = "irc"

    def __init__(self) -> None:
        super().__init__("benchnet")
        self.sent_at: dict[str, float] = {}

    async def send(self, target: str, text: str) -> None:
        """Note when each opening's private message went out (keyed by its quoted text)."""
        now = time.perf_counter()
        await super().send(target, text)
        marker = text.rpartition("#q")[2].split()[0].rstrip("”?:") if "#q" in text else ""
        if marker:
            self.sent_at.setdefault(marker, now)


class Timer:
    """When each analysis was published (the baseline's end, the openings stage's start)."""

    analysed_at: ClassVar[dict[str, float]] = {}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def run(rate: int, seconds: float, every: int, arrivals: str, console: Console) -> bool:
    """Play one run; print its table; return whether the target is met."""
    Timer.analysed_at.clear()
    with tempfile.TemporaryDirectory(prefix="presence-bench-") as folder:
        settings = parse_settings(
            {
                "storage": {"path": str(Path(folder) / "bench.sqlite3")},
                "owner": {"identities": [{"platform": "irc", "account": "me"}]},
                "watchlist": [{"name": "pb", "identities": [{"platform": "irc", "nick": "pb"}]}],
                "plugins": {
                    "openings": {
                        "notify": ["dm"],
                        "cooldown": 0,
                        "hourly_cap": 1_000_000,
                        "min_score": 0,
                    }
                },
            }
        )
        connector = IrcLikeConnector()
        assistant = Assistant(
            settings,
            connectors=[connector],
            plugin_classes={"openings": OpeningsPlugin},
        )
        await assistant.start()
        await connector.wait_connected()
        analyzer = assistant.analyzer
        assert analyzer is not None
        host = assistant.plugins
        publish = host.publish  # stamp each analysis as it is published to the plugins

        def stamped(event: Event) -> None:
            if isinstance(event, MessageAnalyzed):
                Timer.analysed_at.setdefault(event.message_id, time.perf_counter())
            publish(event)

        host.publish = stamped  # type: ignore[method-assign]
        await connector.inject(say("me", "hello everyone, glad to be here"))
        await analyzer.drain(120)  # the worker has loaded
        await asyncio.sleep(0.5)
        injected: dict[str, tuple[float, str]] = {}
        total = int(rate * seconds)
        due = arrival_times(arrivals, rate, total)
        start = time.perf_counter()
        for n in range(total):
            wait = start + due[n] - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            if n % every == 0:
                tag = f"{n}"
                event = say("pb", f"me: what do you think about #q{tag} ?")
                injected[tag] = (time.perf_counter(), analysis_key(event))
            else:
                event = say(f"user{n % 37}", f"chatting about topic {n % 91} and stuff")
            await connector.inject(event)
        await analyzer.drain(60)
        await asyncio.sleep(1.0)
        await assistant.stop()
    notify = [
        connector.sent_at[t] - at for t, (at, _) in injected.items() if t in connector.sent_at
    ]
    base = [
        Timer.analysed_at[key] - at for at, key in injected.values() if key in Timer.analysed_at
    ]
    table = Table(title=f"openings latency at {rate} msgs/s ({arrivals}) for {seconds:g} s")
    for name in ("measure", "count", "p50 ms", "p99 ms"):
        table.add_column(name)
    table.add_row(
        "connector → analysis published (baseline)",
        str(len(base)),
        f"{pct(base, 0.5):.1f}",
        f"{pct(base, 0.99):.1f}",
    )
    table.add_row(
        "connector → owner notified",
        str(len(notify)),
        f"{pct(notify, 0.5):.1f}",
        f"{pct(notify, 0.99):.1f}",
    )
    stage = [
        connector.sent_at[t] - Timer.analysed_at[key]
        for t, (_, key) in injected.items()
        if t in connector.sent_at and key in Timer.analysed_at
    ]
    table.add_row(
        "analysis published → owner notified (openings stage)",
        str(len(stage)),
        f"{pct(stage, 0.5):.1f}",
        f"{pct(stage, 0.99):.1f}",
    )
    console.print(table)
    ok = len(notify) == len(injected) and pct(notify, 0.99) < TARGET_P99_MS
    console.print(
        f"openings sent: {len(notify)}/{len(injected)}; ratio p99 notified/baseline "
        f"{pct(notify, 0.99) / max(pct(base, 0.99), 1e-9):.2f}; connector → owner notified p99 "
        f"{pct(notify, 0.99):.1f} ms (target < {TARGET_P99_MS:.0f} ms): "
        + ("met" if ok else "[bold red]NOT met[/]")
    )
    return ok


def arrival_times(arrivals: str, rate: int, total: int) -> list[float]:
    """Seconds from the start at which each line arrives.

    ``poisson``: independent speakers, so the gaps are exponential (a fixed seed keeps runs
    comparable). ``bursts``: a tenth of a second's lines all at once, every tenth of a second
    (the worst case: the last line of a burst waits for the whole burst to be parsed).
    """
    if arrivals == "bursts":
        burst = max(1, rate // 10)
        return [(n // burst) * burst / rate for n in range(total)]
    rng = random.Random(7)
    times, now = [], 0.0
    for _ in range(total):
        times.append(now)
        now += rng.expovariate(rate)
    return times


def say(nick: str, text: str) -> MessageReceived:
    from assistant.events import Identity

    return MessageReceived(
        platform="irc",
        network="benchnet",
        timestamp=utcnow(),
        channel=CHANNEL,
        actor=Identity("irc", "benchnet", nick, account=nick),
        text=text,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--every", type=int, default=10)
    parser.add_argument(
        "--arrivals",
        choices=("poisson", "bursts", "both"),
        default="both",
        help="lines from independent speakers, a tenth of a second's lines at once, or both",
    )
    args = parser.parse_args()
    patterns = ("poisson", "bursts") if args.arrivals == "both" else (args.arrivals,)
    console = Console()
    met = [asyncio.run(run(args.rate, args.seconds, args.every, p, console)) for p in patterns]
    raise SystemExit(0 if all(met) else 1)


if __name__ == "__main__":
    main()
