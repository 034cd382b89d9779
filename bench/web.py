"""Dashboard benchmark: each page's server-side time on a big store, next to bare queries.

Run ``python bench/web.py [--messages N] [--people N] [--sessions N] [--runs N]
[--backend sqlite|postgresql]``. It builds
the store ``bench/queries.py`` builds (by default 1,000,000 messages from 5,000 identities —
``--people`` counts identities, one in ten of them a second nick of the person before it —
over 200 weekly sessions, with every session's attendance worked out by the tracker's own
code), then adds what the Now page reads: 150 people in ``#aussie`` right now, a session
under way there, and 100 pending openings; and an analysis of every message (one to three
topics from a small vocabulary, a link in one line of fifty), which the Person page's
topics by week and links read. Then it times, in the same run:

- each page, as the time the dashboard's ASGI application takes from the request to the
  last byte of the response (server-side: no socket, no browser), with the access token in
  an ``Authorization`` header; the target is p99 < 100 ms;
- next to each, a bare indexed SELECT of the same data through the same database.

While it serves, the dashboard keeps a summary of every finished session on disk, made in
the background (composed in a process of its own, or read from the summary files
``presence run`` writes after each chat); the bench runs that pass once before timing
(writing those files for some sessions first) and prints how long it took. One session's
page is then timed three ways, each first view on a session not viewed before: one whose
kept summary was composed in the background, one whose kept summary came from its summary
files, and a session viewed again (from memory).

With ``--backend postgresql`` it then copies the same rows into a throwaway PostgreSQL
cluster (as ``bench/queries.py`` does) and times every page again there, the dashboard's
worker processes reading PostgreSQL through the DSN's variable; both tables are printed.

It prints the figures; it is not a test. At the issue's scale (the defaults) it takes
several minutes, most of it composing summaries; ``--messages 200000`` runs in about two.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib.util
import json
import os
import random
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from assistant_openings.store import MIGRATIONS, MIGRATIONS_BY_DIALECT
from rich.console import Console
from rich.table import Table

from assistant.config import parse_settings
from assistant.sessions import store
from assistant.storage.database import Database
from assistant.summaries.compose import compose_summary
from assistant.summaries.deliver import configured_formats, folder_for, write_files
from assistant.testing.postgres import run_postgres
from assistant.web.access import load_access
from assistant.web.app import create_app
from assistant.web.summaries import CACHED

_spec = importlib.util.spec_from_file_location(
    "bench_queries", Path(__file__).with_name("queries.py")
)
assert _spec is not None and _spec.loader is not None
bench_queries = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_queries)

TARGET_MS = 100.0
DSN_ENV = "PRESENCE_BENCH_DSN"
HERE_NOW = 150
OPENINGS = 100


def _settings(path: Path, backend: str = "sqlite") -> Any:
    channels = [{"name": f"#{name.split()[0].lower()}"} for name in bench_queries.SERIES]
    storage: dict[str, str] = {"path": str(path)}
    if backend == "postgresql":
        storage = {"backend": "postgresql", "dsn_env": DSN_ENV}
    return parse_settings(
        {
            "networks": {"libera": {"host": "127.0.0.1", "channels": channels}},
            "storage": storage,
            "summaries": {"folder": str(path.parent / f"summaries-{backend}")},
            "analysis": {"enabled": False},
            "watchlist": [
                {"name": f"Member {i}", "identities": [{"platform": "irc", "nick": f"user{i}"}]}
                for i in range(1, 40, 7)
            ],
        }
    )


TOPICS = [f"topic {n}" for n in range(60)]


def add_analyses(path: Path, seed: int) -> int:
    """An analysis row for every message: its topics and, now and then, a link."""
    rng = random.Random(seed + 3)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        ids = [row[0] for row in conn.execute("SELECT id FROM messages")]
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO message_analyses (message_id, key, topics, links, analyzed_at) "
            "VALUES (?, ?, ?, ?, 0)",
            (
                (
                    message,
                    f"m{message}",
                    json.dumps(rng.sample(TOPICS, rng.randint(1, 3))),
                    json.dumps([f"https://example.org/{message}"] if rng.random() < 0.02 else []),
                )
                for message in ids
            ),
        )
        conn.execute("COMMIT")
    finally:
        conn.close()
    return len(ids)


def add_now(path: Path, identities: int, seed: int) -> None:
    """People in #aussie now, a session under way there, and pending openings."""
    rng = random.Random(seed + 2)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    last = conn.execute("SELECT max(coalesce(ended_at, started_at)) FROM sessions").fetchone()[0]
    now = float(last) + 7 * 86400
    conn.execute(
        "INSERT INTO sessions (channel_id, name, started_at, origin, status, series, timezone) "
        "VALUES (1, 'Aussie bloggers', ?, 'schedule', 'active', 'Aussie bloggers', "
        "'Australia/Sydney')",
        (now - 1200,),
    )
    here = rng.sample(range(1, identities + 1), min(HERE_NOW, identities))
    conn.executemany(
        "INSERT INTO presence_intervals (identity_id, channel_id, joined_at) VALUES (?, 1, ?)",
        [(who, now - rng.uniform(0, 3600)) for who in here],
    )
    owner = _settings(path).owner.history_key  # the inbox lists this owner's openings only
    conn.executemany(
        "INSERT INTO openings_found (owner, person_id, person, kind, network, channel, nick, "
        "message, at, found_at, score, parts, reason, angle) VALUES "
        "(?, ?, ?, 'unanswered', 'libera', '#aussie', ?, ?, ?, ?, 0.7, '{}', ?, ?)",
        [
            (
                owner,
                who,
                f"Member {who}",
                f"user{who}",
                "anyone interviewing over skype this week?",
                now - i,
                now - i,
                "asked the room and nobody answered",
                "Answer: you record interviews weekly",
            )
            for i, who in enumerate(rng.sample(range(1, identities // 2), OPENINGS))
        ],
    )
    conn.execute("COMMIT")
    conn.close()


async def timed(
    runs: int, work: Callable[[int], Awaitable[Any]], rng: random.Random, upto: int
) -> list[float]:
    samples = []
    for _ in range(runs):
        arg = rng.randrange(1, upto + 1)
        began = time.perf_counter()
        await work(arg)
        samples.append(time.perf_counter() - began)
    return samples


async def complete(path: Path, args: argparse.Namespace) -> None:
    """Every session's attendance, then what the Now page reads (:func:`add_now`)."""
    async with await Database.open(path) as db:
        ids = [row[0] for row in await db.fetchall("SELECT id FROM sessions")]
        for session_id in ids:

            def attendance(conn: sqlite3.Connection, sid: int = session_id) -> None:
                store.compute_attendance(conn, sid)

            await db.transaction(attendance)
    await asyncio.to_thread(add_now, path, args.people, args.seed)


async def fill_postgresql(path: Path, dsn: str) -> None:
    """The SQLite store's rows in a PostgreSQL database migrated for the openings too."""
    async with await Database.open_postgresql(dsn) as db:
        await db.apply_migrations("plugin:openings", MIGRATIONS_BY_DIALECT)
    await bench_queries.fill_postgresql(path, dsn)


async def measure(
    path: Path, args: argparse.Namespace, backend: str = "sqlite"
) -> tuple[list[tuple[Any, ...]], tuple[int, float]]:
    rng = random.Random(args.seed + 1)
    settings = _settings(path, backend)
    results: list[tuple[Any, ...]] = []
    opened = Database.open(path) if backend == "sqlite" else Database.open_settings(settings)
    async with await opened as db:
        ids = [row[0] for row in await db.fetchall("SELECT id FROM sessions ORDER BY id")]
        access = load_access(settings)
        app = create_app(db, settings, access)
        gc.freeze()  # as `presence web` does once it is up
        bearer = {"Authorization": f"Bearer {access.secret}"}
        persons = int((await db.fetchone("SELECT max(id) FROM persons") or (1,))[0])
        sessions = len(ids)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:

            def page(address: Callable[[int], str]) -> Callable[[int], Awaitable[Any]]:
                async def get(i: int) -> Any:
                    response = await client.get(address(i), headers=bearer)
                    assert response.status_code == 200, (address(i), response.status_code)
                    return response

                return get

            def bare(sql: str, params: Callable[[int], tuple[Any, ...]]) -> Callable[[int], Any]:
                async def query(i: int) -> Any:
                    return await db.fetchall(sql, params(i))

                return query

            pages: list[tuple[str, Callable[[int], Any], str, Callable[[int], Any], int]] = [
                (
                    "Now",
                    page(lambda i: "/now"),
                    "open stays in one channel",
                    bare(
                        "SELECT identity_id FROM presence_intervals "
                        "WHERE channel_id = 1 AND left_at IS NULL",
                        lambda i: (),
                    ),
                    1,
                ),
                (
                    "Sessions",
                    page(lambda i: "/sessions"),
                    "latest 50 sessions",
                    bare(
                        "SELECT id, started_at FROM sessions ORDER BY started_at DESC LIMIT 50",
                        lambda i: (),
                    ),
                    1,
                ),
                (
                    "People",
                    page(lambda i: "/people"),
                    "200 identities",
                    bare("SELECT id, nick FROM identities ORDER BY id LIMIT 200", lambda i: ()),
                    1,
                ),
                (
                    "People ?q=",
                    page(lambda i: f"/people?q=user{i}"),
                    "nick prefix",
                    bare(
                        "SELECT id, nick FROM identities WHERE nick LIKE ?",
                        lambda i: (f"user{i}%",),
                    ),
                    args.people,
                ),
                (
                    "Person",
                    page(lambda i: f"/people/{i}"),
                    "their latest 20 lines",
                    bare(
                        "SELECT at, text FROM messages WHERE identity_id = ? "
                        "ORDER BY at DESC LIMIT 20",
                        lambda i: (i,),
                    ),
                    persons,
                ),
                (
                    "Health",
                    page(lambda i: "/health"),
                    "count(*) of messages",
                    bare("SELECT count(*) FROM messages", lambda i: ()),
                    1,
                ),
            ]
            # One session's page, three ways: kept after being composed in the background,
            # kept after being read from the summary files written after the chat, and
            # viewed again (from memory). Each first view is of a session not seen before.
            finished = ids[:-1]  # the last one is under way (add_now)
            rng.shuffle(finished)
            fresh = args.runs + 3
            composed, from_file = finished[:fresh], finished[fresh : 2 * fresh]
            for session_id in from_file:  # what presence run wrote after each chat
                summary = await compose_summary(db, session_id, settings)
                formats = configured_formats(settings.summaries)
                await asyncio.to_thread(write_files, summary, folder_for(settings), formats)
            began = time.perf_counter()
            made = await app.state.summaries.prepare()  # what `presence web` does in the background
            prepared = (made, time.perf_counter() - began)
            messages = bare(
                "SELECT m.at, m.text FROM messages AS m JOIN sessions AS s "
                "ON s.channel_id = m.channel_id WHERE s.id = ? "
                "AND m.at BETWEEN s.started_at AND s.ended_at",
                lambda i: (i,),
            )

            kept = (composed + from_file)[-CACHED:]  # those the dashboard still keeps

            def each(chosen: list[int]) -> Callable[[int], Awaitable[Any]]:
                left = iter(chosen)
                view = page(lambda i: f"/sessions/{i}")

                async def get(i: int) -> Any:
                    return await view(next(left))

                return get

            pages[2:2] = [
                (
                    "one session, 1st view",
                    each(composed),
                    "its messages",
                    messages,
                    sessions - 1,
                ),
                (
                    "one session, 1st, file",
                    each(from_file),
                    "its messages",
                    messages,
                    sessions - 1,
                ),
                (
                    "one session, again",
                    page(lambda i: f"/sessions/{kept[i % len(kept)]}"),
                    "its messages",
                    messages,
                    sessions - 1,
                ),
            ]
            for name, work, baseline_name, baseline, upto in pages:
                await timed(3, work, rng, upto)  # warm the page cache
                samples = await timed(args.runs, work, rng, upto)
                p50, p99 = bench_queries.percentiles(samples)
                await timed(3, baseline, rng, upto)
                b50, b99 = bench_queries.percentiles(await timed(args.runs, baseline, rng, upto))
                results.append((name, p50, p99, baseline_name, b50, b99))
        app.state.ranking.close()
        app.state.summaries.close()
    return results, prepared


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=5_000, help="identities (default 5,000)")
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--runs", type=int, default=30, help="timed requests per page")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--backend",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="postgresql: time the pages on both backends, on the same rows",
    )
    args = parser.parse_args()
    if args.sessions < 2 * (args.runs + 3) + 1:
        least = 2 * (args.runs + 3) + 1
        parser.error(f"--sessions must be at least {least} for --runs {args.runs}")
    console = Console()
    with tempfile.TemporaryDirectory(prefix="presence-bench-web-") as folder:
        path = Path(folder) / "presence.sqlite3"

        async def migrate() -> None:
            async with await Database.open(path) as db:
                await db.apply_migrations("plugin:openings", list(MIGRATIONS))

        asyncio.run(migrate())
        began = time.perf_counter()
        bench_queries.build(path, args.messages, args.people, args.sessions, args.seed)
        analysed = add_analyses(path, args.seed)
        console.print(
            f"built {args.messages:,} messages ({analysed:,} analysed), {args.people:,} "
            f"identities, {args.sessions} sessions in {time.perf_counter() - began:.1f} s"
        )
        asyncio.run(complete(path, args))
        figures = {"sqlite": asyncio.run(measure(path, args))}
        if args.backend == "postgresql":
            with run_postgres() as cluster:
                dsn = cluster.create_database()
                asyncio.run(fill_postgresql(path, dsn))
                os.environ[DSN_ENV] = dsn  # the dashboard's worker processes inherit it
                here = Path.cwd()
                os.chdir(folder)  # where settings from no file keep the token and summaries
                try:
                    figures["postgresql"] = asyncio.run(measure(path, args, "postgresql"))
                finally:
                    os.chdir(here)
    for backend, (results, (made, took)) in figures.items():
        console.print(
            f"{backend}: kept the summaries of {made} finished sessions in {took:.1f} s "
            f"({took / max(made, 1):.2f} s each; the background pass, composing in a process "
            "of its own or reading the summary files)"
        )
        table = Table(
            title=f"Dashboard pages on {backend}, server-side (ms, {args.runs} requests each; "
            "baseline = a bare SELECT of the same data through the same database)"
        )
        for column in ("page", "p50", "p99", "target", "baseline", "base p50", "base p99"):
            table.add_column(column, justify="left" if column in ("page", "baseline") else "right")
        for name, p50, p99, baseline, b50, b99 in results:
            ok = "[green]✓[/]" if p99 < TARGET_MS else "[red]✗[/]"
            table.add_row(
                name,
                f"{p50:.1f}",
                f"{p99:.1f}",
                f"< {TARGET_MS:g} {ok}",
                baseline,
                f"{b50:.2f}",
                f"{b99:.2f}",
            )
        console.print(table)


if __name__ == "__main__":
    main()
