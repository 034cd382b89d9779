"""The Health page shows each plugin's delivery figures from the running plugin host."""

from __future__ import annotations

import asyncio
import re
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from assistant import Event, Plugin, PluginContext, hookimpl
from assistant.config import parse_settings
from assistant.plugins import PluginHost
from assistant.storage.database import Database
from assistant.testing.factories import ChatScript
from assistant.web.dashboard import start_dashboard

chat = ChatScript(start=datetime(2026, 3, 1, 9, 30, tzinfo=UTC))


class Gated(Plugin):
    """Handles nothing until its gate opens: a deliberately slow plugin."""

    def __init__(self, ctx: PluginContext) -> None:
        super().__init__(ctx)
        self.gate = asyncio.Event()

    @hookimpl
    async def assistant_event(self, event: Event) -> None:
        await self.gate.wait()


class Broken(Plugin):
    """Raises on every event it is given."""

    @hookimpl
    def assistant_event(self, event: Event) -> None:
        raise RuntimeError("broken on purpose")


async def _nowhere(network: str, target: str, text: str) -> None:
    """Nothing is sent in this test."""


def _get(url: str, token: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _cell(body: str, plugin: str, name: str) -> str:
    row = re.search(rf'<tr data-plugin="{plugin}">(.*?)</tr>', body, re.S)
    assert row, body
    cell = re.search(rf'<td class="[^"]*\b{name}\b[^"]*">(.*?)</td>', row.group(1), re.S)
    assert cell, row.group(1)
    return re.sub(r"<[^>]+>", "", cell.group(1)).strip()


async def test_the_health_page_shows_each_plugins_live_delivery_figures(tmp_path: Path) -> None:
    settings = parse_settings(
        {
            "storage": {"path": str(tmp_path / "presence.sqlite3")},
            "analysis": {"enabled": False},
            "web": {"port": 0},
        }
    )
    said: list[str] = []
    async with await Database.open(tmp_path / "presence.sqlite3") as db:
        host = PluginHost(
            settings, db, _nowhere, plugin_classes={"gated": Gated, "broken": Broken}, queue_size=3
        )
        await host.start()
        server = await start_dashboard(db, settings, plugins=host, say=said.append)
        try:
            for number in range(8):  # the gated plugin holds 1 + 3 queued; 4 shed
                host.publish(chat.said("alice", f"line {number}", channel="#chan"))
                await asyncio.sleep(0.01)  # the broken plugin keeps up (and fails on each)
            token = re.search(r"\?token=(\S+)", said[0])
            assert token, said
            status, body = await asyncio.to_thread(_get, server.url + "health", token.group(1))
            assert status == 200
            assert "<title>Health · Presence</title>" in body
            assert body.count('<table class="plugins">') == 1  # once, in the page, not the title
            assert "Live figures need" not in body
            assert _cell(body, "gated", "shed") == "4 (4 MessageReceived)"
            assert _cell(body, "gated", "queued") == "3"  # and one in its hands
            assert _cell(body, "gated", "behind") == "behind now"
            assert _cell(body, "gated", "handles") == "every chat event"
            assert _cell(body, "gated", "errors") == "0"
            assert _cell(body, "broken", "shed") == "0"
            assert _cell(body, "broken", "errors") == "8"
            assert _cell(body, "broken", "behind") == "never"

            gated = host.instance("gated")
            assert isinstance(gated, Gated)
            gated.gate.set()  # it catches up: the episode ends, the count stays
            await host.delivered()
            _, body = await asyncio.to_thread(_get, server.url + "health", token.group(1))
            assert _cell(body, "gated", "behind") == "1 time, caught up"
            assert _cell(body, "gated", "queued") == "0"
            assert _cell(body, "gated", "shed") == "4 (4 MessageReceived)"
        finally:
            await server.stop()
            await host.stop()
