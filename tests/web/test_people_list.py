"""The People page on more people than one page holds: notables first, pages, search; on
both backends (the ranking process reads the SQLite file, or PostgreSQL)."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from assistant.config import Settings, parse_settings
from assistant.recorder import Recorder
from assistant.storage.database import Database
from assistant.testing.factories import ChatScript
from assistant.web.access import load_access
from assistant.web.app import create_app
from assistant.web.pages import PEOPLE_SHOWN

START = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
PEOPLE = PEOPLE_SHOWN + 30


DSN_ENV = "PRESENCE_PEOPLE_TEST_DSN"


def _settings(folder: Path, backend: str) -> Settings:
    storage = {"path": str(folder / "presence.sqlite3")}
    if backend == "postgresql":
        storage = {"backend": "postgresql", "dsn_env": DSN_ENV}
    return parse_settings(
        {
            "networks": {"libera": {"host": "127.0.0.1", "channels": [{"name": "#podcasts"}]}},
            "storage": storage,
            "analysis": {"enabled": False},
            "watchlist": [
                {"name": "Early Bird", "identities": [{"platform": "irc", "nick": "member0"}]}
            ],
        }
    )


def _nicks(body: str) -> list[str]:
    return re.findall(r'<td class="nick"><a href="/people/\d+">([^<]+)</a>', body)


def test_the_people_page_pages_through_everyone_with_the_watched_member_first(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    settings = _settings(tmp_path, backend)
    if backend == "postgresql":
        monkeypatch.setenv(DSN_ENV, request.getfixturevalue("postgres_dsn"))
        monkeypatch.chdir(tmp_path)  # where the settings (from no file) keep the token

    async def scenario() -> dict[str, tuple[int, str]]:
        async with await Database.open_settings(settings) as db:
            chat = ChatScript("libera", sink=Recorder(db).record)
            for i in range(PEOPLE):  # member0 first, so the least recently active
                who = chat.who(f"member{i}", account=f"acct{i}")
                chat.said(who, f"hello from {i}", "#podcasts", at=START + timedelta(minutes=i))
            await db.flush()
            access = load_access(settings)
            app = create_app(db, settings, access)
            bearer = {"Authorization": f"Bearer {access.secret}"}
            transport = httpx.ASGITransport(app=app)
            pages = {}
            async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
                for path in ("/people", "/people?page=2", "/people?q=acct12", "/people?page=x"):
                    response = await client.get(path, headers=bearer)
                    pages[path] = (response.status_code, response.text)
            app.state.ranking.close()
        return pages

    pages = asyncio.run(scenario())
    status, first = pages["/people"]
    assert status == 200
    nicks = _nicks(first)
    assert len(nicks) == PEOPLE_SHOWN
    assert nicks[0] == "member0"  # on the watchlist: first though the least recent
    assert nicks[1] == f"member{PEOPLE - 1}"  # then the most recently active
    assert f"{PEOPLE} people, 1\N{EN DASH}{PEOPLE_SHOWN} shown" in first
    assert 'href="/people?page=2"' in first

    status, second = pages["/people?page=2"]
    assert status == 200
    rest = _nicks(second)
    assert len(rest) == PEOPLE - PEOPLE_SHOWN
    assert not set(rest) & set(nicks)
    assert 'href="/people?page=1"' in second and "page=3" not in second

    status, found = pages["/people?q=acct12"]  # an account finds its people
    assert status == 200
    assert sorted(_nicks(found)) == sorted(
        f"member{i}" for i in range(PEOPLE) if f"{i}".startswith("12")
    )

    status, bad = pages["/people?page=x"]
    assert status == 400
    assert "page number must be a whole number" in bad
