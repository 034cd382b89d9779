"""A headless Debian ``chromium`` driven through ``chromium-driver``, for the dashboard's tests.

Nothing is downloaded: the browser and its driver are the system's (``make test`` installs
them with apt-get), and Selenium is told where they are, so its driver manager never runs.
Every request the browser would make to anything but loopback goes to a closed local port,
so a page (or the browser itself) cannot reach the internet.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.testing.daemon import search_path

if TYPE_CHECKING:
    from selenium.webdriver.chrome.webdriver import WebDriver

__all__ = ["INSTALL_HINT", "BrowserNotFoundError", "find_chromium", "headless_chromium"]

INSTALL_HINT = (
    "apt-get install chromium chromium-driver (or run `make test`, which installs them), "
    "and pip install selenium (in the `dev` extras: pip install -e '.[dev]')"
)

# No sync, updates, metrics, safe-browsing lookups or prefetching: nothing to contact.
_QUIET = (
    "--headless=new",
    "--no-sandbox",  # containers and CI users have no user namespaces for the sandbox
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--window-size=1280,900",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-client-side-phishing-detection",
    "--disable-domain-reliability",
    "--metrics-recording-only",
    "--no-pings",
    # Everything that is not loopback goes to a port nothing listens on.
    "--proxy-server=http://127.0.0.1:9",
)


class BrowserNotFoundError(RuntimeError):
    """chromium, chromium-driver or selenium is missing; the message says how to install them."""


def find_chromium() -> tuple[str, str]:
    """The paths of the ``chromium`` browser and its ``chromedriver``.

    Raises:
        BrowserNotFoundError: either is not installed (with the install hint).
    """
    path = search_path()
    browser = shutil.which("chromium", path=path)
    driver = shutil.which("chromedriver", path=path)
    if browser is None or driver is None:
        missing = "chromium" if browser is None else "chromium-driver"
        raise BrowserNotFoundError(f"{missing} is not installed: {INSTALL_HINT}")
    return browser, driver


def headless_chromium(profile: Path) -> WebDriver:
    """Start a headless chromium with its profile in the new folder ``profile``.

    Quit it with ``driver.quit()``.

    Raises:
        BrowserNotFoundError: chromium, chromium-driver or selenium is not installed.
    """
    browser, driver = find_chromium()
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as exc:
        raise BrowserNotFoundError(f"selenium is not installed: {INSTALL_HINT}") from exc
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in (*_QUIET, f"--user-data-dir={profile}"):
        options.add_argument(argument)
    return webdriver.Chrome(options=options, service=Service(executable_path=driver))
