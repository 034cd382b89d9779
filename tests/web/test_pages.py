"""The dashboard as its owner sees it in chromium: log in, read sessions and people.

Each test runs on both backends: the seed in an SQLite file, then in PostgreSQL.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.web.conftest import XSS, Dashboard, backend_dsn, seeded, serve

WAIT = 60  # a condition wait, generous for a busy machine; never a measure of speed


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def dashboard(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Dashboard]:
    """The shared seed on each backend, served with ``presence web --port 0``."""
    dsn = backend_dsn(request)
    with serve(seeded(tmp_path_factory, dsn), dsn) as served:
        yield served


def _log_in(browser: WebDriver, dashboard: Dashboard, path: str) -> None:
    joint = "&" if "?" in path else "?"
    browser.get(f"{dashboard.url.rstrip('/')}{path}{joint}token={dashboard.token}")
    WebDriverWait(browser, WAIT).until(expected_conditions.url_to_be(dashboard.url + path[1:]))


def _status(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_the_sessions_page_lists_each_session_with_its_channel_and_who_came(
    browser: WebDriver, dashboard: Dashboard
) -> None:
    _log_in(browser, dashboard, "/sessions")
    assert "token" not in browser.current_url  # swapped for the session cookie
    rows = browser.find_elements(By.CSS_SELECTOR, "table.sessions tbody tr")
    assert len(rows) == 3
    newest = rows[0].text
    assert "Sun 2026-02-15 19:30 AEDT" in newest
    assert "Aussie bloggers" in newest
    assert "#bloggers (libera)" in newest
    assert "90 min" in newest
    attendees = [a.text for a in rows[0].find_elements(By.CSS_SELECTOR, ".attendee")]
    assert sorted(attendees) == ["alice", "bob"]
    assert rows[0].find_element(By.CSS_SELECTOR, ".attendees-count").text == "2"
    oldest = [a.text for a in rows[2].find_elements(By.CSS_SELECTOR, ".attendee")]
    assert oldest == ["alice"]
    cookie = browser.get_cookie("presence_session")
    assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Strict"


def test_the_people_page_puts_watched_members_first_and_searches(
    browser: WebDriver, dashboard: Dashboard
) -> None:
    _log_in(browser, dashboard, "/people")
    nicks = [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, "td.nick")]
    assert nicks[0] == "alice Alice Example"  # the watchlist name as a badge
    assert {"bob", "carol"} <= set(nicks[1:])
    first = browser.find_element(By.CSS_SELECTOR, "table.people tbody tr").text
    assert "on your watchlist as Alice Example" in first
    assert "came to 3 sessions" in first
    suggestions = browser.find_element(By.CSS_SELECTOR, ".suggestions").text
    assert "bob" in suggestions and "came to 1 session" in suggestions

    search = browser.find_element(By.NAME, "q")
    search.send_keys("Alice Exa")  # a configured name finds the person too
    search.submit()
    WebDriverWait(browser, WAIT).until(expected_conditions.url_contains("q=Alice"))
    found = [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, "td.nick")]
    assert found == ["alice Alice Example"]


def test_a_persons_page_shows_their_notes_attendance_and_lines(
    browser: WebDriver, dashboard: Dashboard
) -> None:
    _log_in(browser, dashboard, "/sessions")
    browser.find_element(By.LINK_TEXT, "bob").click()  # from the newest session's attendees
    WebDriverWait(browser, WAIT).until(expected_conditions.url_contains("/people/"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "bob"
    series = browser.find_element(By.CSS_SELECTOR, ".series")
    assert "Aussie bloggers (#bloggers on libera)" in series.text
    assert series.find_element(By.CSS_SELECTOR, ".sentence").text.startswith("1 of the last 3")
    visits = series.find_elements(By.CSS_SELECTOR, ".visit")
    assert [v.get_attribute("class") for v in visits] == ["visit missed"] * 2 + ["visit came"]
    assert visits[-1].find_element(By.CSS_SELECTOR, ".arrival").text == "19:32"
    assert "first time here" in browser.find_element(By.CSS_SELECTOR, "table.lines").text

    browser.find_element(By.LINK_TEXT, "People").click()
    browser.find_element(By.LINK_TEXT, "alice").click()
    WebDriverWait(browser, WAIT).until(
        expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "h1"), "alice")
    )
    assert browser.find_element(By.CSS_SELECTOR, ".notes").text == "writes about podcasting"
    sentence = browser.find_element(By.CSS_SELECTOR, ".series .sentence").text
    assert sentence == "3 of the last 3; usually arrives 19:40, stays 70 min"
    lines = browser.find_element(By.CSS_SELECTOR, "table.lines").text
    assert "hello, week 2" in lines and "hello, week 0" in lines


def test_a_script_in_a_message_is_shown_as_text(browser: WebDriver, dashboard: Dashboard) -> None:
    _log_in(browser, dashboard, "/people?q=carol")
    browser.find_element(By.LINK_TEXT, "carol").click()
    cell = WebDriverWait(browser, WAIT).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "td.text"))
    )
    assert cell.text == XSS
    assert browser.title == "carol · Presence"
    assert not browser.find_elements(By.CSS_SELECTOR, "main script")


def test_logging_in_with_the_form_and_a_wrong_token(
    browser: WebDriver, dashboard: Dashboard
) -> None:
    browser.get(dashboard.url + "sessions")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Log in"
    assert not browser.find_elements(By.CSS_SELECTOR, "table.sessions")
    field = browser.find_element(By.NAME, "token")
    field.send_keys("not-the-token")
    field.submit()
    alert = WebDriverWait(browser, WAIT).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "[role=alert]"))
    )
    assert alert.text == "That token is not right."
    field = browser.find_element(By.NAME, "token")
    field.send_keys(dashboard.token)
    field.submit()
    WebDriverWait(browser, WAIT).until(expected_conditions.url_to_be(dashboard.url + "sessions"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Sessions"


def test_a_request_without_the_token_is_refused(dashboard: Dashboard) -> None:
    for path in ("", "sessions", "people", "people?q=alice"):
        status, body = _status(dashboard.url + path)
        assert status == 401, path
        assert "alice" not in body and "Log in" in body
    status, body = _status(dashboard.url + "sessions?token=wrong")
    assert status == 401 and "That token is not right." in body
    status, body = _status(dashboard.url + "sessions", {"Authorization": "Bearer wrong"})
    assert status == 401
    status, body = _status(
        dashboard.url + "sessions", {"Authorization": f"Bearer {dashboard.token}"}
    )
    assert status == 200 and "#bloggers" in body


def test_a_page_that_does_not_exist_is_a_404_page(dashboard: Dashboard) -> None:
    bearer = {"Authorization": f"Bearer {dashboard.token}"}
    status, body = _status(dashboard.url + "nowhere", bearer)
    assert status == 404
    assert "There is no such page." in body and "Traceback" not in body
    status, body = _status(dashboard.url + "people/9999", bearer)
    assert status == 404 and "Nobody has that number" in body


def test_the_health_page_says_what_the_database_holds(dashboard: Dashboard) -> None:
    status, body = _status(dashboard.url + "health", {"Authorization": f"Bearer {dashboard.token}"})
    assert status == 200
    assert '<td class="num messages">5</td>' in body  # alice 3, bob 1, carol 1
    if dashboard.dsn:
        name = dashboard.dsn.rsplit("/", 1)[1]
        assert f'<td class="database">{name} (postgresql)</td>' in body
        assert "<th>Database</th>" in body and "<th>File</th>" not in body
    else:
        assert '<td class="database">presence.sqlite3</td>' in body
    assert " MB</td>" in body
    # presence web runs no plugins: it says where the live figures are
    assert "Live figures need <code>presence run</code>" in body


def test_a_sessions_page_shows_its_summary_with_attendance_and_timeline(
    browser: WebDriver, dashboard: Dashboard
) -> None:
    _log_in(browser, dashboard, "/sessions")
    browser.find_elements(By.CSS_SELECTOR, "a.session-link")[0].click()  # the newest
    WebDriverWait(browser, WAIT).until(expected_conditions.url_matches(r"/sessions/\d+$"))
    summary = browser.find_element(By.CSS_SELECTOR, "article.summary")
    assert summary.find_element(By.TAG_NAME, "h1").text.startswith("Aussie bloggers")
    assert "#bloggers on libera" in summary.find_element(By.TAG_NAME, "h1").text
    rows = summary.find_elements(By.CSS_SELECTOR, "#attendance + table tbody tr")
    cells = [row.find_elements(By.TAG_NAME, "td") for row in rows]
    by_name = {c[0].text.lstrip("★ "): [cell.text for cell in c[1:]] for c in cells}
    assert set(by_name) == {"Alice Example (alice)", "bob"}
    assert by_name["bob"][0] == "19:32" and by_name["bob"][3] == "1"  # arrived, lines
    picture = summary.find_element(By.CSS_SELECTOR, "img.timeline")
    assert browser.execute_script("return arguments[0].naturalWidth;", picture) > 0
    browser.find_element(By.LINK_TEXT, "bob").click()
    WebDriverWait(browser, WAIT).until(expected_conditions.url_contains("/people/"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "bob"


def test_the_now_page_shows_who_is_here_and_the_last_session(dashboard: Dashboard) -> None:
    status, body = _status(dashboard.url + "now", {"Authorization": f"Bearer {dashboard.token}"})
    assert status == 200
    present = re.findall(r'<a class="nick" href="/people/\d+">([^<]+)</a>', body)
    assert present == ["alice", "bob", "zed"]  # watched, then came to a session, then new
    assert "Alice Example" in body and "No session under way." in body


def test_a_session_that_does_not_exist_is_a_404_page(dashboard: Dashboard) -> None:
    status, body = _status(
        dashboard.url + "sessions/9999", {"Authorization": f"Bearer {dashboard.token}"}
    )
    assert status == 404 and "There is no such session" in body and "Traceback" not in body
