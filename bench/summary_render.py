"""Summary benchmark: compose and render a 5,000-message session, against a bare SELECT.

Run ``python bench/summary_render.py [--messages N] [--people P] [--repeat R]``. It records a
generated 90-minute weekly chat (N messages from P people who come and go, with an analysis
for every message: topics, questions, reply links, links) through the real recorder into a
fresh database, closes its session with the sessions store, then times (median of R runs):

- the baseline: one bare ``SELECT`` of the session's messages (what any summary must read);
- composing the summary from the database (``compose_summary``);
- rendering Markdown, HTML with the timeline picture, and JSON;

and prints each time, the total (target < 1 s) and the total as a multiple of the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

from assistant.config import parse_settings
from assistant.events import Identity, MemberJoined, MemberLeft, MessageReceived
from assistant.recorder import Recorder
from assistant.sessions.store import close_session, open_session
from assistant.storage.database import Database
from assistant.summaries.compose import compose_summary
from assistant.summaries.html import render_html
from assistant.summaries.json import render_json
from assistant.summaries.markdown import render_markdown

NETWORK, CHANNEL = "libera", "#bloggers"
START = datetime(2024, 1, 7, 8, 30, tzinfo=UTC)
MINUTES = 90
TARGET = 1.0
_SENTENCE = (
    "anyone interviewing over skype this week I just published a post about microphones "
    "and editing thanks for the link what do you use for hosting the episode was great "
    "we should try a collaboration next sunday welcome back how is the new blog going"
)
WORDS = _SENTENCE.split()
TOPICS = ("skype", "podcasting", "microphones", "hosting", "seo", "wordpress", "newsletter")


async def prepare(db: Database, messages: int, people: int, seed: int) -> int:
    """Record the generated chat and its analyses; return the closed session's id."""
    rng = random.Random(seed)
    recorder = Recorder(db)
    nicks = [f"member{i}" for i in range(people)]
    who = [Identity("irc", NETWORK, nick, userhost=f"{nick}@h") for nick in nicks]
    span = MINUTES * 60
    for identity in who:
        joined = START + timedelta(seconds=rng.uniform(-600, span / 3))
        recorder.record(
            MemberJoined(
                platform="irc", network=NETWORK, timestamp=joined, channel=CHANNEL, actor=identity
            )
        )
    texts = []
    for number in range(messages):
        at = START + timedelta(seconds=span * number / messages)
        text = " ".join(rng.choices(WORDS, k=rng.randint(3, 14)))
        if rng.random() < 0.1:
            text += "?"
        if rng.random() < 0.03:
            text += f" https://example.org/post/{number}"
        text += f" #{number}"  # unique, so each analysis finds its own message
        texts.append(text)
        recorder.record(
            MessageReceived(
                platform="irc",
                network=NETWORK,
                timestamp=at,
                channel=CHANNEL,
                actor=rng.choice(who),
                text=text,
            )
        )
    for identity in who[: people // 3]:
        left = START + timedelta(seconds=rng.uniform(span / 2, span))
        recorder.record(
            MemberLeft(
                platform="irc",
                network=NETWORK,
                timestamp=left,
                channel=CHANNEL,
                actor=identity,
                kind="part",
            )
        )
    await db.flush()
    rows = await db.fetchall("SELECT id, text FROM messages ORDER BY id")
    analyses = []
    for index, row in enumerate(rows):
        replies = (
            [f"k{rows[index - rng.randint(1, 5)][0]}"] if index > 5 and rng.random() < 0.5 else []
        )
        text = str(row[1])
        links = [word for word in text.split() if word.startswith("https://")]
        topics = rng.sample(TOPICS, k=rng.randint(0, 2))
        analyses.append(
            (
                row[0],
                f"k{row[0]}",
                json.dumps(topics),
                int("?" in text),
                json.dumps([]),
                json.dumps(links),
                json.dumps(replies),
            )
        )
    await db.transaction(
        lambda conn: conn.executemany(
            "INSERT INTO message_analyses (message_id, key, topics, is_question, addressees, "
            "links, acts, reply_to, thread, analyzed_at) VALUES (?, ?, ?, ?, ?, ?, '[]', ?, '', 0)",
            analyses,
        )
    )
    session_id = await db.transaction(
        lambda conn: open_session(
            conn,
            network=NETWORK,
            platform="irc",
            channel=CHANNEL,
            name="Aussie bloggers",
            origin="schedule",
            started_at=START.timestamp(),
            timezone="Australia/Sydney",
        )
    )
    end = (START + timedelta(seconds=span)).timestamp()
    await db.transaction(lambda conn: close_session(conn, session_id, end))
    return session_id


async def median_time(work: Callable[[], Awaitable[object]], repeat: int) -> tuple[float, float]:
    """The median wall time and CPU time of ``work`` over ``repeat`` runs, in seconds.

    The CPU time (every thread of this process) does not grow when other processes
    compete for the machine, so it is the figure to compare on a busy machine.
    """
    walls, cpus = [], []
    for _ in range(repeat):
        began, cpu = time.perf_counter(), time.process_time()
        await work()
        walls.append(time.perf_counter() - began)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


async def main(messages: int, people: int, repeat: int, seed: int) -> bool:
    """Prepare, measure, print; return whether the target was met."""
    settings = parse_settings(
        {
            "owner": {"identities": [{"platform": "irc", "account": "member0"}]},
            "watchlist": [
                {"name": f"Notable {i}", "identities": [{"platform": "irc", "nick": f"member{i}"}]}
                for i in range(1, 6)
            ],
        }
    )
    with tempfile.TemporaryDirectory(prefix="presence-bench-") as folder:
        async with await Database.open(Path(folder) / "bench.sqlite3") as db:
            session_id = await prepare(db, messages, people, seed)
            session = await db.fetchone(
                "SELECT channel_id, started_at, ended_at FROM sessions WHERE id = ?",
                (session_id,),
            )
            assert session is not None

            async def baseline() -> object:
                return await db.fetchall(
                    "SELECT * FROM messages WHERE channel_id = ? AND at >= ? AND at <= ?",
                    (session[0], session[1], session[2]),
                )

            async def compose() -> object:
                return await compose_summary(db, session_id, settings)

            summary = await compose_summary(db, session_id, settings)

            async def sync(render: Callable[[], object]) -> object:
                return render()

            figures = {
                "baseline: SELECT the session's messages": await median_time(baseline, repeat),
                "compose from the database": await median_time(compose, repeat),
                "render Markdown": await median_time(
                    lambda: sync(lambda: render_markdown(summary)), repeat
                ),
                "render HTML (with the picture)": await median_time(
                    lambda: sync(lambda: render_html(summary)), repeat
                ),
                "render JSON": await median_time(
                    lambda: sync(lambda: render_json(summary)), repeat
                ),
            }
    base, base_cpu = figures.pop("baseline: SELECT the session's messages")
    total = sum(wall for wall, _ in figures.values())
    total_cpu = sum(cpu for _, cpu in figures.values())
    table = Table(title=f"Summary of a {messages:,}-message session ({people} people)")
    table.add_column("step")
    table.add_column("median ms", justify="right")
    table.add_column("CPU ms", justify="right")
    table.add_row(
        "baseline: SELECT the session's messages", f"{base * 1000:.1f}", f"{base_cpu * 1000:.1f}"
    )
    for name, (wall, cpu) in figures.items():
        table.add_row(name, f"{wall * 1000:.1f}", f"{cpu * 1000:.1f}")
    table.add_row(
        "[bold]compose + render (all three)",
        f"[bold]{total * 1000:.1f}",
        f"[bold]{total_cpu * 1000:.1f}",
    )
    console = Console()
    console.print(table)
    ok = total < TARGET
    console.print(
        f"summary: total={total * 1000:.0f} ms (CPU {total_cpu * 1000:.0f} ms) "
        f"target<{TARGET * 1000:.0f} ms ({'met' if ok else 'MISSED'}); "
        f"{total / base:.1f}x the bare SELECT ({base * 1000:.1f} ms); "
        f"{len(summary.attendance)} attendees, {len(summary.unanswered)} unanswered, "
        f"{len(summary.links)} links",
        highlight=False,
    )
    return ok


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--people", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.messages, arguments.people, arguments.repeat, arguments.seed))
