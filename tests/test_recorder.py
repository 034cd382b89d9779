"""Recorder: what each event becomes in the transcript and presence tables."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from assistant.events import Identity, MemberModeChanged
from assistant.recorder import Recorder
from assistant.storage.database import Database
from assistant.testing.factories import ChatScript

# Every recorder test runs on SQLite and on PostgreSQL (open_database, tests/conftest.py).
NET = "libera"
T0 = datetime(2024, 1, 7, 8, 30, tzinfo=UTC)


@pytest.fixture
async def db(open_database: Callable[..., Awaitable[Database]]) -> AsyncIterator[Database]:
    """A fresh database on each backend (SQLite, PostgreSQL)."""
    async with await open_database() as database:
        yield database


def recording(recorder: Recorder) -> ChatScript:
    """IRC events on NET that ``recorder`` records as they are built, one second apart from T0."""
    return ChatScript(NET, start=T0, sink=recorder.record)


@pytest.fixture
def chat(db: Database) -> ChatScript:
    return recording(Recorder(db, ignore=["ChanServ"], private_channels=[(NET, "#Secret")]))


async def rows(db: Database, sql: str) -> list[tuple[object, ...]]:
    return [tuple(row) for row in await db.fetchall(sql)]


async def test_channel_messages_are_recorded_in_order_with_their_details(
    db: Database, chat: ChatScript
) -> None:
    chat.said("alice", "hello", "#Chat")
    chat.said("Bob", "waves", "#chat", kind="action", message_id="m2", reply_to="m1")
    chat.said("alice", "elsewhere", "#other")
    assert await rows(
        db,
        "SELECT c.name, i.nick, m.kind, m.text, m.message_id, m.reply_to FROM messages m "
        "JOIN channels c ON c.id = m.channel_id JOIN identities i ON i.id = m.identity_id "
        "ORDER BY m.id",
    ) == [
        ("#Chat", "alice", "message", "hello", None, None),
        ("#Chat", "Bob", "action", "waves", "m2", "m1"),
        ("#other", "alice", "message", "elsewhere", None, None),
    ]
    at = await db.fetchone("SELECT at FROM messages ORDER BY id LIMIT 1")
    assert at is not None and at["at"] == (T0 + timedelta(seconds=1)).timestamp()
    assert await rows(db, "SELECT count(*) FROM persons") == [(2,)]


async def test_private_messages_and_ignored_nicks_are_not_recorded(
    db: Database, chat: ChatScript
) -> None:
    chat.said("alice", "a secret to Presence", None)
    chat.said("chanserv", "a bot speaks", "#chat")
    chat.joined("ChanServ", "#chat")
    chat.said("alice", "public", "#chat")
    assert await rows(db, "SELECT text FROM messages") == [("public",)]
    assert await rows(db, "SELECT nick FROM identities") == [("alice",)]
    assert await rows(db, "SELECT count(*) FROM presence_intervals") == [(0,)]


async def test_joins_parts_quits_and_kicks_open_and_close_stays(
    db: Database, chat: ChatScript
) -> None:
    chat.joined("alice", "#chat", already_present=True)
    chat.joined("alice", "#chat")  # a repeated join keeps the one open stay
    chat.joined("bob", "#chat")
    chat.joined("bob", "#dev")
    chat.joined("carol", "#chat")
    chat.joined("op", "#chat")
    chat.left("alice", "#chat", reason="bye")
    chat.left("bob", None, kind="quit", reason="bye")  # one quit closes every channel
    chat.left("carol", "#chat", kind="kick", by="op", reason="bye")
    assert await rows(
        db,
        "SELECT i.nick, c.name, p.already_present, p.left_kind, p.left_reason, k.nick "
        "FROM presence_intervals p JOIN identities i ON i.id = p.identity_id "
        "JOIN channels c ON c.id = p.channel_id LEFT JOIN identities k ON k.id = p.left_by "
        "ORDER BY p.id",
    ) == [
        ("alice", "#chat", 1, "part", "bye", None),
        ("bob", "#chat", 0, "quit", "bye", None),
        ("bob", "#dev", 0, "quit", "bye", None),
        ("carol", "#chat", 0, "kick", "bye", "op"),
        ("op", "#chat", 0, None, None, None),
    ]
    left = await db.fetchone("SELECT left_at FROM presence_intervals ORDER BY id LIMIT 1")
    assert left is not None and left["left_at"] == (T0 + timedelta(seconds=7)).timestamp()


async def test_a_nick_change_chain_stays_one_person_and_carries_the_stays(
    db: Database, chat: ChatScript
) -> None:
    chat.joined("alice", "#chat")
    chat.joined("alice", "#dev")
    chat.nick_changed("alice", "alice_away")
    chat.nick_changed("alice_away", "Alice2")
    chat.nick_changed("Alice2", "alice2")  # case only: the same identity
    chat.said("alice2", "back", "#chat")
    assert await rows(db, "SELECT count(*), count(DISTINCT person_id) FROM identities") == [(3, 1)]
    assert await rows(
        db,
        "SELECT i.nick, c.name, p.left_kind, p.left_reason FROM presence_intervals p "
        "JOIN identities i ON i.id = p.identity_id JOIN channels c ON c.id = p.channel_id "
        "ORDER BY p.id",
    ) == [
        ("alice", "#chat", "nick", "alice_away"),
        ("alice", "#dev", "nick", "alice_away"),
        ("alice_away", "#chat", "nick", "Alice2"),
        ("alice_away", "#dev", "nick", "Alice2"),
        ("alice2", "#chat", None, None),
        ("alice2", "#dev", None, None),
    ]


async def test_taking_a_nick_seen_before_links_it_to_the_one_who_took_it(
    db: Database, chat: ChatScript
) -> None:
    chat.said("bob", "I was bob last month", "#chat")
    chat.said("alice", "hi", "#chat")
    chat.nick_changed("alice", "bob")
    assert await rows(db, "SELECT nick, person_id FROM identities ORDER BY id") == [
        ("bob", 2),
        ("alice", 2),
    ]


async def test_a_disconnect_closes_every_stay_on_the_network_as_unknown(
    db: Database, chat: ChatScript
) -> None:
    chat.connected()
    chat.joined("alice", "#chat")
    chat.joined("bob", "#dev")
    chat.disconnected("ping timeout")
    chat.connected()
    assert await rows(db, "SELECT left_kind, left_reason FROM presence_intervals") == [
        ("disconnected", "ping timeout"),
        ("disconnected", "ping timeout"),
    ]
    gaps = await rows(db, "SELECT started_at, ended_at, reason FROM connection_gaps")
    assert gaps == [
        (
            (T0 + timedelta(seconds=4)).timestamp(),
            (T0 + timedelta(seconds=5)).timestamp(),
            "ping timeout",
        )
    ]


async def test_a_reconnect_after_a_crash_closes_stays_left_open_as_unknown_at_the_crash(
    db: Database, chat: ChatScript
) -> None:
    chat.joined("alice", "#chat")  # t1
    chat.joined("bob", "#chat")  # t2
    chat.said("alice", "last line before the crash", "#chat")  # t3
    chat.connected()  # t4: no Disconnected before it, so Presence had crashed
    crash, back = (T0 + timedelta(seconds=3)).timestamp(), (T0 + timedelta(seconds=4)).timestamp()
    assert await rows(db, "SELECT left_at, left_kind, left_reason FROM presence_intervals") == [
        (crash, "unknown", "Presence stopped unexpectedly"),
        (crash, "unknown", "Presence stopped unexpectedly"),
    ]
    gaps = await rows(db, "SELECT started_at, ended_at, reason FROM connection_gaps")
    assert gaps == [(crash, back, "Presence stopped unexpectedly")]
    chat.disconnected("stopped")  # a clean stop after that is no crash
    chat.connected()
    assert len(await rows(db, "SELECT 1 FROM connection_gaps")) == 2


async def test_edits_and_deletes_find_the_message_by_its_platform_id(
    db: Database, chat: ChatScript
) -> None:
    chat.said("alice", "teh typo", "#chat", message_id="1")
    chat.said("alice", "oops", "#chat", message_id="2")
    chat.said("alice", "same id, other channel", "#other", message_id="1")
    chat.edited("alice", "#chat", "1", "the typo")
    chat.deleted("alice", "#chat", "2")
    chat.edited("alice", "#chat", "2", "back")
    assert await rows(db, "SELECT text, edited, deleted FROM messages ORDER BY id") == [
        ("the typo", 1, 0),
        ("", 0, 1),
        ("same id, other channel", 0, 0),
    ]


async def test_topics_are_kept_when_they_change(db: Database, chat: ChatScript) -> None:
    chat.topic("irc.libera.chat", "#chat", "Sunday chat")  # the server announces it
    chat.topic("irc.libera.chat", "#chat", "Sunday chat")
    chat.topic("op", "#chat", "Podcasting")
    assert await rows(
        db,
        "SELECT t.topic, i.nick FROM topics t LEFT JOIN identities i ON i.id = t.identity_id "
        "ORDER BY t.id",
    ) == [("Sunday chat", None), ("Podcasting", "op")]


async def test_presence_status_and_new_identity_details_are_stored(
    db: Database, chat: ChatScript
) -> None:
    chat.said("alice", "hi", "#chat")
    chat.presence(chat.who("alice", account="alice_acct"), "away", "lunch")
    assert await rows(db, "SELECT account, status, status_message FROM identities") == [
        ("alice_acct", "away", "lunch")
    ]


async def test_private_channels_are_flagged_and_stay_flagged(
    db: Database, chat: ChatScript
) -> None:
    chat.said("alice", "psst", "#secret")
    chat.said("alice", "hello", "#chat")
    other = recording(Recorder(db))  # e.g. an importer built without the owner's settings
    other.said("bob", "still private", "#SECRET")
    assert await rows(db, "SELECT key, private FROM channels ORDER BY id") == [
        ("#secret", 1),
        ("#chat", 0),
    ]


async def test_private_channel_names_fold_like_irc(db: Database) -> None:
    chat = recording(Recorder(db, private_channels=[(NET, "#Team[x]")]))
    chat.said("alice", "hi", "#team{X}")
    assert await rows(db, "SELECT name, private FROM channels") == [("#team{X}", 1)]


async def test_member_status_from_names_and_mode_changes_is_kept_on_the_stay(
    db: Database,
) -> None:
    recorder = Recorder(db, ignore=["ChanServ"])
    chat = recording(recorder)
    roster = chat.joined("alice", "#chat", already_present=True)
    recorder.record(replace(roster, modes="@"))  # the same roster again, now with her status
    chat.joined("bob", "#chat")
    chat.joined("ChanServ", "#chat")

    def mode(nick: str, change: str, status: str, at: int) -> MemberModeChanged:
        return MemberModeChanged(
            platform="irc",
            network=NET,
            timestamp=T0 + timedelta(minutes=at),
            channel="#chat",
            actor=Identity(platform="irc", network=NET, nick=nick),
            modes=change,
            status=status,
            by=Identity(platform="irc", network=NET, nick="alice"),
        )

    recorder.record(mode("bob", "+v", "+", 1))
    recorder.record(mode("bob", "+o", "@+", 2))
    recorder.record(mode("ChanServ", "+o", "@", 3))  # ignored nicks stay unrecorded
    recorder.record(mode("carol", "+v", "+", 4))  # not in the channel: no stay to mark
    chat.left("bob", "#chat")
    chat.joined("bob", "#chat")  # a new stay starts without status
    assert await rows(
        db,
        "SELECT i.nick, p.modes, p.left_kind FROM presence_intervals p "
        "JOIN identities i ON i.id = p.identity_id ORDER BY p.id",
    ) == [("alice", "@", None), ("bob", "@+", "part"), ("bob", "", None)]
