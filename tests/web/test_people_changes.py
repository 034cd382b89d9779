"""Merging, splitting and forgetting people from the dashboard, confirmed first, in chromium.

The tests of this module share one database and run in order: the merge and split leave
it as they found it; forgetting bob comes last. They run on both backends (an SQLite file,
then PostgreSQL).
"""

from __future__ import annotations

import asyncio
import re
import urllib.parse
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from assistant.recorder import Recorder
from assistant.testing.factories import ChatScript
from tests.web.conftest import (
    FIRST,
    Dashboard,
    backend_dsn,
    config_for,
    open_seeded,
    seeded,
    serve,
)
from tests.web.test_pages import WAIT, _log_in, _status

OPTOUT = """
[privacy]
optout = [{ platform = "irc", nick = "quinn" }]
"""


async def _quinn(folder: Path, dsn: str) -> None:
    """quinn, who is in the config's opt-outs, was recorded before they were added to it."""
    async with await open_seeded(folder, dsn) as db:
        chat = ChatScript("libera", sink=Recorder(db).record)
        chat.joined("quinn", "#bloggers", at=FIRST + timedelta(weeks=4, minutes=3))
        chat.said(
            "quinn", "please do not log me", "#bloggers", at=FIRST + timedelta(weeks=4, minutes=4)
        )


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def dashboard(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Dashboard]:
    """The shared seed, quinn, and ``[privacy] optout`` naming quinn, on each backend."""
    dsn = backend_dsn(request)
    folder = seeded(tmp_path_factory, dsn)
    asyncio.run(_quinn(folder, dsn))
    (folder / "presence.toml").write_text(config_for(dsn) + OPTOUT, encoding="utf-8")
    with serve(folder, dsn) as served:
        yield served


def _rows(dashboard: Dashboard, sql: str, *params: object) -> list[tuple[object, ...]]:
    return dashboard.rows(sql, *params)


def _person(dashboard: Dashboard, nick: str) -> int:
    found = _rows(dashboard, "SELECT person_id FROM identities WHERE nick = ?", nick)
    assert len(found) == 1, found
    return int(str(found[0][0]))


def _people(browser: WebDriver) -> list[str]:
    return [a.text for a in browser.find_elements(By.CSS_SELECTOR, "td.nick > a")]


def _listed(browser: WebDriver) -> list[int]:
    rows = browser.find_elements(By.CSS_SELECTOR, "table.people tbody tr")
    return [int(str(row.get_attribute("data-person"))) for row in rows]


def _wait_for_heading(browser: WebDriver, text: str) -> None:
    WebDriverWait(browser, WAIT).until(
        expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "h1"), text)
    )


def test_opted_out_people_are_marked(browser: WebDriver, dashboard: Dashboard) -> None:
    _log_in(browser, dashboard, "/people")
    row = browser.find_element(By.CSS_SELECTOR, f'tr[data-person="{_person(dashboard, "quinn")}"]')
    assert row.find_element(By.CSS_SELECTOR, ".badge.optout").text == "opted out ([privacy] optout)"
    alice = browser.find_element(
        By.CSS_SELECTOR, f'tr[data-person="{_person(dashboard, "alice")}"]'
    )
    assert not alice.find_elements(By.CSS_SELECTOR, ".badge.optout")
    browser.find_element(By.LINK_TEXT, "quinn").click()
    _wait_for_heading(browser, "quinn")
    recording = browser.find_element(By.CSS_SELECTOR, ".recording").text
    assert recording.startswith("opted out ([privacy] optout)")


def test_merging_then_splitting_puts_people_back(browser: WebDriver, dashboard: Dashboard) -> None:
    carol, zed = _person(dashboard, "carol"), _person(dashboard, "zed")
    _log_in(browser, dashboard, "/people")
    form = browser.find_element(By.CSS_SELECTOR, "section.merge form")
    form.find_element(By.NAME, "keep").send_keys("carol")
    form.find_element(By.NAME, "other").send_keys("zed")
    form.submit()
    _wait_for_heading(browser, "Merge zed into carol?")
    kept = browser.find_element(By.CSS_SELECTOR, ".side.keep").text
    assert "carol" in kept and "1 line(s)" in kept
    assert "zed (irc, libera)" in browser.find_element(By.CSS_SELECTOR, ".side.other").text
    # Looking at the confirmation changed nothing.
    assert _person(dashboard, "zed") == zed

    browser.find_element(By.CSS_SELECTOR, "button.merge").click()
    WebDriverWait(browser, WAIT).until(
        expected_conditions.url_to_be(f"{dashboard.url}people/{carol}")
    )
    identities = browser.find_element(By.CSS_SELECTOR, "table.identities").text
    assert "carol" in identities and "zed" in identities
    assert _person(dashboard, "zed") == carol
    assert _rows(dashboard, "SELECT id FROM persons WHERE id = ?", zed) == []
    browser.find_element(By.LINK_TEXT, "People").click()
    _wait_for_heading(browser, "People")
    listed = _listed(browser)
    assert carol in listed and zed not in listed  # one row, under the nick used last

    browser.get(f"{dashboard.url}people/{carol}")
    rows = browser.find_elements(By.CSS_SELECTOR, "table.identities tbody tr")
    zed_row = next(row for row in rows if "zed" in row.text)
    zed_row.find_element(By.CSS_SELECTOR, "a.split").click()
    _wait_for_heading(browser, "Split zed off carol?")
    assert _person(dashboard, "zed") == carol
    browser.find_element(By.CSS_SELECTOR, "button.split").click()
    WebDriverWait(browser, WAIT).until(expected_conditions.url_matches(r"/people/\d+$"))
    _wait_for_heading(browser, "zed")
    again = _person(dashboard, "zed")
    assert again != carol
    assert browser.current_url == f"{dashboard.url}people/{again}"
    browser.get(f"{dashboard.url}people/{carol}")
    identities = browser.find_element(By.CSS_SELECTOR, "table.identities").text
    assert "zed" not in identities
    assert not browser.find_elements(By.CSS_SELECTOR, "a.split")  # carol has one identity
    browser.find_element(By.LINK_TEXT, "People").click()
    _wait_for_heading(browser, "People")
    assert {"carol", "zed"} <= set(_people(browser))
    assert {carol, again} <= set(_listed(browser))


def test_a_change_without_the_forms_csrf_token_is_refused(dashboard: Dashboard) -> None:
    bob = _person(dashboard, "bob")
    bearer = f"Bearer {dashboard.token}"
    for fields in ({}, {"csrf": "forged"}):
        body = urllib.parse.urlencode(fields).encode()
        status, page = _post(dashboard.url + f"people/{bob}/forget", body, bearer)
        assert status == 403 and "That form has expired" in page
    status, _ = _post(dashboard.url + "people/merge", b"keep=1&other=2", bearer)
    assert status == 403
    status, _ = _post(dashboard.url + f"people/{bob}/forget", b"", "")
    assert status == 401  # the login gate comes first
    assert _person(dashboard, "bob") == bob


def _post(url: str, body: bytes, authorization: str) -> tuple[int, str]:
    import urllib.error
    import urllib.request

    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if authorization:
        headers["Authorization"] = authorization
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_forgetting_says_what_goes_then_removes_the_person_everywhere(
    browser: WebDriver, dashboard: Dashboard
) -> None:
    bob = _person(dashboard, "bob")
    _log_in(browser, dashboard, "/people")
    assert "bob" in browser.find_element(By.CSS_SELECTOR, ".suggestions").text
    browser.find_element(By.LINK_TEXT, "bob").click()
    _wait_for_heading(browser, "bob")
    browser.find_element(By.CSS_SELECTOR, "a.forget").click()
    _wait_for_heading(browser, "Forget bob?")
    listed = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "ul.deleted li")]
    assert "1 message" in listed
    assert "1 session attended" in listed
    assert "1 identity (nick or account)" in listed
    assert "1 person record" in listed
    assert any(re.fullmatch(r"\d+ stays? in (a channel|channels)", item) for item in listed)
    assert "Forget bob" in browser.find_element(By.CSS_SELECTOR, "button.forget").text
    assert _person(dashboard, "bob") == bob  # nothing deleted by looking

    browser.find_element(By.CSS_SELECTOR, "button.forget").click()
    WebDriverWait(browser, WAIT).until(expected_conditions.url_contains("/people?forgotten="))
    assert browser.find_element(By.CSS_SELECTOR, ".done").text.startswith("Forgotten: ")
    assert "bob" not in _people(browser)
    assert "bob" not in browser.find_element(By.CSS_SELECTOR, "main").text  # nor suggested

    browser.get(f"{dashboard.url}people/{bob}")
    assert "Nobody has that number" in browser.find_element(By.TAG_NAME, "main").text
    status, _ = _status(
        f"{dashboard.url}people/{bob}", {"Authorization": f"Bearer {dashboard.token}"}
    )
    assert status == 404
    browser.get(f"{dashboard.url}sessions")
    attendees = [a.text for a in browser.find_elements(By.CSS_SELECTOR, ".attendee")]
    assert "bob" not in attendees and "alice" in attendees

    assert _rows(dashboard, "SELECT id FROM identities WHERE nick = 'bob'") == []
    assert _rows(dashboard, "SELECT id FROM persons WHERE id = ?", bob) == []
    assert _rows(dashboard, "SELECT id FROM messages WHERE text = 'first time here'") == []
    assert _rows(dashboard, "SELECT * FROM session_attendance WHERE person_id = ?", bob) == []
