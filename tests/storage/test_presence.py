"""last_seen and attendance: answers per person, never leaking a private channel."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from assistant.events import Identity
from assistant.recorder import Recorder
from assistant.storage.database import Database
from assistant.storage.presence import AttendanceRow, SeenRecord, attendance, last_seen
from assistant.testing.factories import ChatScript

NET = "libera"
T0 = datetime(2024, 1, 7, 8, 30, tzinfo=UTC)


def t(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
async def db(open_database: Callable[..., Awaitable[Database]]) -> AsyncIterator[Database]:
    """A fresh database on each backend (SQLite, PostgreSQL)."""
    async with await open_database() as database:
        yield database


@pytest.fixture
def chat(db: Database) -> ChatScript:
    """Records as it builds; the clock moves one second per event, from T0."""
    return ChatScript(NET, start=T0, sink=Recorder(db, private_channels=[(NET, "#secret")]).record)


async def test_nobody_seen_is_none(db: Database, chat: ChatScript) -> None:
    chat.said("alice", "hi", "#chat")
    assert await last_seen(db, NET, "zed") is None
    assert await last_seen(db, "othernet", "alice") is None


async def test_the_latest_activity_and_last_words(db: Database, chat: ChatScript) -> None:
    chat.joined("alice", "#chat")  # t1
    chat.said("alice", "hello all", "#chat")  # t2
    chat.said("bob", "hi alice", "#chat")  # t3
    assert await last_seen(db, NET, "ALICE") == SeenRecord(
        nick="alice", network=NET, channel="#chat", at=t(2), last_words="hello all", still_here=True
    )
    chat.said("alice", "bye all", "#chat")  # t4
    chat.left("alice", "#chat")  # t5
    seen = await last_seen(db, NET, "alice")
    assert seen is not None
    assert (seen.at, seen.last_words, seen.still_here) == (t(5), "bye all", False)


async def test_a_private_channel_is_revealed_only_where_it_is_asked(
    db: Database, chat: ChatScript
) -> None:
    chat.joined("alice", "#chat")  # t1
    chat.joined("alice", "#secret")  # t2
    chat.said("alice", "public words", "#chat")  # t3
    chat.left("alice", "#chat")  # t4
    chat.said("alice", "secret words", "#secret")  # t5
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


async def test_only_private_activity_is_as_good_as_none_elsewhere(
    db: Database, chat: ChatScript
) -> None:
    chat.said("alice", "psst", "#secret")
    assert await last_seen(db, NET, "alice", asked_in="#chat") is None
    assert await last_seen(db, NET, "alice", asked_in="#secret") is not None


async def test_asking_for_an_old_nick_finds_the_person_under_the_new_one(
    db: Database, chat: ChatScript
) -> None:
    chat.joined("alice", "#chat")  # t1
    chat.said("alice", "brb", "#chat")  # t2
    chat.nick_changed("alice", "alice_afk")  # t3
    chat.nick_changed("alice_afk", "alice_back")  # t4
    chat.said("alice_back", "done", "#chat")  # t5
    expected = SeenRecord(
        nick="alice_back", network=NET, channel="#chat", at=t(5), last_words="done", still_here=True
    )
    for nick in ("alice", "alice_afk", "Alice_Back"):
        assert await last_seen(db, NET, nick) == expected


async def test_losing_the_connection_is_not_a_sighting(db: Database, chat: ChatScript) -> None:
    chat.joined("alice", "#chat")  # t1
    chat.said("alice", "hi", "#chat")  # t2
    chat.disconnected("ping timeout")  # t3
    seen = await last_seen(db, NET, "alice")
    assert seen is not None and (seen.at, seen.still_here) == (t(2), False)


async def test_a_discord_member_is_found_by_display_name(db: Database) -> None:
    member = Identity(platform="discord", network="guild", nick="Problogger", user_id="4242")
    discord = ChatScript("guild", "discord", sink=Recorder(db).record)
    discord.said(member, "anyone on skype?", "general", at=t(1))
    for asked in ("problogger", "4242"):
        seen = await last_seen(db, "guild", asked)
        assert seen is not None and seen.nick == "Problogger"


async def test_attendance_counts_each_person_once_under_their_latest_nick(
    db: Database, chat: ChatScript
) -> None:
    chat.joined("alice", "#chat", already_present=True)  # t1
    chat.joined("bob", "#chat")  # t2
    chat.said("alice", "one", "#chat")  # t3
    chat.said("alice", "two", "#chat")  # t4
    chat.nick_changed("alice", "alice_")  # t5
    chat.said("alice_", "three", "#chat")  # t6
    chat.said("bob", "hi", "#chat")  # t7
    chat.left("bob", "#chat")  # t8
    chat.said("carol", "no join seen for me", "#chat")  # t9
    chat.joined("dave", "#other")  # t10
    chat.joined("bob", "#chat")  # t11: back again
    chat.left("bob", "#chat")  # t12
    assert await attendance(db, NET, "#Chat") == [
        AttendanceRow(nick="alice_", arrived=t(1), left=None, lines=3, present=True),
        AttendanceRow(nick="bob", arrived=t(2), left=t(12), lines=1, present=False),
        AttendanceRow(nick="carol", arrived=t(9), left=t(9), lines=1, present=False),
    ]
    assert await attendance(db, NET, "#nowhere") == []


async def test_a_nick_change_as_the_last_act_reports_the_new_nick(
    db: Database, chat: ChatScript
) -> None:
    chat.joined("bob", "#chat")  # t1
    chat.said("bob", "back in a bit", "#chat")  # t2
    chat.nick_changed("bob", "bob_away")  # t3: nothing else happens after it
    seen = await last_seen(db, NET, "bob")
    assert seen is not None
    assert (seen.nick, seen.at, seen.still_here) == ("bob_away", t(3), True)
    [row] = await attendance(db, NET, "#chat")
    assert (row.nick, row.present, row.left) == ("bob_away", True, None)
