"""ChatScript: one platform and network, a clock that steps per event, and explicit times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from assistant.events import (
    Event,
    Identity,
    MemberJoined,
    MemberLeft,
    MessageReceived,
    NickChanged,
)
from assistant.testing.factories import START, ChatScript

T0 = datetime(2024, 1, 7, 8, 30, tzinfo=UTC)


def test_the_clock_starts_at_start_and_moves_one_step_per_event() -> None:
    chat = ChatScript()
    assert (chat.start, chat.now, chat.step) == (START, START, timedelta(seconds=1))
    assert START == T0
    events = [
        chat.connected(),
        chat.joined("alice", "#chan"),
        chat.said("alice", "hi"),
        chat.topic("alice", "#chan", "Sunday chat"),
        chat.nick_changed("alice", "alice_"),
        chat.presence("alice_", "away", "lunch"),
        chat.edited("alice_", "#chan", "1", "hello"),
        chat.deleted("alice_", "#chan", "1"),
        chat.left("alice_", "#chan"),
        chat.disconnected("ping timeout"),
    ]
    assert [e.timestamp for e in events] == [T0 + timedelta(seconds=n) for n in range(1, 11)]
    assert chat.now == events[-1].timestamp
    assert {(e.platform, e.network) for e in events} == {("irc", "libera")}


def test_an_at_datetime_is_exact_an_at_timedelta_is_ago_and_neither_moves_the_clock() -> None:
    chat = ChatScript("oftc", start=T0, step=timedelta(minutes=5))
    first = chat.said("alice", "one")
    pinned = chat.said("alice", "pinned", at=T0 - timedelta(days=1))
    earlier = chat.joined("bob", "#chan", at=timedelta(minutes=2))
    second = chat.said("alice", "two")
    assert first.timestamp == T0 + timedelta(minutes=5)
    assert pinned.timestamp == T0 - timedelta(days=1)
    assert earlier.timestamp == T0 + timedelta(minutes=3)  # two minutes before ``now``
    assert second.timestamp == T0 + timedelta(minutes=10)
    assert chat.now == second.timestamp


def test_identities_are_built_on_the_scripts_network_or_taken_as_given() -> None:
    chat = ChatScript("guild", "discord")
    assert chat.who("bob") == Identity("discord", "guild", "bob")
    assert chat.who("bob", "bob_acct", "b@h") == Identity(
        "discord", "guild", "bob", account="bob_acct", userhost="b@h"
    )
    member = Identity("discord", "guild", "Problogger", user_id="4242")
    assert chat.said(member, "hi").actor is member


def test_each_builder_fills_in_its_event() -> None:
    chat = ChatScript()
    message = chat.said("bob", "waves", None, "action", message_id="m2", reply_to="m1")
    assert isinstance(message, MessageReceived) and message.is_private
    assert (message.kind, message.text, message.message_id, message.reply_to) == (
        "action",
        "waves",
        "m2",
        "m1",
    )
    joined = chat.joined("alice", "#chan", already_present=True)
    assert isinstance(joined, MemberJoined) and joined.already_present
    kicked = chat.left("bob", "#chan", kind="kick", reason="spam", by="op")
    assert isinstance(kicked, MemberLeft)
    assert (kicked.kind, kicked.reason, kicked.by) == ("kick", "spam", chat.who("op"))
    renamed = chat.nick_changed("alice", "alice_")
    assert isinstance(renamed, NickChanged)
    assert (renamed.actor, renamed.new_nick) == (chat.who("alice"), "alice_")


def test_a_sink_gets_every_event_as_it_is_built() -> None:
    seen: list[Event] = []
    chat = ChatScript(sink=seen.append)
    built = [chat.joined("alice", "#chan"), chat.said("alice", "hi", at=timedelta(hours=1))]
    assert seen == built
