"""``!ready`` and ``!dismiss``: owner only, answered privately."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from assistant_openings import OpeningsPlugin
from assistant_openings.ledger import Ledger, LedgerLine

from assistant.config import parse_settings
from assistant.events import Identity, MessageReceived
from assistant.plugins import PluginHost
from assistant.testing.database import temporary_database

AT = datetime(2024, 5, 5, 9, 30, tzinfo=UTC)


class Host:
    def __init__(self, host: PluginHost, sent: list[tuple[str, str, str]]) -> None:
        self.host = host
        self.sent = sent

    async def say(
        self, text: str, *, account: str | None, channel: str | None = "#bloggers"
    ) -> str:
        actor = Identity("irc", "libera", "mynick", account=account)
        event = MessageReceived(
            platform="irc", network="libera", timestamp=AT, channel=channel, actor=actor, text=text
        )
        before = len(self.sent)
        assert await self.host.handle_command(event)
        [reply] = self.sent[before:]
        assert reply[1] == "mynick"  # privately, even when asked in a channel
        return reply[2]


@pytest.fixture
async def host() -> AsyncIterator[Host]:
    settings = parse_settings(
        {
            "owner": {"identities": [{"platform": "irc", "account": "me"}]},
            "watchlist": [
                {"name": "problogger", "identities": [{"platform": "irc", "nick": "pb"}]}
            ],
            "plugins": {"openings": {"notify": []}},
        }
    )
    sent: list[tuple[str, str, str]] = []

    async def send(network: str, target: str, text: str) -> None:
        sent.append((network, target, text))

    async with temporary_database() as db:
        plugins = PluginHost(settings, db, send, plugin_classes={"openings": OpeningsPlugin})
        await plugins.start()
        try:
            yield Host(plugins, sent)
        finally:
            await plugins.stop()


async def test_ready_says_too_early_with_the_counts(host: Host) -> None:
    reply = await host.say("!ready problogger", account="me")
    assert reply.startswith("too early: 0 exchanges in 0 chats — keep adding value")


async def test_ready_knows_a_person_by_nick(host: Host) -> None:
    plugin: Any = host.host.instance("openings")
    plugin.engine.ledgers["problogger"] = Ledger("problogger", [LedgerLine(AT, True, False, True)])
    reply = await host.say("!ready pb", account="me", channel=None)
    assert reply.startswith("too early: 1 exchange in 1 chat — keep adding value")


async def test_ready_is_for_the_owner_only(host: Host) -> None:
    reply = await host.say("!ready problogger", account=None, channel=None)
    assert reply == "Sorry, only my owner can use !ready."


async def test_dismiss_an_unknown_opening(host: Host) -> None:
    assert await host.say("!dismiss 42", account="me") == "No pending opening #42."
    assert (await host.say("!dismiss soon", account="me")).startswith("Which one?")
