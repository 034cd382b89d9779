"""The Health page inside ``presence run``: connections, analysis workers, the event loop.

ngircd on 127.0.0.1, the Assistant with ``[web] enabled = true`` and analysis on, chromium
on the Health page; an analysis worker killed is seen restarted.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
from pathlib import Path

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from assistant.app import Assistant
from assistant.testing.irc_client import SimulatedMember
from assistant.testing.ircd import run_ngircd
from assistant.web.access import load_access
from tests.web.test_live_opening import CHANNEL, FIRST_ANALYSIS_WAIT, _settings
from tests.web.test_pages import WAIT

pytestmark = pytest.mark.ircd


def _cell(browser: WebDriver, row: str, cell: str) -> str:
    return str(browser.find_element(By.CSS_SELECTOR, f"{row} .{cell}").text)


def _reloaded_until(browser: WebDriver, check: str, timeout: float) -> None:
    """Reload the page until the script ``check`` is true (each look is a fresh page)."""

    def fresh(driver: WebDriver) -> bool:
        driver.refresh()
        return bool(driver.execute_script(check))

    WebDriverWait(browser, timeout, poll_frequency=0.5).until(fresh)


def _look(browser: WebDriver, url: str, first_pid: int) -> None:
    browser.get(url)
    heading = browser.find_element(By.TAG_NAME, "h1").text
    assert heading == "Health"
    assert not browser.find_elements(By.CSS_SELECTOR, ".not-live")
    network = 'tr[data-network="local"]'
    assert _cell(browser, network, "state") == "connected"
    assert re.fullmatch(r"\d+ ms|not measured yet", _cell(browser, network, "lag"))
    worker = 'tr[data-worker="analysis"]'
    assert _cell(browser, worker, "alive") == f"alive (pid {first_pid})"
    assert _cell(browser, "p", "restarts") == "0"
    assert re.fullmatch(r"\d+\.\d ms", _cell(browser, "p.loop", "loop-p99"))


def _restarted(browser: WebDriver) -> str:
    _reloaded_until(
        browser,
        "const r = document.querySelector('.restarts');"
        "const a = document.querySelector('tr[data-worker=\"analysis\"] .alive');"
        "return r && r.textContent === '1' && a && a.textContent.startsWith('alive');",
        FIRST_ANALYSIS_WAIT,
    )
    return _cell(browser, 'tr[data-worker="analysis"]', "alive")


async def _run(browser: WebDriver, folder: Path) -> tuple[int, str]:
    async with run_ngircd() as server:
        settings = _settings(folder, server.host, server.port)
        token = load_access(settings).secret
        assistant = Assistant(settings)
        member = await SimulatedMember.connect(server.host, server.port, "pb")
        try:
            await member.join(CHANNEL)
            await assistant.start()
            await member.wait_for(rf":presence!\S+ JOIN :?{CHANNEL}", timeout=WAIT)
            analyzer = assistant.analyzer
            assert analyzer is not None
            for _ in range(int(FIRST_ANALYSIS_WAIT * 10)):  # the pipeline loads first
                if "analysis" in analyzer.worker_pids:
                    break
                await asyncio.sleep(0.1)
            first = analyzer.worker_pids["analysis"]
            url = f"http://127.0.0.1:{settings.web.port}/health?token={token}"
            await asyncio.to_thread(_look, browser, url, first)
            os.kill(first, signal.SIGKILL)  # the worker this test's assistant started
            return first, await asyncio.to_thread(_restarted, browser)
        finally:
            await assistant.stop()
            await member.close()


def test_the_health_page_shows_connections_and_analysis_workers_live(
    browser: WebDriver, tmp_path: Path
) -> None:
    first, after = asyncio.run(_run(browser, tmp_path))
    match = re.fullmatch(r"alive \(pid (\d+)\)", after)
    assert match and int(match.group(1)) != first
