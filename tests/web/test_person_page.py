"""A person's page in chromium: the relationship stage and ledger, topics by week, links; on
both backends."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from assistant_openings.ledger import LedgerLine
from assistant_openings.store import MIGRATIONS_BY_DIALECT, OpeningsStore
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.web.conftest import FIRST, Dashboard, backend_dsn, open_seeded, seeded, serve
from tests.web.test_pages import WAIT, _log_in

SNEAKY_TOPIC = "<img src=x onerror=\"document.title='owned'\">"
SNEAKY_LINK = "https://evil.example/\"><script>document.title='owned'</script>"
SCRIPT_LINK = "javascript:document.title='owned'"

# What the analysis found in each seeded line: (text, topics, links).
ANALYSES = [
    ("hello, week 0", ["podcasting", "microphones"], []),
    ("hello, week 1", ["podcasting"], ["https://example.org/episode-1"]),
    ("hello, week 2", ["podcasting", "rss"], ["https://example.org/feed.xml"]),
    (
        "<script>document.title = 'owned'</script> hi all",
        [SNEAKY_TOPIC],
        [SNEAKY_LINK, SCRIPT_LINK],
    ),
]


async def _ledger_and_analyses(folder: Path, dsn: str) -> None:
    """Three exchanges between the owner and Alice Example, and analyses of the seeded lines."""
    async with await open_seeded(folder, dsn) as db:
        await db.apply_migrations("plugin:openings", MIGRATIONS_BY_DIALECT)
        row = await db.fetchone("SELECT person_id FROM identities WHERE nick = 'alice'")
        assert row is not None
        alice = int(row[0])
        store = OpeningsStore(db, "owner")  # the dashboard's config names no owner
        minutes = FIRST + timedelta(minutes=20)
        for at, to_owner, reply, initiation in (
            (minutes, True, False, True),
            (minutes + timedelta(weeks=1), False, True, False),
            (minutes + timedelta(weeks=1, minutes=2), True, True, False),
        ):
            line = LedgerLine(at, to_owner, reply, initiation, "#bloggers")
            await store.add_exchange("Alice Example", alice, line)
        await db.flush()

        def analyse(conn: sqlite3.Connection) -> None:
            for text, topics, links in ANALYSES:
                changed = conn.execute(
                    "INSERT INTO message_analyses (message_id, key, topics, links, analyzed_at) "
                    "SELECT id, 'seeded-' || id, ?, ?, at FROM messages WHERE text = ?",
                    (json.dumps(topics), json.dumps(links), text),
                ).rowcount
                assert changed == 1, text

        await db.transaction(analyse)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def dashboard(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Dashboard]:
    """The shared seed, with the ledger and the analyses above, on each backend."""
    dsn = backend_dsn(request)
    folder = seeded(tmp_path_factory, dsn)
    asyncio.run(_ledger_and_analyses(folder, dsn))
    with serve(folder, dsn) as served:
        yield served


def _open(browser: WebDriver, dashboard: Dashboard, nick: str) -> None:
    _log_in(browser, dashboard, f"/people?q={nick}")
    browser.find_element(By.LINK_TEXT, nick).click()
    WebDriverWait(browser, WAIT).until(
        expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "h1"), nick)
    )


def test_a_watched_members_page_shows_the_stage_and_the_ledger(
    browser: WebDriver, dashboard: Dashboard
) -> None:
    _open(browser, dashboard, "alice")
    section = browser.find_element(By.CSS_SELECTOR, ".relationship")
    stages = [li.text for li in section.find_elements(By.CSS_SELECTOR, ".stages li")]
    assert stages == ["stranger", "noticed", "exchanged", "rapport", "ready"]
    assert section.find_element(By.CSS_SELECTOR, ".stage.current").text == "exchanged"
    verdict = section.find_element(By.CSS_SELECTOR, ".verdict").text
    assert verdict.startswith("too early: 3 exchanges in 2 chats — keep adding value")
    assert "an ask needs 15 exchanges" in verdict
    counts = section.find_element(By.CSS_SELECTOR, ".ledger-counts").text
    assert "exchanges: 3 (1 from you, 2 from them)" in counts
    assert "chats spanned: 2; started by them: 1" in counts
    rows = section.find_elements(By.CSS_SELECTOR, "table.ledger tbody tr")
    assert [row.find_elements(By.TAG_NAME, "td")[1].text for row in rows] == [
        "they spoke to you",
        "you spoke to them",
        "they spoke to you",
    ]
    assert rows[-1].find_elements(By.TAG_NAME, "td")[2].text == "started it"


def test_a_persons_page_shows_topics_by_week_and_the_links_they_shared(
    browser: WebDriver, dashboard: Dashboard
) -> None:
    _open(browser, dashboard, "alice")
    table = browser.find_element(By.CSS_SELECTOR, "table.topic-weeks")
    weeks = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th.week")]
    assert len(weeks) == 12 and weeks[-3:] == ["26 Jan", "02 Feb", "09 Feb"]
    rows = table.find_elements(By.CSS_SELECTOR, "tbody tr")
    by_topic = {
        row.find_element(By.CSS_SELECTOR, "th.topic").text: [
            cell.text for cell in row.find_elements(By.TAG_NAME, "td")
        ]
        for row in rows
    }
    assert next(iter(by_topic)) == "podcasting"
    assert by_topic["podcasting"][-3:] == ["1", "1", "1"]
    assert by_topic["microphones"][-3:] == ["1", "", ""]
    assert by_topic["rss"][-3:] == ["", "", "1"]
    links = browser.find_elements(By.CSS_SELECTOR, "ul.links a")
    assert [a.text for a in links] == [
        "https://example.org/feed.xml",
        "https://example.org/episode-1",
    ]
    assert links[0].get_attribute("href") == "https://example.org/feed.xml"


def test_a_script_in_a_shared_link_or_topic_is_shown_as_text(
    browser: WebDriver, dashboard: Dashboard
) -> None:
    _open(browser, dashboard, "carol")
    topic = browser.find_element(By.CSS_SELECTOR, "table.topic-weeks th.topic")
    assert topic.text == SNEAKY_TOPIC
    items = browser.find_elements(By.CSS_SELECTOR, "ul.links li")
    assert [item.text.splitlines()[0].split(" #bloggers")[0] for item in items] == [
        SNEAKY_LINK,
        SCRIPT_LINK,
    ]
    anchors = browser.find_elements(By.CSS_SELECTOR, "ul.links a")
    assert [a.get_attribute("href") for a in anchors] == [
        "https://evil.example/%22%3E%3Cscript%3Edocument.title='owned'%3C/script%3E"
    ]  # the javascript: one is not a link at all
    assert browser.title == "carol · Presence"
    assert not browser.find_elements(By.CSS_SELECTOR, "main script, main img")


def test_a_person_off_the_watchlist_has_no_ledger(browser: WebDriver, dashboard: Dashboard) -> None:
    _open(browser, dashboard, "bob")
    assert not browser.find_elements(By.CSS_SELECTOR, ".relationship")
    assert "kept for members on your watchlist" in browser.find_element(By.TAG_NAME, "main").text
    assert "No links found" in browser.find_element(By.TAG_NAME, "main").text
