"""Query benchmark: the owner's questions on a big store, next to bare indexed SELECTs.

Run ``python bench/queries.py [--messages N] [--identities N] [--sessions N] [--backend
sqlite|postgresql]``. It builds a store of 1,000,000 messages from 5,000 identities over 200
weekly sessions (bulk SQL with ``executemany`` in one transaction, not through the recorder),
works out every session's attendance with the tracker's own code, then times through the
async database:

- ``seen``: :func:`assistant.storage.presence.last_seen` (target p99 < 10 ms);
- ``attendance PERSON``: person lookup + :func:`assistant.sessions.queries.person_attendance`
  (target p99 < 50 ms);
- ``sessions``: :func:`assistant.sessions.queries.recent_sessions` (target p99 < 50 ms);
- forgetting one person: :func:`assistant.storage.people.forget_person` (target < 1 s).

Each figure is printed with a same-run baseline (a bare indexed SELECT, or a bare DELETE of
one person's messages, through the same database) and their ratio.

With ``--backend postgresql`` it also starts a throwaway PostgreSQL cluster
(:mod:`assistant.testing.postgres`), fills a migrated database with the same rows (each
table read from the SQLite store and written with asyncpg's ``copy_records_to_table``, then
``ANALYZE``), and prints both backends' figures next to each other.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from rich.console import Console
from rich.table import Table

from assistant.sessions import store
from assistant.sessions.queries import person_attendance, recent_sessions
from assistant.storage.database import Database
from assistant.storage.people import forget_person, person_id_for
from assistant.storage.presence import last_seen
from assistant.testing.postgres import run_postgres

NETWORK = "libera"
SERIES = ("Aussie bloggers", "Podcast hour", "Dev chat", "Founders")
OTHER_CHANNELS = 12
WORDS = [
    *("anyone", "interviewing", "over", "skype", "this", "week", "I", "just", "published"),
    *("a", "post", "about", "microphones", "and", "editing", "thanks", "for", "the", "link"),
    *("what", "do", "you", "use", "for", "hosting", "the", "episode", "was", "great"),
]
FIRST = datetime(2025, 1, 5, 8, 30, tzinfo=UTC)  # a Sunday, 19:30 in Sydney
SESSION = timedelta(minutes=90)


def build(path: Path, messages: int, identities: int, sessions: int, seed: int) -> None:
    """Fill a migrated database with identities, sessions, stays and messages."""
    rng = random.Random(seed)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN")
    conn.execute("INSERT INTO networks (id, name, platform) VALUES (1, ?, 'irc')", (NETWORK,))
    channels = [f"#{name.split()[0].lower()}" for name in SERIES]
    channels += [f"#room{i}" for i in range(OTHER_CHANNELS)]
    conn.executemany(
        "INSERT INTO channels (id, network_id, key, name) VALUES (?, 1, ?, ?)",
        [(i + 1, name, name) for i, name in enumerate(channels)],
    )
    # One identity in ten is a second nick of the person before it ("nick_").
    persons: list[int] = []
    rows = []
    for i in range(identities):
        person = persons[-1] if i % 10 == 9 and persons else len(persons) + 1
        if person > len(persons):
            persons.append(person)
        nick = f"user{i}" if i % 10 != 9 else f"user{i - 1}_"
        rows.append((i + 1, NETWORK, nick.lower(), nick, person, FIRST.timestamp()))
    conn.executemany(
        "INSERT INTO persons (id, created_at) VALUES (?, ?)",
        [(p, FIRST.timestamp()) for p in persons],
    )
    conn.executemany(
        "INSERT INTO identities (id, platform, network_id, key, nick, person_id, first_seen) "
        "VALUES (?, 'irc', 1, ?, ?, ?, ?)",
        [(r[0], r[2], r[3], r[4], r[5]) for r in rows],
    )
    # Sessions: the series take turns, one a week each, like weekly chats over four years.
    in_sessions = int(messages * 0.7)
    per_session = in_sessions // sessions
    regulars = {s: rng.sample(range(1, identities + 1), 300) for s in range(len(SERIES))}
    stays, lines = [], []
    for number in range(sessions):
        series = number % len(SERIES)
        start = FIRST + timedelta(weeks=number // len(SERIES), hours=series)
        begin, end = start.timestamp(), (start + SESSION).timestamp()
        conn.execute(
            "INSERT INTO sessions (id, channel_id, name, started_at, ended_at, origin, status, "
            "series, timezone, planned_start, planned_end) "
            "VALUES (?, ?, ?, ?, ?, 'schedule', 'ended', ?, 'Australia/Sydney', ?, ?)",
            (number + 1, series + 1, SERIES[series], begin, end, SERIES[series], begin, end),
        )
        present = [who for who in regulars[series] if rng.random() < 0.8]
        for who in present:
            arrive = begin + rng.uniform(-600, 1800)
            leave = min(end + 600, arrive + rng.uniform(1200, 6000))
            stays.append((who, series + 1, arrive, leave, "part"))
        for _ in range(per_session):
            lines.append((series + 1, rng.choice(present), rng.uniform(begin, end)))
    span = (FIRST + timedelta(weeks=sessions // len(SERIES) + 1)).timestamp() - FIRST.timestamp()
    for _ in range(messages - len(lines)):
        lines.append(
            (
                rng.randrange(len(SERIES) + 1, len(channels) + 1),
                rng.randrange(1, identities + 1),
                FIRST.timestamp() + rng.uniform(0, span),
            )
        )
    lines.sort(key=lambda line: line[2])
    conn.executemany(
        "INSERT INTO presence_intervals (identity_id, channel_id, joined_at, left_at, left_kind) "
        "VALUES (?, ?, ?, ?, ?)",
        stays,
    )
    conn.executemany(
        "INSERT INTO messages (channel_id, identity_id, at, kind, text) "
        "VALUES (?, ?, ?, 'message', ?)",
        ((channel, who, at, " ".join(rng.choices(WORDS, k=8))) for channel, who, at in lines),
    )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


async def fill_postgresql(path: Path, dsn: str) -> None:
    """Copy every table of the SQLite store at ``path`` into a migrated PostgreSQL database."""
    async with await Database.open_postgresql(dsn):
        pass
    source = sqlite3.connect(path)
    names = [
        row[0]
        for row in source.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name != 'schema_migrations' ORDER BY rowid"
        )
    ]
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            for name in names:
                cursor = source.execute(f'SELECT * FROM "{name}"')
                columns = [d[0] for d in cursor.description]
                records = cursor.fetchall()
                if not records:
                    continue
                await conn.copy_records_to_table(name, records=records, columns=columns)
                if "id" in columns:  # the ids were given: move the sequence past them
                    await conn.execute(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f'(SELECT max(id) FROM "{name}"))'
                    )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
        source.close()


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p99 * 1000


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


async def measure(db: Database, identities: int, runs: int, seed: int) -> list[tuple[Any, ...]]:
    """Time each query and its baseline on ``db``; rows of (name, p50, p99, b50, b99, target)."""
    rng = random.Random(seed + 1)
    results: list[tuple[Any, ...]] = []
    began = time.perf_counter()
    ids = [row[0] for row in await db.fetchall("SELECT id FROM sessions")]
    for session_id in ids:
        await db.transaction(lambda conn, sid=session_id: store.compute_attendance(conn, sid))
    per_session = (time.perf_counter() - began) / max(1, len(ids))

    async def bare_seen(i: int) -> Any:
        return await db.fetchone(
            "SELECT at, text FROM messages WHERE identity_id = ? ORDER BY at DESC LIMIT 1",
            (i,),
        )

    nicks = [row[0] for row in await db.fetchall("SELECT nick FROM identities")]

    async def seen(i: int) -> Any:
        return await last_seen(db, NETWORK, nicks[i % len(nicks)])

    # Asked about people who come to the chats (a stranger's record is trivially empty).
    attendees = [
        row[0]
        for row in await db.fetchall(
            "SELECT DISTINCT i.nick FROM session_attendance AS a "
            "JOIN identities AS i ON i.person_id = a.person_id"
        )
    ]

    async def attendance(i: int) -> Any:
        person = await person_id_for(db, NETWORK, attendees[i % len(attendees)])
        assert person is not None
        return await person_attendance(db, person)

    async def bare_attendance(i: int) -> Any:
        return await db.fetchall(
            "SELECT session_id, arrived_at FROM session_attendance WHERE person_id = ?",
            (i,),
        )

    async def sessions(_: int) -> Any:
        return await recent_sessions(db, 20)

    async def bare_sessions(_: int) -> Any:
        return await db.fetchall(
            "SELECT id, started_at FROM sessions ORDER BY started_at DESC LIMIT 20"
        )

    persons = (await db.fetchone("SELECT max(id) FROM persons") or (identities,))[0]
    for name, work, baseline, target, upto in (
        ("seen", seen, bare_seen, 10.0, identities),
        ("attendance PERSON", attendance, bare_attendance, 50.0, identities),
        ("sessions", sessions, bare_sessions, 50.0, identities),
    ):
        await timed(10, work, rng, upto)  # warm the page cache
        p50, p99 = percentiles(await timed(runs, work, rng, upto))
        b50, b99 = percentiles(await timed(runs, baseline, rng, persons))
        results.append((name, p50, p99, b50, b99, target))

    forgets, deletes = [], []
    victims = rng.sample(range(1, persons + 1), 10)
    for person in victims[:5]:
        began = time.perf_counter()
        await forget_person(db, person)
        forgets.append(time.perf_counter() - began)
    for person in victims[5:]:
        sql = (
            "DELETE FROM messages WHERE identity_id IN "
            "(SELECT id FROM identities WHERE person_id = ?)"
        )
        began = time.perf_counter()
        await db.transaction(lambda conn, p=person, q=sql: conn.execute(q, (p,)))
        deletes.append(time.perf_counter() - began)
    results.append(
        (
            "forget PERSON",
            statistics.median(forgets) * 1000,
            max(forgets) * 1000,
            statistics.median(deletes) * 1000,
            max(deletes) * 1000,
            1000.0,
        )
    )
    results.append(
        ("attendance of one session (close)", per_session * 1000, None, None, None, None)
    )
    return results


async def measure_sqlite(
    path: Path, identities: int, runs: int, seed: int
) -> list[tuple[Any, ...]]:
    async with await Database.open(path) as db:
        return await measure(db, identities, runs, seed)


async def measure_postgresql(
    path: Path, identities: int, runs: int, seed: int, console: Console
) -> list[tuple[Any, ...]]:
    with run_postgres() as cluster:
        dsn = cluster.create_database()
        began = time.perf_counter()
        await fill_postgresql(path, dsn)
        console.print(f"copied into PostgreSQL in {time.perf_counter() - began:.1f} s")
        async with await Database.open_postgresql(dsn) as db:
            return await measure(db, identities, runs, seed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--identities", type=int, default=5_000)
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--runs", type=int, default=300, help="timed calls per query")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--backend",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="postgresql: time both backends on the same rows and print them side by side",
    )
    args = parser.parse_args()
    console = Console(width=max(Console().width, 110))  # both backends' columns, unwrapped
    figures: dict[str, list[tuple[Any, ...]]] = {}
    with tempfile.TemporaryDirectory(prefix="presence-bench-") as folder:
        path = Path(folder) / "presence.sqlite3"

        async def migrate() -> None:
            async with await Database.open(path):
                pass

        asyncio.run(migrate())
        began = time.perf_counter()
        build(path, args.messages, args.identities, args.sessions, args.seed)
        console.print(
            f"built {args.messages:,} messages, {args.identities:,} identities, "
            f"{args.sessions} sessions in {time.perf_counter() - began:.1f} s"
        )
        if args.backend == "postgresql":
            # Filled before SQLite is timed: timing works out attendance and forgets people.
            figures["postgresql"] = asyncio.run(
                measure_postgresql(path, args.identities, args.runs, args.seed, console)
            )
        figures["sqlite"] = asyncio.run(measure_sqlite(path, args.identities, args.runs, args.seed))
    table = Table(title="Queries (ms; baseline = bare indexed SQL through the same database)")
    for column in (
        "query",
        "backend",
        "p50",
        "p99",
        "baseline p50",
        "baseline p99",
        "p99 ratio",
        "target",
    ):
        left = column in ("query", "backend")
        table.add_column(column, justify="left" if left else "right", no_wrap=column != "query")
    backends = [name for name in ("sqlite", "postgresql") if name in figures]
    for index, (name, *_) in enumerate(figures["sqlite"]):
        for backend in backends:
            _, p50, p99, b50, b99, target = figures[backend][index]
            label = name if backend == backends[0] else ""
            if p99 is None:
                table.add_row(label, backend, f"{p50:.1f}", "", "", "", "", "")
                continue
            ok = "[green]✓[/]" if p99 < target else "[red]✗[/]"
            table.add_row(
                label,
                backend,
                f"{p50:.2f}",
                f"{p99:.2f}",
                f"{b50:.2f}",
                f"{b99:.2f}",
                f"{p99 / b99:.1f}x",
                f"< {target:g} {ok}",
            )
        if len(backends) > 1:
            table.add_section()
    console.print(table)
    console.print(
        "forget PERSON: p50 = median and p99 = worst of 5; baseline = deleting messages only"
    )


if __name__ == "__main__":
    main()
