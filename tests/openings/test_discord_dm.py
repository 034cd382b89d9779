"""On Discord, an opening reaches the owner as a direct message to their user id."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from assistant_openings import OpeningsPlugin

from assistant.app import Assistant
from assistant.config import parse_settings
from assistant.connectors.discord import DiscordConnector
from assistant.testing.discord import DiscordEmulator

TOKEN_ENV = "PRESENCE_TEST_DISCORD_TOKEN"


async def test_the_owner_gets_a_discord_dm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DiscordConnector, "guild_ready_timeout", 0.05)
    async with DiscordEmulator() as emu:
        with emu.point_discord_py_here():
            monkeypatch.setenv(TOKEN_ENV, emu.token)
            guild = emu.add_guild("Bloggers")
            general = emu.add_channel(guild, "general")
            pro = emu.add_user("problogger")
            owner = emu.add_user("ann")
            emu.add_member(guild, pro)
            emu.add_member(guild, owner)
            settings = parse_settings(
                {
                    "storage": {"path": str(tmp_path / "p.sqlite3"), "flush_interval": 0.02},
                    "owner": {"identities": [{"platform": "discord", "user_id": owner}]},
                    "watchlist": [
                        {
                            "name": "problogger",
                            "identities": [{"platform": "discord", "user_id": pro}],
                            "priority": 5,
                        }
                    ],
                    "networks": {
                        "community": {
                            "platform": "discord",
                            "token_env": TOKEN_ENV,
                            "guild": "Bloggers",
                            "channels": [{"name": "#general"}],
                            "send_channels": [],
                        }
                    },
                    "plugins": {"openings": {"notify": ["dm"], "feedback_wait": 0}},
                }
            )
            assistant = Assistant(settings, plugin_classes={"openings": OpeningsPlugin})
            await assistant.start()
            try:
                # Connected, and #general's members recorded (the database has no change
                # notification to wait on, so it is polled).
                async with asyncio.timeout(30):
                    while True:
                        if await assistant.db.fetchall("SELECT 1 FROM presence_intervals"):
                            break
                        await asyncio.sleep(0.02)
                await emu.post_message(
                    general, pro, "I just published a post on email lists: https://pro.example/list"
                )
                async with asyncio.timeout(60):  # the analysis worker loads first
                    while True:
                        if any(m.is_dm for m in emu.sent):
                            break
                        await asyncio.sleep(0.05)
            finally:
                await assistant.stop()
            [dm] = [m for m in emu.sent if m.is_dm]
            assert dm.recipient_id == owner
            assert "problogger shared their work (https://pro.example/list)" in dm.content
            assert not [m for m in emu.sent if not m.is_dm]  # nothing said in a channel
