"""Opting out through the running assistant: confirmed privately, nothing kept, nothing recorded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from assistant_privacy import PrivacyPlugin
from assistant_seen import SeenPlugin

from assistant.app import Assistant
from assistant.config import parse_settings
from assistant.testing.fake import FakeConnector
from assistant.testing.irc_client import SimulatedMember
from assistant.testing.ircd import run_ngircd

WAIT = 10.0


@pytest.fixture
def storage(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    """The ``[storage]`` table of each backend; a restart finds the same database."""
    if backend == "postgresql":
        monkeypatch.setenv("PRESENCE_TEST_DSN", request.getfixturevalue("postgres_dsn"))
        return {"backend": "postgresql", "dsn_env": "PRESENCE_TEST_DSN"}
    return {"path": str(tmp_path / "p.sqlite3")}


@asynccontextmanager
async def running(
    storage: dict[str, Any], connector: FakeConnector, **config: Any
) -> AsyncIterator[Assistant]:
    settings = parse_settings({"storage": storage, "analysis": {"enabled": False}, **config})
    assistant = Assistant(
        settings,
        connectors=[connector],
        plugin_classes={"seen": SeenPlugin, "privacy": PrivacyPlugin},
        reconnect_delay=0.01,
    )
    await assistant.start()
    try:
        await connector.wait_connected()
        yield assistant
    finally:
        await assistant.stop()


async def texts(assistant: Assistant) -> list[str]:
    rows = await assistant.db.fetchall("SELECT text FROM messages ORDER BY id")
    return [row["text"] for row in rows]


async def nicks(assistant: Assistant) -> set[str]:
    return {row["nick"] for row in await assistant.db.fetchall("SELECT nick FROM identities")}


async def test_opting_out_forgets_stops_recording_and_is_confirmed_privately(
    storage: dict[str, Any],
) -> None:
    fake = FakeConnector()
    async with running(storage, fake) as assistant:
        await fake.join("alice")
        await fake.say("alice", "my zebra-7734 secret")
        await fake.say("bob", "hi alice")
        await fake.say("alice", "!optout")
        [confirmation] = await fake.wait_sent(1)
        assert confirmation.target == "alice"  # privately, not in #test
        assert "opted out" in confirmation.text and "!optin" in confirmation.text
        await fake.say("alice", "zebra-7734 again, after opting out")
        await fake.join("alice", "#other")
        assert await texts(assistant) == ["hi alice"]
        assert await nicks(assistant) == {"bob"}
        await fake.say("bob", "!seen alice")
        sent = await fake.wait_sent(2)
        assert sent[1].text == "I have not seen alice."

    fake = FakeConnector()
    async with running(storage, fake) as assistant:  # the opt-out outlives a restart
        await fake.say("alice", "after the restart")
        assert await texts(assistant) == ["hi alice", "!seen alice"]
        await fake.say("alice", "!optin")
        [welcome] = await fake.wait_sent(1)
        assert welcome.target == "alice" and "opted in again" in welcome.text
        await fake.say("alice", "back again")
        assert await texts(assistant) == ["hi alice", "!seen alice", "back again"]
        assert await nicks(assistant) == {"alice", "bob"}


async def test_a_config_opt_out_forgets_at_start_and_never_records(
    storage: dict[str, Any],
) -> None:
    fake = FakeConnector()
    fake.platform = "irc"  # the config names an IRC nick
    async with running(storage, fake) as assistant:
        await fake.say("carol", "recorded before the owner opted me out")
        await fake.say("dave", "hello")
    optout = {"privacy": {"optout": [{"platform": "irc", "nick": "Carol"}]}}
    fake = FakeConnector()
    fake.platform = "irc"
    async with running(storage, fake, **optout) as assistant:
        await fake.say("carol", "not recorded")
        assert await texts(assistant) == ["hello"]
        assert await nicks(assistant) == {"dave"}


@pytest.mark.ircd
async def test_an_opt_out_on_a_real_irc_server_is_answered_in_a_private_message(
    tmp_path: Path,
) -> None:
    with run_ngircd() as server:
        settings = parse_settings(
            {
                "storage": {"path": str(tmp_path / "p.sqlite3"), "flush_interval": 0.02},
                "analysis": {"enabled": False},
                "networks": {
                    "testnet": {
                        "host": server.host,
                        "port": server.port,
                        "tls": False,
                        "nick": "presbot",
                        "channels": [{"name": "#optout"}],
                    }
                },
            }
        )
        assistant = Assistant(
            settings, plugin_classes={"privacy": PrivacyPlugin}, reconnect_delay=0.05
        )
        await assistant.start()
        async with await SimulatedMember.connect(server.host, server.port, "quinn") as quinn:
            try:
                await quinn.join("#optout")
                await quinn.wait_for(r"^:presbot!\S+ JOIN :?#optout$", WAIT)
                await quinn.say("#optout", "zebra-7734 is recorded for now")
                await quinn.say("#optout", "!optout")
                line = await quinn.wait_for(r"^:presbot!\S+ (PRIVMSG|NOTICE) quinn :", WAIT)
                assert "opted out" in line
                await quinn.say("#optout", "zebra-7734 after opting out")
                await quinn.say("#optout", "!optin")
                await quinn.wait_for(r"^:presbot!\S+ (PRIVMSG|NOTICE) quinn :.*opted in", WAIT)
                await quinn.say("#optout", "recorded again")
                await asyncio.wait_for(recorded(assistant, "recorded again"), WAIT)
                assert await texts(assistant) == ["recorded again"]
            finally:
                await assistant.stop()


async def recorded(assistant: Assistant, text: str) -> None:
    # A row in the database has no event to wait on: poll it (bounded by the caller).
    while text not in await texts(assistant):  # noqa: ASYNC110
        await asyncio.sleep(0.02)
