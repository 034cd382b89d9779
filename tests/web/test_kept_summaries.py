"""Each finished session's summary is kept on disk ahead of its first view, and made again
when what it is built from changes; on both backends (the background process reads an
SQLite file, or PostgreSQL through the DSN's variable)."""

from __future__ import annotations

import asyncio
import sqlite3
import stat
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.config import Settings, parse_settings
from assistant.recorder import Recorder
from assistant.sessions import store
from assistant.storage.database import Database
from assistant.storage.people import forget_person
from assistant.summaries.compose import compose_summary
from assistant.summaries.deliver import folder_for, write_files
from assistant.summaries.model import SummarySection
from assistant.testing.factories import ChatScript
from assistant.web import summaries as web_summaries
from assistant.web.access import load_access
from assistant.web.app import create_app
from assistant.web.prepared import SummaryStore, store_path

START = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


DSN_ENV = "PRESENCE_KEPT_TEST_DSN"


@dataclass(frozen=True)
class Case:
    """A test's database on one backend, its settings and where its summaries are kept."""

    folder: Path
    dsn: str
    """PostgreSQL's DSN (in :data:`DSN_ENV` too), or empty for the SQLite file."""

    def settings(self, zone: str = "UTC") -> Settings:
        storage: dict[str, str] = {"path": str(self.folder / "presence.sqlite3")}
        if self.dsn:
            storage = {"backend": "postgresql", "dsn_env": DSN_ENV}
        return parse_settings(
            {
                "networks": {"libera": {"host": "127.0.0.1", "channels": [{"name": "#podcasts"}]}},
                "storage": storage,
                "summaries": {"folder": str(self.folder / "summaries"), "timezone": zone},
                "analysis": {"enabled": False},
            }
        )

    async def open(self) -> Database:
        if self.dsn:
            return await Database.open_postgresql(self.dsn)
        return await Database.open(self.folder / "presence.sqlite3")

    @property
    def store(self) -> Path:
        """The kept summaries' folder (PostgreSQL's is next to the config: here, the
        working directory, as the settings come from no file)."""
        if self.dsn:
            return self.folder / "presence-postgresql.web-summaries"
        return store_path(self.folder / "presence.sqlite3")


@pytest.fixture
def case(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Case:
    """The test's database on each backend."""
    dsn = request.getfixturevalue("postgres_dsn") if backend == "postgresql" else ""
    if dsn:
        monkeypatch.setenv(DSN_ENV, dsn)  # the background process inherits it
        monkeypatch.chdir(tmp_path)
    return Case(tmp_path, dsn)


async def _chat(db: Database) -> ChatScript:
    """A finished hour in #podcasts: alice asks, bob answers (session 1)."""
    chat = ChatScript("libera", sink=Recorder(db).record)
    chat.joined("alice", "#podcasts", at=START)
    chat.said(
        "alice",
        "who records on a zoom h5?",
        "#podcasts",
        message_id="m1",
        at=START + timedelta(minutes=1),
    )
    chat.said("bob", "a tascam dr-40 here", "#podcasts", at=START + timedelta(minutes=5))
    await db.flush()
    end = (START + timedelta(hours=1)).timestamp()

    def session(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO sessions (channel_id, name, started_at, ended_at, origin, status, "
            "series, timezone) VALUES (1, 'Morning chat', ?, ?, 'schedule', 'ended', "
            "'Morning chat', 'UTC')",
            (START.timestamp() - 60, end),
        )
        store.compute_attendance(conn, 1)

    await db.transaction(session)
    return chat


async def _app(
    settings: Settings, db: Database, work: Callable[[Any, httpx.AsyncClient], Awaitable[None]]
) -> None:
    access = load_access(settings)
    app = create_app(db, settings, access)
    bearer = {"Authorization": f"Bearer {access.secret}"}
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://127.0.0.1", headers=bearer
        ) as client:
            await work(app, client)
    finally:
        app.state.summaries.close()


def _no_composing(monkeypatch: pytest.MonkeyPatch) -> None:
    async def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("composed at the view")

    monkeypatch.setattr(web_summaries, "compose_summary", refuse)


def test_the_background_pass_keeps_a_summary_that_a_later_start_shows_without_composing(
    case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = case.settings()
    made: list[int] = []
    shown: list[str] = []

    async def prepare(app: Any, client: httpx.AsyncClient) -> None:
        made.append(await app.state.summaries.prepare())
        made.append(await app.state.summaries.prepare())  # nothing left to do

    async def view(app: Any, client: httpx.AsyncClient) -> None:
        response = await client.get("/sessions/1")
        assert response.status_code == 200, response.text
        shown.append(response.text)

    async def scenario() -> None:
        async with await case.open() as db:
            await _chat(db)
            await _app(settings, db, prepare)
            _no_composing(monkeypatch)
            await _app(settings, db, view)  # a new start: nothing in memory

    asyncio.run(scenario())
    assert made == [1, 0]
    assert "zoom h5" in shown[0] and "bob" in shown[0]
    folder = case.store
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700  # it holds chat text
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in folder.iterdir())


def test_a_kept_summary_is_made_again_when_a_line_of_the_session_is_edited(
    case: Case,
) -> None:
    settings = case.settings()
    shown: list[str] = []

    async def view(app: Any, client: httpx.AsyncClient) -> None:
        shown.append((await client.get("/sessions/1")).text)

    async def scenario() -> None:
        async with await case.open() as db:
            chat = await _chat(db)
            await _app(settings, db, view)
            chat.edited("alice", "#podcasts", "m1", "who records on a zoom h6?")
            await db.flush()
            await _app(settings, db, view)
            # a second edit, as long as the first: only the text tells them apart
            chat.edited("alice", "#podcasts", "m1", "who records on a zoom f3?")
            await db.flush()
            await _app(settings, db, view)

    asyncio.run(scenario())
    assert "zoom h5" in shown[0]
    assert "zoom h6" in shown[1] and "zoom h5" not in shown[1]
    assert "zoom f3" in shown[2] and "zoom h6" not in shown[2]


def test_a_kept_summary_is_made_again_when_its_people_are_merged(case: Case) -> None:
    settings = case.settings()
    shown: list[str] = []

    async def view(app: Any, client: httpx.AsyncClient) -> None:
        shown.append((await client.get("/sessions/1")).text)

    def merge(conn: sqlite3.Connection) -> None:
        # bob turns out to be alice's second nick: his lines are hers now
        alice, bob = (
            conn.execute("SELECT person_id FROM identities WHERE nick = ?", (nick,)).fetchone()[0]
            for nick in ("alice", "bob")
        )
        conn.execute("UPDATE identities SET person_id = ? WHERE person_id = ?", (alice, bob))
        store.compute_attendance(conn, 1)

    async def scenario() -> None:
        async with await case.open() as db:
            await _chat(db)
            await _app(settings, db, view)
            await db.transaction(merge)
            await _app(settings, db, view)

    asyncio.run(scenario())
    assert shown[0] != shown[1]
    assert "/people/2" in shown[0] and "/people/2" not in shown[1]


def test_summary_files_written_after_a_summary_was_composed_replace_it(case: Case) -> None:
    settings = case.settings()
    shown: list[str] = []

    async def view(app: Any, client: httpx.AsyncClient) -> None:
        shown.append((await client.get("/sessions/1")).text)

    async def scenario() -> None:
        async with await case.open() as db:
            await _chat(db)
            await _app(settings, db, view)  # composed and kept
            summary = await compose_summary(db, 1, settings)
            extra = SummarySection("Show notes", ("episode 12 planned",), plugin="notes")
            write_files(replace(summary, sections=(extra,)), folder_for(settings), ["json"])
            await _app(settings, db, view)
            await _app(settings, db, view)

    asyncio.run(scenario())
    assert "Show notes" not in shown[0]
    assert "Show notes" in shown[1] and "Show notes" in shown[2]


def test_a_summary_kept_under_another_configuration_is_not_used(case: Case) -> None:
    settings = case.settings()
    folder = case.store
    kept: list[set[int]] = []

    async def prepare(app: Any, client: httpx.AsyncClient) -> None:
        await app.state.summaries.prepare()

    async def scenario() -> None:
        async with await case.open() as db:
            await _chat(db)
            await _app(settings, db, prepare)
            kept.append(set(SummaryStore(folder, settings).kept()))
            sydney = case.settings("Australia/Sydney")
            kept.append(set(SummaryStore(folder, sydney).kept()))
            await _app(sydney, db, prepare)
            kept.append(set(SummaryStore(folder, sydney).kept()))
            kept.append(set(SummaryStore(folder, settings).kept()))  # one kept per session

    asyncio.run(scenario())
    assert kept == [{1}, set(), {1}, set()]


def test_the_background_pass_drops_a_forgotten_persons_lines_from_what_it_kept(
    case: Case,
) -> None:
    settings = case.settings()
    folder = case.store
    kept: list[str] = []

    async def prepare(app: Any, client: httpx.AsyncClient) -> None:
        await app.state.summaries.prepare()
        kept.append("".join(path.read_text() for path in folder.iterdir()))

    async def scenario() -> None:
        async with await case.open() as db:
            await _chat(db)
            await _app(settings, db, prepare)
            alice = await db.fetchone("SELECT person_id FROM identities WHERE nick = 'alice'")
            assert alice is not None
            await forget_person(db, int(alice[0]))
            await _app(settings, db, prepare)  # not viewed: the kept copy goes all the same

    asyncio.run(scenario())
    assert "zoom h5" in kept[0] and "alice" in kept[0]
    assert "zoom h5" not in kept[1] and "alice" not in kept[1] and "bob" in kept[1]
