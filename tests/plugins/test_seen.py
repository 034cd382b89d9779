"""The seen plugin answers from the recorded transcript, in human terms, without leaking."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from assistant_seen import SeenPlugin, describe, relative_time

from assistant import Event, Identity, MemberJoined, SeenRecord, Settings, last_seen
from assistant.plugins import PluginHost
from assistant.recorder import Recorder
from assistant.testing.database import temporary_database
from assistant.testing.factories import ChatScript

NOW = datetime(2024, 5, 5, 19, 30, tzinfo=UTC)
NET = "libera"
SCRIPT = ChatScript(NET, start=NOW)  # HISTORY: each ``at`` is how long before NOW
MINUTE, HOUR = timedelta(minutes=1), timedelta(hours=1)

HISTORY: list[Event] = [
    SCRIPT.joined("alice", "#chan", at=10 * MINUTE),
    SCRIPT.said("alice", "hello there", at=5 * MINUTE),
    SCRIPT.joined("bob", "#chan", at=3 * HOUR),
    SCRIPT.said("bob", "bye all", at=2 * HOUR + MINUTE),
    SCRIPT.left("bob", "#chan", at=2 * HOUR),
    SCRIPT.joined("carol", "#secret", at=HOUR),
    SCRIPT.said("carol", "the secret plan", "#secret", at=30 * MINUTE),
    SCRIPT.joined("dave", "#chan", at=2 * HOUR),
    SCRIPT.nick_changed("dave", "dave_away", at=HOUR),
    SCRIPT.said("erin", "x" * 200, at=3 * 24 * HOUR),
]


class Chat:
    """A started host with the seen plugin over a recorded history; ask it questions."""

    def __init__(self, host: PluginHost) -> None:
        self.host = host
        self.replies: list[tuple[str, str, str]] = []

    async def ask(self, text: str, channel: str | None = "#chan", nick: str = "zed") -> str:
        before = len(self.replies)
        handled = await self.host.handle_command(SCRIPT.said(nick, text, channel, at=NOW))
        assert handled
        [reply] = self.replies[before:]
        return reply[2]


@pytest.fixture
async def chat() -> AsyncIterator[Chat]:
    async with temporary_database() as db:
        recorder = Recorder(db, private_channels=[(NET, "#secret")])
        for event in HISTORY:
            recorder.record(event)
        await db.flush()
        chat: Chat

        async def send(network: str, target: str, text: str) -> None:
            chat.replies.append((network, target, text))

        host = PluginHost(Settings(), db, send, plugin_classes={"seen": SeenPlugin})
        chat = Chat(host)
        await host.start()
        try:
            yield chat
        finally:
            await host.stop()


async def test_someone_still_here(chat: Chat) -> None:
    reply = await chat.ask("!seen alice")
    assert reply == "alice was last seen in #chan 5 minutes ago, saying “hello there” — still here."


async def test_someone_who_left(chat: Chat) -> None:
    reply = await chat.ask("!seen Bob?")
    assert reply == "bob was last seen in #chan 2 hours ago, saying “bye all” — not here now."


async def test_someone_never_seen(chat: Chat) -> None:
    assert await chat.ask("!seen nobody") == "I have not seen nobody."


async def test_a_private_channel_is_not_revealed_elsewhere(chat: Chat) -> None:
    assert await chat.ask("!seen carol") == "I have not seen carol."
    assert await chat.ask("!seen carol", channel=None) == "I have not seen carol."


async def test_a_private_channel_is_answered_inside_it(chat: Chat) -> None:
    reply = await chat.ask("!seen carol", channel="#secret")
    assert reply == (
        "carol was last seen in #secret 30 minutes ago, saying “the secret plan” — still here."
    )


async def test_an_old_nick_is_followed_to_the_new_one(chat: Chat) -> None:
    reply = await chat.ask("!seen dave")
    assert reply.startswith("dave") and " was last seen in #chan an hour ago" in reply
    assert reply.endswith("— still here.")


def test_a_changed_nick_is_named_with_the_asked_one() -> None:
    record = SeenRecord("dave_away", NET, "#chan", NOW - HOUR, None, still_here=True)
    assert describe(record, NOW, asked_for="Dave") == (
        "Dave (now dave_away) was last seen in #chan an hour ago — still here."
    )
    assert describe(record, NOW, asked_for="DAVE_AWAY").startswith("dave_away was")


async def test_long_last_words_are_shortened(chat: Chat) -> None:
    reply = await chat.ask("!seen erin")
    assert reply.startswith("erin was last seen in #chan 3 days ago, saying “xxx")
    assert "x" * 80 not in reply and "…”" in reply


async def test_a_private_question_is_answered_privately(chat: Chat) -> None:
    await chat.ask("!seen alice", channel=None, nick="zed")
    assert chat.replies[-1][:2] == (NET, "zed")


async def test_a_question_without_a_nick_gets_the_usage(chat: Chat) -> None:
    assert await chat.ask("!seen") == "Whom? Say !seen NICK."


def test_the_plugin_records_nothing_itself() -> None:
    assert SeenPlugin.migrations == ()
    assert not [name for name in dir(SeenPlugin) if name.startswith("assistant_")]


@pytest.mark.parametrize(
    ("ago", "expected"),
    [
        (timedelta(seconds=-5), "just now"),
        (timedelta(seconds=10), "just now"),
        (timedelta(seconds=60), "a minute ago"),
        (timedelta(minutes=5), "5 minutes ago"),
        (timedelta(minutes=44), "44 minutes ago"),
        (timedelta(minutes=59), "an hour ago"),
        (timedelta(hours=2), "2 hours ago"),
        (timedelta(hours=21), "21 hours ago"),
        (timedelta(hours=30), "a day ago"),
        (timedelta(days=3), "3 days ago"),
        (timedelta(days=30), "a month ago"),
        (timedelta(days=100), "3 months ago"),
        (timedelta(days=400), "a year ago"),
        (timedelta(days=365 * 3), "3 years ago"),
    ],
)
def test_relative_time_reads_like_a_person(ago: timedelta, expected: str) -> None:
    assert relative_time(NOW - ago, NOW) == expected


async def test_asking_about_yourself(chat: Chat) -> None:
    assert await chat.ask("!seen Zed", nick="zed") == "You are right here, zed."


async def test_a_voice_channel_is_named_as_one() -> None:
    member = Identity("discord", "guild", "Problogger", user_id="4242")
    async with temporary_database() as db:
        joined = MemberJoined(
            platform="discord",
            network="guild",
            timestamp=NOW - 20 * MINUTE,
            channel="Podcast room",
            actor=member,
            via="voice",
        )
        Recorder(db).record(joined)
        record = await last_seen(db, "guild", "problogger")
    assert record is not None
    assert describe(record, NOW) == (
        "Problogger was last seen in the voice channel Podcast room 20 minutes ago — still here."
    )


async def test_a_discord_mention_is_looked_up_by_user_id() -> None:
    member = Identity("discord", "guild", "Problogger", user_id="4242")
    async with temporary_database() as db:
        discord = ChatScript("guild", "discord", start=NOW, sink=Recorder(db).record)
        discord.said(member, "see you", "#general", at=HOUR)
        replies: list[str] = []

        async def send(network: str, target: str, text: str) -> None:
            replies.append(text)

        host = PluginHost(Settings(), db, send, plugin_classes={"seen": SeenPlugin})
        await host.start()
        try:
            asker = Identity("discord", "guild", "zed", user_id="7")
            await host.handle_command(discord.said(asker, "!seen <@!4242>", "#general", at=NOW))
        finally:
            await host.stop()
    assert replies == [
        "Problogger was last seen in #general an hour ago, saying “see you” — not here now."
    ]
