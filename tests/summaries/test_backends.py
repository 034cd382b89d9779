"""The same chat recorded into SQLite and into PostgreSQL is summarised the same, byte for byte.

Both databases hold the weekly chat twice (a week apart); the summary, the catch-up and the
brief composed from each are rendered and compared whole, so any difference in what the
backends' SQL returns (types, order, case, NULLs) shows up as a differing line. The
PostgreSQL database sorts text by a language's rules (ICU), as a server set up with a
locale does, where SQLite compares code points.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest

from assistant.config import Settings
from assistant.recorder import Recorder
from assistant.storage.database import Database
from assistant.summaries.brief import compose_brief, render_brief
from assistant.summaries.catchup import (
    CatchupError,
    catchup_json,
    compose_catchup,
    render_catchup,
)
from assistant.summaries.compose import compose_summary, find_session
from assistant.summaries.json import render_json
from assistant.summaries.markdown import render_markdown
from assistant.testing.factories import ChatScript
from assistant.testing.postgres import PostgresCluster

from .conftest import CHANNEL, END, NET, START, record_scene, settings

SETTINGS = settings(notable_top=3)  # the notability ranking's SQL too
NOW = END + timedelta(weeks=1)


async def rendered(db: Database, config: Settings) -> dict[str, str]:
    """Every rendering of what ``db`` holds: both sessions' summaries, a catch-up, a brief."""
    first = await record_scene(db)
    second = await record_scene(db, weeks_later=1)
    chat = ChatScript(NET, start=START, sink=Recorder(db).record)  # upper case sorts first
    chat.said("zed", "a word elsewhere", "#Quiet")  # in code points only
    await db.flush()
    out: dict[str, str] = {}
    assert await db.run_in_thread(lambda conn: find_session(conn, CHANNEL)) == second
    for session_id in (first, second):
        summary = await compose_summary(db, session_id, config, now=NOW)
        out[f"{session_id}.md"] = render_markdown(summary)
        out[f"{session_id}.json"] = render_json(summary)
    catchup = await compose_catchup(
        db,
        config,
        network=None,
        channel="#BLOGGERS",
        start=START + timedelta(minutes=4),
        end=NOW,
        now=NOW,
    )
    out["catchup.txt"] = render_catchup(catchup)
    out["catchup.json"] = repr(catchup_json(catchup))
    for series in ("Aussie bloggers", None):
        brief = await compose_brief(
            db,
            config,
            network=NET,
            channel=CHANNEL,
            starts_at=START + timedelta(weeks=2),
            name="Aussie bloggers",
            series=series,
            timezone="Australia/Sydney",
        )
        out[f"brief-{series}.txt"] = render_brief(brief)
    with pytest.raises(CatchupError) as unknown:
        await compose_catchup(db, config, network=None, channel="#nosuch", start=START, end=NOW)
    out["unknown channel"] = str(unknown.value)
    return out


@pytest.fixture
async def sqlite(tmp_path: Path) -> AsyncIterator[Database]:
    async with await Database.open(tmp_path / "presence.sqlite3", flush_interval=0.01) as db:
        yield db


@pytest.fixture
async def postgresql(
    postgres_cluster: PostgresCluster, postgres_dsn: str
) -> AsyncIterator[Database]:
    """A database whose text sorts by English rules (ICU), not by code point."""
    name = f"{postgres_dsn.rsplit('/', 1)[1]}_icu"
    conn = await asyncpg.connect(postgres_dsn)
    try:
        await conn.execute(
            f"CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en'"
        )
    finally:
        await conn.close()
    async with await Database.open_postgresql(
        postgres_cluster.dsn(name), flush_interval=0.01
    ) as db:
        yield db


async def test_both_backends_compose_the_same_summaries(
    sqlite: Database, postgresql: Database
) -> None:
    expected = await rendered(sqlite, SETTINGS)
    assert "Darren Rowse (darren)" in expected["2.md"]  # a real summary, not an empty one
    assert "Before Aussie bloggers" in expected["brief-None.txt"]
    assert "known channels: #Quiet (libera), #bloggers (libera)" in expected["unknown channel"]
    got = await rendered(postgresql, SETTINGS)
    assert list(got) == list(expected)
    for name, text in expected.items():
        assert got[name] == text, name
