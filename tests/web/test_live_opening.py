"""An opening found in a live chat reaches the Now page without a reload.

The whole path, as ``presence run`` with ``[web] enabled = true`` runs it: ngircd on
127.0.0.1, the real IRC connector, the analysis workers and the openings plugin, and the
dashboard in the same process; chromium on the Now page. A watched member speaks to the
owner in the channel, and the opening appears in the inbox. (``bench/web_live.py`` times
this path.)
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from assistant.app import Assistant
from assistant.config import Settings, parse_settings
from assistant.testing.daemon import free_port
from assistant.testing.irc_client import SimulatedMember
from assistant.testing.ircd import run_ngircd
from assistant.web.access import load_access
from tests.web.test_pages import WAIT

pytestmark = pytest.mark.ircd

CHANNEL = "#bloggers"
FIRST_ANALYSIS_WAIT = 120  # the analysis workers load the NLP pipeline first; generous
LINE = "maria: which budget mic would you pick for podcast interviews?"


def _settings(folder: Path, host: str, port: int) -> Settings:
    return parse_settings(
        {
            "owner": {
                "identities": [
                    {"platform": "irc", "network": "local", "account": "maria", "nick": "maria"}
                ]
            },
            "storage": {"path": str(folder / "presence.sqlite3")},
            "networks": {
                "local": {
                    "host": host,
                    "port": port,
                    "tls": False,
                    "nick": "presence",
                    "channels": [{"name": CHANNEL}],
                }
            },
            "watchlist": [
                {
                    "name": "Darren",
                    "identities": [{"platform": "irc", "network": "local", "nick": "pb"}],
                }
            ],
            "plugins": {"openings": {"notify": ["dm"]}},
            "summaries": {"folder": str(folder / "summaries")},
            "web": {"enabled": True, "port": free_port()},
        }
    )


def _open_now_page(browser: WebDriver, url: str) -> None:
    browser.get(url)
    WebDriverWait(browser, WAIT).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "#inbox[data-updated]"))
    )
    assert not browser.find_elements(By.CSS_SELECTOR, ".opening")
    browser.execute_script("window.stillTheSamePage = true;")


def _wait_for_opening(browser: WebDriver) -> str:
    shown = WebDriverWait(browser, FIRST_ANALYSIS_WAIT).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".opening"))
    )
    assert browser.execute_script("return window.stillTheSamePage === true;")  # no reload
    return str(shown.text)


async def _chat(browser: WebDriver, folder: Path) -> str:
    async with run_ngircd() as server:
        settings = _settings(folder, server.host, server.port)
        token = load_access(settings).secret  # made now; the dashboard reads the same
        assistant = Assistant(settings)
        members = [
            await SimulatedMember.connect(server.host, server.port, n) for n in ("maria", "pb")
        ]
        try:
            for member in members:
                await member.join(CHANNEL)
            await assistant.start()
            await members[1].wait_for(rf":presence!\S+ JOIN :?{CHANNEL}", timeout=WAIT)
            url = f"http://127.0.0.1:{settings.web.port}/now?token={token}"
            await asyncio.to_thread(_open_now_page, browser, url)
            await members[1].say(CHANNEL, LINE)
            return await asyncio.to_thread(_wait_for_opening, browser)
        finally:
            await assistant.stop()
            for member in members:
                await member.close()


def test_a_watched_member_speaking_to_the_owner_appears_on_the_now_page_live(
    browser: WebDriver, tmp_path: Path
) -> None:
    shown = asyncio.run(_chat(browser, tmp_path))
    assert f"pb: {LINE}" in shown
    assert "Darren" in shown
    assert f"spoke to you in {CHANNEL}" in shown
