"""`presence run` with ``[web] enabled = true`` serves the dashboard from its own event loop."""

from __future__ import annotations

import asyncio
import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from assistant.app import Assistant
from assistant.config import parse_settings
from assistant.testing.fake import FakeConnector


def _get(url: str, token: str | None = None) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


async def test_the_running_assistant_serves_what_it_records(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = parse_settings(
        {
            "networks": {"libera": {"channels": [{"name": "#bloggers"}]}},
            "storage": {"path": str(tmp_path / "presence.sqlite3"), "flush_interval": 0.01},
            "analysis": {"enabled": False},
            "web": {"enabled": True, "port": 0},
        }
    )
    connector = FakeConnector("libera")
    assistant = Assistant(settings, connectors=[connector], plugin_classes={})
    await assistant.start()
    try:
        printed = capsys.readouterr().out
        found = re.search(r"Dashboard: (http://127\.0\.0\.1:\d+/)\?token=(\S+)", printed)
        assert found, printed
        url, token = found.groups()
        status, _ = await asyncio.to_thread(_get, url + "people")
        assert status == 401
        await connector.wait_connected()
        await connector.say("dora", "hello from the live chat", "#bloggers")
        status, body = await asyncio.to_thread(_get, url + "people", token)
        assert status == 200 and "dora" in body
        # the running plugin host was handed over: Health has live figures, not the hint
        status, body = await asyncio.to_thread(_get, url + "health", token)
        assert status == 200 and "No plugins are enabled." in body
        assert "Live figures need" not in body
    finally:
        await assistant.stop()
    with pytest.raises(urllib.error.URLError):
        await asyncio.to_thread(urllib.request.urlopen, url + "people")
