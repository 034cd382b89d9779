"""last_seen and attendance: answers per person, never leaking a private channel."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from assistant.events import (
    Disconnected,
    Identity,
    MemberJoined,
    MemberLeft,
    MessageReceived,
    NickChanged,
)
from assistant.recorder import Recorder
from assistant.storage.database import Database
from assistant.storage.presence import AttendanceRow, SeenRecord, attendance, last_seen
from assistant.testing.database import temporary_database

NET = "libera"
T0 = datetime(2024, 1, 7, 8, 30, tzinfo=UTC)


def t(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


class Chat:
    """Builds IRC events on one network; the clock moves one second per event."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.now = T0

    def at(self) -> dict[str, Any]:
        self.now += timedelta(seconds=1)
        return {"platform": "irc", "network": NET, "timestamp": self.now}

    def who(self, nick: str) -> Identity:
        return Identity(platform="irc", network=NET, nick=nick)

    def says(self, nick: str, channel: str, text: str) -> None:
        self.recorder.record(
            MessageReceived(**self.at(), channel=channel, actor=self.who(nick), text=text)
        )

    def joins(self, nick: str, channel: str, *, roster: bool = False) -> None:
        event = MemberJoined(
            **self.at(), channel=channel, actor=self.who(nick), already_present=roster
        )
        self.recorder.record(event)

    def parts(self, nick: str, channel: str) -> None:
        self.recorder.record(
            MemberLeft(**self.at(), channel=channel, actor=self.who(nick), kind="part")
        )

    def renames(self, nick: str, new: str) -> None:
        self.recorder.record(NickChanged(**self.at(), actor=self.who(nick), new_nick=new))


@pytest.fixture
async def db() -> AsyncIterator[Database]:
    async with temporary_database() as database:
        yield database


@pytest.fixture
def chat(db: Database) -> Chat:
    return Chat(Recorder(db, private_channels=[(NET, "#secret")]))


async def test_nobody_seen_is_none(db: Database, chat: Chat) -> None:
    chat.says("alice", "#chat", "hi")
    assert await last_seen(db, NET, "zed") is None
    assert await last_seen(db, "othernet", "alice") is None


async def test_the_latest_activity_and_last_words(db: Database, chat: Chat) -> None:
    chat.joins("alice", "#chat")  # t1
    chat.says("alice", "#chat", "hello all")  # t2
    chat.says("bob", "#chat", "hi alice")  # t3
    assert await last_seen(db, NET, "ALICE") == SeenRecord(
        nick="alice", network=NET, channel="#chat", at=t(2), last_words="hello all", still_here=True
    )
    chat.says("alice", "#chat", "bye all")  # t4
    chat.parts("alice", "#chat")  # t5
    seen = await last_seen(db, NET, "alice")
    assert seen is not None
    assert (seen.at, seen.last_words, seen.still_here) == (t(5), "bye all", False)


async def test_a_private_channel_is_revealed_only_where_it_is_asked(
    db: Database, chat: Chat
) -> None:
    chat.joins("alice", "#chat")  # t1
    chat.joins("alice", "#secret")  # t2
    chat.says("alice", "#chat", "public words")  # t3
    chat.parts("alice", "#chat")  # t4
    chat.says("alice", "#secret", "secret words")  # t5
    for asked_in in (None, "#chat"):
        assert await last_seen(db, NET, "alice", asked_in=asked_in) == SeenRecord(
            nick="alice",
            network=NET,
            channel="#chat",
            at=t(4),
            last_words="public words",
            still_here=False,  # she is still in #secret, which must not show
        )
    assert await last_seen(db, NET, "alice", asked_in="#Secret") == SeenRecord(
        nick="alice",
        network=NET,
        channel="#secret",
        at=t(5),
        last_words="secret words",
        still_here=True,
    )


async def test_only_private_activity_is_as_good_as_none_elsewhere(db: Database, chat: Chat) -> None:
    chat.says("alice", "#secret", "psst")
    assert await last_seen(db, NET, "alice", asked_in="#chat") is None
    assert await last_seen(db, NET, "alice", asked_in="#secret") is not None


async def test_asking_for_an_old_nick_finds_the_person_under_the_new_one(
    db: Database, chat: Chat
) -> None:
    chat.joins("alice", "#chat")  # t1
    chat.says("alice", "#chat", "brb")  # t2
    chat.renames("alice", "alice_afk")  # t3
    chat.renames("alice_afk", "alice_back")  # t4
    chat.says("alice_back", "#chat", "done")  # t5
    expected = SeenRecord(
        nick="alice_back", network=NET, channel="#chat", at=t(5), last_words="done", still_here=True
    )
    for nick in ("alice", "alice_afk", "Alice_Back"):
        assert await last_seen(db, NET, nick) == expected


async def test_losing_the_connection_is_not_a_sighting(db: Database, chat: Chat) -> None:
    chat.joins("alice", "#chat")  # t1
    chat.says("alice", "#chat", "hi")  # t2
    chat.recorder.record(Disconnected(**chat.at(), reason="ping timeout"))  # t3
    seen = await last_seen(db, NET, "alice")
    assert seen is not None and (seen.at, seen.still_here) == (t(2), False)


async def test_a_discord_member_is_found_by_display_name(db: Database) -> None:
    member = Identity(platform="discord", network="guild", nick="Problogger", user_id="4242")
    recorder = Recorder(db)
    recorder.record(
        MessageReceived(
            platform="discord",
            network="guild",
            timestamp=t(1),
            channel="general",
            actor=member,
            text="anyone on skype?",
        )
    )
    for asked in ("problogger", "4242"):
        seen = await last_seen(db, "guild", asked)
        assert seen is not None and seen.nick == "Problogger"


async def test_attendance_counts_each_person_once_under_their_latest_nick(
    db: Database, chat: Chat
) -> None:
    chat.joins("alice", "#chat", roster=True)  # t1
    chat.joins("bob", "#chat")  # t2
    chat.says("alice", "#chat", "one")  # t3
    chat.says("alice", "#chat", "two")  # t4
    chat.renames("alice", "alice_")  # t5
    chat.says("alice_", "#chat", "three")  # t6
    chat.says("bob", "#chat", "hi")  # t7
    chat.parts("bob", "#chat")  # t8
    chat.says("carol", "#chat", "no join seen for me")  # t9
    chat.joins("dave", "#other")  # t10
    chat.joins("bob", "#chat")  # t11: back again
    chat.parts("bob", "#chat")  # t12
    assert await attendance(db, NET, "#Chat") == [
        AttendanceRow(nick="alice_", arrived=t(1), left=None, lines=3, present=True),
        AttendanceRow(nick="bob", arrived=t(2), left=t(12), lines=1, present=False),
        AttendanceRow(nick="carol", arrived=t(9), left=t(9), lines=1, present=False),
    ]
    assert await attendance(db, NET, "#nowhere") == []
