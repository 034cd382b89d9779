"""Live chat names, once, a notable no recorded identity matches: never a silent zero."""

from __future__ import annotations

import asyncio
import logging

import pytest
from assistant_openings import OpeningsPlugin

from assistant.config import parse_settings
from assistant.plugins import PluginHost
from assistant.recorder import Recorder
from assistant.testing.database import temporary_database
from assistant.testing.factories import ChatScript

WATCHLIST = [
    {"name": "Darren", "identities": [{"platform": "irc", "nick": "problogger"}]},
    {"name": "Ann", "identities": [{"platform": "irc", "nick": "ann"}]},
]


async def test_after_hours_of_attending_a_notable_never_seen_is_named_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("assistant_openings.runtime._TICK", 0.01)
    settings = parse_settings(
        {
            "watchlist": WATCHLIST,
            # About a third of a second of attending, for the test.
            "plugins": {"openings": {"notify": [], "unseen_warning_hours": 0.0001}},
        }
    )

    async def send(network: str, target: str, text: str) -> None:
        del network, target, text

    async with temporary_database() as db:
        recorder = Recorder(db)
        chat = ChatScript(sink=recorder.record)
        chat.said("ann", "morning all")
        chat.said("probloger", "new post on email lists is up")  # a typo in the watchlist?
        await db.flush()
        host = PluginHost(settings, db, send, plugin_classes={"openings": OpeningsPlugin})
        with caplog.at_level(logging.WARNING, logger="assistant.openings"):
            await host.start()
            try:
                async with asyncio.timeout(60):
                    while "never appears" not in caplog.text:  # noqa: ASYNC110 - a log
                        await asyncio.sleep(0.01)
                await asyncio.sleep(0.2)  # many more ticks: still said only once
            finally:
                await host.stop()
    warnings = [r.getMessage() for r in caplog.records if "never appears" in r.getMessage()]
    assert len(warnings) == 1
    assert "'Darren, problogger'" in warnings[0]
    assert "closest identities seen: probloger" in warnings[0]
    assert "Ann" not in warnings[0]


async def test_zero_hours_never_checks(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("assistant_openings.runtime._TICK", 0.01)
    settings = parse_settings(
        {"watchlist": WATCHLIST, "plugins": {"openings": {"notify": [], "unseen_warning_hours": 0}}}
    )

    async def send(network: str, target: str, text: str) -> None:
        del network, target, text

    async with temporary_database() as db:
        host = PluginHost(settings, db, send, plugin_classes={"openings": OpeningsPlugin})
        with caplog.at_level(logging.WARNING, logger="assistant.openings"):
            await host.start()
            try:
                await asyncio.sleep(0.5)  # dozens of ticks, with nobody recorded at all
            finally:
                await host.stop()
    assert "never appears" not in caplog.text
