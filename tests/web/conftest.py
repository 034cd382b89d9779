"""A seeded database, ``presence web`` serving it, and a headless chromium to look with.

The database is an SQLite file, or a PostgreSQL database on the test cluster (whose DSN
the config names through ``[storage] dsn_env``). The server is the real command in a
subprocess; the browser is Debian's chromium through
chromium-driver (a missing one fails with the install hint). A failed test leaves a
screenshot of what the browser showed, ``failure.png``, in its temporary folder.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from selenium.webdriver.chrome.webdriver import WebDriver

from assistant.clock import ReplayClock
from assistant.config import load_settings
from assistant.recorder import Recorder
from assistant.sessions.tracker import SessionTracker
from assistant.storage.database import Database
from assistant.storage.dialect import to_postgresql
from assistant.testing.browser import BrowserNotFoundError, headless_chromium
from assistant.testing.factories import ChatScript
from assistant.testing.postgres import PostgresCluster

SYDNEY = ZoneInfo("Australia/Sydney")
FIRST = datetime(2026, 2, 1, 19, 30, tzinfo=SYDNEY).astimezone(UTC)
XSS = "<script>document.title = 'owned'</script> hi all"

CONFIG = """\
[networks.libera]
host = "127.0.0.1"
nick = "presence"

[[networks.libera.channels]]
name = "#bloggers"

[[networks.libera.channels.schedules]]
name = "Aussie bloggers"
days = ["sunday"]
time = "19:30"
timezone = "Australia/Sydney"
duration = 90

[storage]
path = "presence.sqlite3"

[analysis]
enabled = false

[[watchlist]]
name = "Alice Example"
identities = [{ platform = "irc", nick = "alice" }]
notes = "writes about podcasting"
priority = 3
"""


DSN_ENV = "PRESENCE_WEB_TEST_DSN"
"""The variable a PostgreSQL config's ``[storage] dsn_env`` names."""


def config_for(dsn: str) -> str:
    """:data:`CONFIG`, on the PostgreSQL database at ``dsn`` if there is one."""
    if not dsn:
        return CONFIG
    storage = f'[storage]\nbackend = "postgresql"\ndsn_env = "{DSN_ENV}"\n'
    return CONFIG.replace('[storage]\npath = "presence.sqlite3"\n', storage)


async def open_seeded(folder: Path, dsn: str = "") -> Database:
    """The database of the dashboard in ``folder``: its SQLite file, or PostgreSQL's ``dsn``."""
    if dsn:
        return await Database.open_postgresql(dsn)
    return await Database.open(folder / "presence.sqlite3")


async def _seed(config: Path, dsn: str) -> None:
    """Three Sunday chats: alice comes to all three, bob to the last; carol tries a script."""
    settings = load_settings(config)
    clock = ReplayClock(FIRST - timedelta(hours=1))
    async with await open_seeded(config.parent, dsn) as db:
        tracker = SessionTracker(settings, db, lambda event: None, clock=clock)
        await tracker.start()
        chat = ChatScript("libera", sink=Recorder(db).record)
        for week in range(3):
            start = FIRST + timedelta(weeks=week)
            clock.set(start)
            await tracker.run_due()
            chat.joined("alice", "#bloggers", at=start + timedelta(minutes=10))
            chat.said("alice", f"hello, week {week}", "#bloggers", at=start + timedelta(minutes=11))
            chat.left("alice", "#bloggers", at=start + timedelta(minutes=80))
            if week == 2:
                chat.joined("bob", "#bloggers", at=start + timedelta(minutes=2))
                chat.said("bob", "first time here", "#bloggers", at=start + timedelta(minutes=3))
            clock.set(start + timedelta(minutes=90))
            await tracker.run_due()
        chat.said("carol", XSS, "#bloggers", at=FIRST + timedelta(weeks=4))
        # Who is in the channel now (no session under way): bob stayed since week 2.
        chat.joined("zed", "#bloggers", at=FIRST + timedelta(weeks=4, minutes=1))
        chat.joined("alice", "#bloggers", at=FIRST + timedelta(weeks=4, minutes=2))
        await tracker.stop()


@dataclass(frozen=True)
class Dashboard:
    """``presence web`` serving the seeded database."""

    url: str
    """The front page's address, without the token."""
    token: str
    folder: Path
    dsn: str = ""
    """The PostgreSQL database's DSN; empty when it is ``folder``'s SQLite file."""

    def rows(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        """What ``sql`` (SQLite's dialect) reads in the served database, as tuples."""
        if not self.dsn:
            with sqlite3.connect(self.folder / "presence.sqlite3") as conn:
                return conn.execute(sql, params).fetchall()
        return asyncio.run(_postgresql_rows(self.dsn, sql, params))


async def _postgresql_rows(dsn: str, sql: str, params: tuple[object, ...]) -> list[tuple[Any, ...]]:
    conn = await asyncpg.connect(dsn)
    try:
        return [tuple(row) for row in await conn.fetch(to_postgresql(sql).sql, *params)]
    finally:
        await conn.close()


@contextmanager
def serve(folder: Path, dsn: str = "") -> Iterator[Dashboard]:
    """Serve ``folder/presence.toml``'s database with ``presence web --port 0`` until done
    (PostgreSQL's at ``dsn``, when the config names it)."""
    config = folder / "presence.toml"
    output = folder / "web.out"
    environ = {k: v for k, v in os.environ.items() if k != "PRESENCE_CONFIG"}
    if dsn:
        environ[DSN_ENV] = dsn
    with output.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "assistant", "web", "-c", str(config), "--port", "0"],
            cwd=folder,
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        address = ""
        for _ in range(1200):  # the command imports the plugins first: up to a minute or two
            lines = output.read_text(encoding="utf-8").splitlines()
            address = next((line for line in lines if line.startswith("Dashboard: ")), "")
            if address or server.poll() is not None:
                break
            time.sleep(0.1)
        assert address, f"presence web did not print its address:\n{output.read_text()}"
        url, _, token = address.removeprefix("Dashboard: ").partition("?token=")
        yield Dashboard(url=url, token=token.strip(), folder=folder, dsn=dsn)
    finally:
        server.send_signal(signal.SIGTERM)
        for _ in range(100):
            if server.poll() is not None:
                break
            time.sleep(0.1)
        else:
            server.kill()
            server.wait()


def seeded(tmp_path_factory: pytest.TempPathFactory, dsn: str = "") -> Path:
    """A folder with ``presence.toml`` and its database seeded by :func:`_seed` (the SQLite
    file in the folder, or PostgreSQL's at ``dsn``)."""
    folder = tmp_path_factory.mktemp("web")
    config = folder / "presence.toml"
    config.write_text(config_for(dsn), encoding="utf-8")
    asyncio.run(_seed(config, dsn))
    return folder


def backend_dsn(request: pytest.FixtureRequest) -> str:
    """For a fixture parametrised by backend: a new PostgreSQL database's DSN, or ``""``
    (SQLite)."""
    if request.param == "sqlite":
        return ""
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    return cluster.create_database()


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """Seed a database and serve it with ``presence web --port 0``; stopped with SIGTERM."""
    with serve(seeded(tmp_path_factory)) as served:
        yield served


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def browser(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[WebDriver]:
    """A headless chromium; a screenshot goes to ``tmp_path/failure.png`` if the test fails."""
    try:
        driver = headless_chromium(tmp_path / "chromium-profile")
    except BrowserNotFoundError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield driver
    finally:
        if request.node.stash.get(_FAILED, False):
            driver.save_screenshot(str(tmp_path / "failure.png"))
        driver.quit()
