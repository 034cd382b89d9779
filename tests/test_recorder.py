"""Recorder: what each event becomes in the transcript and presence tables."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import pytest

from assistant.events import (
    Connected,
    Disconnected,
    Event,
    Identity,
    MemberJoined,
    MemberLeft,
    MessageDeleted,
    MessageEdited,
    MessageReceived,
    NickChanged,
    PresenceChanged,
    TopicChanged,
)
from assistant.recorder import Recorder
from assistant.storage.database import Database
from assistant.testing.database import temporary_database

NET = "libera"
T0 = datetime(2024, 1, 7, 8, 30, tzinfo=UTC)


class Chat:
    """Builds IRC events on one network; the clock moves one second per event."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.now = T0

    def who(self, nick: str, account: str | None = None) -> Identity:
        return Identity(platform="irc", network=NET, nick=nick, account=account, userhost="u@h")

    def at(self) -> dict[str, Any]:
        """The fields every event has, one second after the previous event."""
        self.now += timedelta(seconds=1)
        return {"platform": "irc", "network": NET, "timestamp": self.now}

    def add(self, event: Event) -> None:
        self.recorder.record(event)

    def says(self, nick: str, channel: str | None, text: str, **extra: Any) -> None:
        """A message; ``extra`` sets kind, message_id or reply_to."""
        self.add(
            MessageReceived(**self.at(), channel=channel, actor=self.who(nick), text=text, **extra)
        )

    def joins(self, nick: str, channel: str, *, roster: bool = False) -> None:
        self.add(
            MemberJoined(**self.at(), channel=channel, actor=self.who(nick), already_present=roster)
        )

    def leaves(
        self,
        nick: str,
        channel: str | None,
        kind: Literal["part", "quit", "kick", "netsplit"] = "part",
        by: str | None = None,
    ) -> None:
        kicker = self.who(by) if by else None
        self.add(
            MemberLeft(
                **self.at(),
                channel=channel,
                actor=self.who(nick),
                kind=kind,
                reason="bye",
                by=kicker,
            )
        )

    def renames(self, nick: str, new: str) -> None:
        self.add(NickChanged(**self.at(), actor=self.who(nick), new_nick=new))


@pytest.fixture
async def db() -> AsyncIterator[Database]:
    async with temporary_database() as database:
        yield database


@pytest.fixture
def chat(db: Database) -> Chat:
    return Chat(Recorder(db, ignore=["ChanServ"], private_channels=[(NET, "#Secret")]))


async def rows(db: Database, sql: str) -> list[tuple[object, ...]]:
    return [tuple(row) for row in await db.fetchall(sql)]


async def test_channel_messages_are_recorded_in_order_with_their_details(
    db: Database, chat: Chat
) -> None:
    chat.says("alice", "#Chat", "hello")
    chat.says("Bob", "#chat", "waves", kind="action", message_id="m2", reply_to="m1")
    chat.says("alice", "#other", "elsewhere")
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
    db: Database, chat: Chat
) -> None:
    chat.says("alice", None, "a secret to Presence")
    chat.says("chanserv", "#chat", "a bot speaks")
    chat.joins("ChanServ", "#chat")
    chat.says("alice", "#chat", "public")
    assert await rows(db, "SELECT text FROM messages") == [("public",)]
    assert await rows(db, "SELECT nick FROM identities") == [("alice",)]
    assert await rows(db, "SELECT count(*) FROM presence_intervals") == [(0,)]


async def test_joins_parts_quits_and_kicks_open_and_close_stays(db: Database, chat: Chat) -> None:
    chat.joins("alice", "#chat", roster=True)
    chat.joins("alice", "#chat")  # a repeated join keeps the one open stay
    chat.joins("bob", "#chat")
    chat.joins("bob", "#dev")
    chat.joins("carol", "#chat")
    chat.joins("op", "#chat")
    chat.leaves("alice", "#chat")
    chat.leaves("bob", None, kind="quit")  # one quit closes every channel
    chat.leaves("carol", "#chat", kind="kick", by="op")
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
    db: Database, chat: Chat
) -> None:
    chat.joins("alice", "#chat")
    chat.joins("alice", "#dev")
    chat.renames("alice", "alice_away")
    chat.renames("alice_away", "Alice2")
    chat.renames("Alice2", "alice2")  # case only: the same identity
    chat.says("alice2", "#chat", "back")
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
    db: Database, chat: Chat
) -> None:
    chat.says("bob", "#chat", "I was bob last month")
    chat.says("alice", "#chat", "hi")
    chat.renames("alice", "bob")
    assert await rows(db, "SELECT nick, person_id FROM identities ORDER BY id") == [
        ("bob", 2),
        ("alice", 2),
    ]


async def test_a_disconnect_closes_every_stay_on_the_network_as_unknown(
    db: Database, chat: Chat
) -> None:
    chat.add(Connected(**chat.at(), nick="presence"))
    chat.joins("alice", "#chat")
    chat.joins("bob", "#dev")
    chat.add(Disconnected(**chat.at(), reason="ping timeout"))
    chat.add(Connected(**chat.at(), nick="presence"))
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


async def test_a_reconnect_after_a_crash_closes_stays_left_open(db: Database, chat: Chat) -> None:
    chat.joins("alice", "#chat")
    chat.add(Connected(**chat.at(), nick="presence"))
    assert await rows(db, "SELECT left_kind FROM presence_intervals") == [("disconnected",)]


async def test_edits_and_deletes_find_the_message_by_its_platform_id(
    db: Database, chat: Chat
) -> None:
    chat.says("alice", "#chat", "teh typo", message_id="1")
    chat.says("alice", "#chat", "oops", message_id="2")
    chat.says("alice", "#other", "same id, other channel", message_id="1")
    chat.add(
        MessageEdited(
            **chat.at(), channel="#chat", actor=chat.who("alice"), message_id="1", text="the typo"
        )
    )
    chat.add(MessageDeleted(**chat.at(), channel="#chat", actor=chat.who("alice"), message_id="2"))
    chat.add(
        MessageEdited(
            **chat.at(), channel="#chat", actor=chat.who("alice"), message_id="2", text="back"
        )
    )
    assert await rows(db, "SELECT text, edited, deleted FROM messages ORDER BY id") == [
        ("the typo", 1, 0),
        ("", 0, 1),
        ("same id, other channel", 0, 0),
    ]


async def test_topics_are_kept_when_they_change(db: Database, chat: Chat) -> None:
    server = chat.who("irc.libera.chat")
    chat.add(TopicChanged(**chat.at(), channel="#chat", actor=server, topic="Sunday chat"))
    chat.add(TopicChanged(**chat.at(), channel="#chat", actor=server, topic="Sunday chat"))
    chat.add(TopicChanged(**chat.at(), channel="#chat", actor=chat.who("op"), topic="Podcasting"))
    assert await rows(
        db,
        "SELECT t.topic, i.nick FROM topics t LEFT JOIN identities i ON i.id = t.identity_id "
        "ORDER BY t.id",
    ) == [("Sunday chat", None), ("Podcasting", "op")]


async def test_presence_status_and_new_identity_details_are_stored(
    db: Database, chat: Chat
) -> None:
    chat.says("alice", "#chat", "hi")
    chat.add(
        PresenceChanged(
            **chat.at(),
            actor=chat.who("alice", account="alice_acct"),
            status="away",
            message="lunch",
        )
    )
    assert await rows(db, "SELECT account, status, status_message FROM identities") == [
        ("alice_acct", "away", "lunch")
    ]


async def test_private_channels_are_flagged_and_stay_flagged(db: Database, chat: Chat) -> None:
    chat.says("alice", "#secret", "psst")
    chat.says("alice", "#chat", "hello")
    other = Chat(Recorder(db))  # e.g. an importer built without the owner's settings
    other.says("bob", "#SECRET", "still private")
    assert await rows(db, "SELECT key, private FROM channels ORDER BY id") == [
        ("#secret", 1),
        ("#chat", 0),
    ]


async def test_private_channel_names_fold_like_irc(db: Database) -> None:
    chat = Chat(Recorder(db, private_channels=[(NET, "#Team[x]")]))
    chat.says("alice", "#team{X}", "hi")
    assert await rows(db, "SELECT name, private FROM channels") == [("#team{X}", 1)]
