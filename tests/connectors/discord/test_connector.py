"""The Discord connector's contract with its owner: clear errors, private messages, valid sends.

Refused intents and bad tokens must say exactly what to change in the Developer Portal and
must not hammer Discord; the owner is recognised by user id in a DM; what Presence says is
cut to Discord's 2,000-character limit and goes only where it is allowed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord
import pytest

from assistant.events import MessageReceived
from assistant.testing.discord import DiscordEmulator

Live = Any  # conftest's Live: .assistant, .witness, .connector, .rows(), .until_rows(), .until()
Guild = Any  # conftest's Guild: ids of the scripted server, its channels and people
Start = Callable[..., Awaitable[Live]]


def portal(*names: str) -> discord.Intents:
    """Privileged intents switched on in the emulated developer portal."""
    found = discord.Intents.none()
    for name in names:
        setattr(found, name, True)
    return found


@pytest.mark.parametrize("portal", [portal("members")])
async def test_a_refused_intent_names_the_portal_switches_and_the_network_stays_off(
    presence: Start, emulator: DiscordEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    live = await presence(wait=False)
    await live.until(lambda: live.connector.failure is not None)
    failure = live.connector.failure
    assert "Bot -> Privileged Gateway Intents" in failure
    assert '"Message Content Intent" and "Presence Intent"' in failure
    assert "Server Members Intent" not in failure
    assert "without Message Content Intent: members' messages are recorded with empty" in failure
    assert "without Presence Intent: online/idle/dnd/offline changes are not seen" in failure
    assert "degrade_intents = true" in failure
    assert failure in caplog.text
    identified = emulator.identify_count
    await asyncio.sleep(0.3)  # the supervisor would have retried several times by now
    assert emulator.identify_count == identified
    assert not live.connector.connected


@pytest.mark.parametrize("portal", [portal("members")])
async def test_with_degrade_intents_presence_carries_on_with_what_is_allowed(
    presence: Start, emulator: DiscordEmulator, guild: Guild, caplog: pytest.LogCaptureFixture
) -> None:
    live = await presence(degrade_intents=True)
    assert live.connector.intents.members and not live.connector.intents.message_content
    assert "Presence carries on without them" in caplog.text
    carol = emulator.add_user("carol")
    await emulator.member_join(guild.id, carol)
    await emulator.post_message(guild.general, guild.alice, "text Presence may not read")
    await emulator.post_message(guild.general, guild.alice, f"<@{emulator.bot_user_id}> hi")
    await live.until_rows(
        "SELECT text FROM messages ORDER BY id", expect=[("",), ("@presence hi",)]
    )
    await live.until_rows(
        "SELECT count(*) FROM presence_intervals p JOIN identities i ON i.id = p.identity_id "
        "WHERE i.user_id = ?",
        carol,
        expect=[(2,)],
    )


async def test_a_bad_token_is_explained_once_and_not_retried(
    presence: Start,
    emulator: DiscordEmulator,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("PRESENCE_TEST_WRONG_TOKEN", "not-the-token")
    live = await presence(token_env="PRESENCE_TEST_WRONG_TOKEN", wait=False)
    await live.until(lambda: live.connector.failure is not None)
    failure = live.connector.failure
    assert "Discord refused the bot token in $PRESENCE_TEST_WRONG_TOKEN" in failure
    assert "Bot -> Reset Token" in failure
    assert "not-the-token" not in caplog.text
    logins = [entry for entry in emulator.rest_log if entry == ("GET", "/users/@me")]
    await asyncio.sleep(0.3)  # the supervisor would have retried several times by now
    assert [entry for entry in emulator.rest_log if entry == ("GET", "/users/@me")] == logins
    assert len(logins) == 1 and emulator.identify_count == 0


async def test_a_missing_token_variable_is_explained(
    presence: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PRESENCE_TEST_DISCORD_TOKEN")
    live = await presence(wait=False)
    await live.until(lambda: live.connector.failure is not None)
    assert "PRESENCE_TEST_DISCORD_TOKEN is not set" in live.connector.failure


async def test_the_owner_is_verified_by_user_id_in_a_direct_message(
    presence: Start, emulator: DiscordEmulator, guild: Guild, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    live = await presence()
    await emulator.post_message(emulator.dm_channel(guild.owner), guild.owner, "!secret")
    await emulator.post_message(emulator.dm_channel(guild.bob), guild.bob, "!secret")
    await live.until(lambda: len(emulator.sent) == 2)
    answers = {(m.recipient_id, m.is_dm): m.content for m in emulator.sent}
    assert answers == {
        (guild.owner, True): f"owner verified: {guild.owner}",
        (guild.bob, True): "Sorry, only my owner can use !secret.",
    }
    private = [e for e in live.witness.events if isinstance(e, MessageReceived) and e.is_private]
    assert {e.actor.user_id for e in private} == {guild.owner, guild.bob}
    assert await live.rows("SELECT count(*) FROM messages") == [(0,)]  # DMs are not transcript


async def test_a_long_summary_reaches_the_owner_in_valid_pieces(
    presence: Start, emulator: DiscordEmulator, guild: Guild
) -> None:
    live = await presence()
    paragraphs = [
        f"## Topic {n}\n" + " ".join(f"point{n}.{k}" for k in range(60)) for n in range(12)
    ]
    summary = "\n\n".join(paragraphs)
    assert len(summary) > 5000
    await live.assistant.send("community", guild.owner, summary)
    pieces = [m.content for m in emulator.sent if m.is_dm and m.recipient_id == guild.owner]
    assert len(pieces) >= 3
    assert all(0 < len(piece) <= 2000 for piece in pieces)
    assert " ".join(pieces).split() == summary.split()
    assert all(piece.startswith("## Topic") for piece in pieces)  # cut at line boundaries


async def test_channel_messages_go_only_where_configured(
    presence: Start, emulator: DiscordEmulator, guild: Guild, caplog: pytest.LogCaptureFixture
) -> None:
    live = await presence()
    await live.assistant.send("community", "#general", "hello @everyone")
    await live.assistant.send("community", "#help", "not allowed here")
    assert [(m.channel_id, m.content) for m in emulator.sent] == [
        (guild.general, "hello @everyone")
    ]
    assert "#help is not in send_channels" in caplog.text
    assert await live.rows("SELECT count(*) FROM messages") == [(0,)]  # its own line is not news
