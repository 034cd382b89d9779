"""The Now page: who is in each channel, and openings arriving live, taken or dismissed; on
both backends (the openings plugin's dashboard module reads PostgreSQL too)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from assistant_openings.store import MIGRATIONS_BY_DIALECT, OpeningsStore
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from assistant.openings.notable import Notable
from assistant.openings.opening import Candidate, Opening, ScoreParts
from tests.web.conftest import Dashboard, backend_dsn, open_seeded, seeded, serve
from tests.web.test_pages import WAIT, _log_in

SNEAKY = "<img src=x onerror=\"document.title='owned'\"> any podcast hosts here?"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def dashboard(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Dashboard]:
    """The shared seed on each backend, served with ``presence web --port 0``."""
    dsn = backend_dsn(request)
    with serve(seeded(tmp_path_factory, dsn), dsn) as served:
        yield served


async def _add_opening(folder: Dashboard, text: str, angle: str) -> int:
    """Store an opening as the openings engine does (another process, the same database)."""
    async with await open_seeded(folder.folder, folder.dsn) as db:
        await db.apply_migrations("plugin:openings", MIGRATIONS_BY_DIALECT)
        row = await db.fetchone(
            "SELECT person_id FROM identities WHERE nick = 'alice' ORDER BY id LIMIT 1"
        )
        assert row is not None
        now = datetime.now(UTC)
        candidate = Candidate(
            kind="unanswered",
            person=Notable("Alice Example", 0.9),
            nick="alice",
            platform="irc",
            network="libera",
            channel="#bloggers",
            at=now,
            text=text,
            reason="Alice Example asked the room and nobody answered",
            angle=angle,
            relevance=0.8,
        )
        parts = ScoreParts(0.9, 0.8, 1.0, 1.0, 0.5)
        store = OpeningsStore(db, "owner")  # the dashboard's config names no owner
        return await store.add_opening(Opening(candidate, parts, now), int(row[0]))


def _outcome(dashboard: Dashboard, opening: int) -> str:
    rows = dashboard.rows("SELECT outcome FROM openings_found WHERE id = ?", opening)
    return str(rows[0][0])


def test_the_now_page_shows_who_is_here_notables_first(
    browser: WebDriver, dashboard: Dashboard
) -> None:
    _log_in(browser, dashboard, "/now")
    room = browser.find_element(By.CSS_SELECTOR, ".room")
    assert room.find_element(By.TAG_NAME, "h2").text == "#bloggers (libera)"
    nicks = [a.text for a in room.find_elements(By.CSS_SELECTOR, "ul.present .nick")]
    assert nicks == ["alice", "bob", "zed"]  # watched, then came to a session, then new
    first = room.find_element(By.CSS_SELECTOR, "ul.present li").text
    assert "Alice Example" in first
    assert room.find_element(By.CSS_SELECTOR, ".session").text == "No session under way."
    assert "presence run" in browser.find_element(By.TAG_NAME, "main").text


def test_an_opening_arrives_live_and_is_dismissed_or_taken(
    browser: WebDriver, dashboard: Dashboard
) -> None:
    _log_in(browser, dashboard, "/now")
    WebDriverWait(browser, WAIT).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "#inbox[data-updated]"))
    )
    assert not browser.find_elements(By.CSS_SELECTOR, ".opening")
    browser.execute_script("window.stillTheSamePage = true;")

    first = asyncio.run(_add_opening(dashboard, SNEAKY, "Answer her: you host one"))
    shown = WebDriverWait(browser, WAIT).until(
        expected_conditions.presence_of_element_located(
            (By.CSS_SELECTOR, f'.opening[data-opening="{first}"]')
        )
    )
    assert browser.execute_script("return window.stillTheSamePage === true;")  # no reload
    assert "Alice Example asked the room and nobody answered" in shown.text
    assert "Answer her: you host one" in shown.text
    assert f"alice: {SNEAKY}" in shown.find_element(By.CSS_SELECTOR, ".message").text
    assert browser.title == "Now · Presence"

    second = asyncio.run(_add_opening(dashboard, "anyone tried a new mic?", "Tell her yours"))
    WebDriverWait(browser, WAIT).until(
        lambda b: len(b.find_elements(By.CSS_SELECTOR, ".opening")) == 2
    )
    browser.find_element(By.CSS_SELECTOR, f'.opening[data-opening="{first}"] .dismiss').click()
    WebDriverWait(browser, WAIT).until(
        lambda b: not b.find_elements(By.CSS_SELECTOR, f'.opening[data-opening="{first}"]')
    )
    assert _outcome(dashboard, first) == "dismissed"
    assert _outcome(dashboard, second) == "pending"

    browser.find_element(By.CSS_SELECTOR, f'.opening[data-opening="{second}"] .taken').click()
    WebDriverWait(browser, WAIT).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".no-openings"))
    )
    assert _outcome(dashboard, second) == "taken"
