"""Joins, parts, quits and nick changes become roster changes and the linker's system lines."""

from __future__ import annotations

from datetime import UTC, datetime

from assistant.events import Identity, MemberJoined, MemberLeft, NickChanged
from assistant.nlp.channel_rosters import ChannelRosters, SystemLine

AT = datetime(2024, 1, 7, 8, 30, tzinfo=UTC)


def who(nick: str) -> Identity:
    return Identity("irc", "libera", nick, userhost=f"~{nick}@example.net")


def joined(nick: str, channel: str = "#Bloggers", **extra: bool) -> MemberJoined:
    return MemberJoined(
        platform="irc", network="libera", timestamp=AT, channel=channel, actor=who(nick), **extra
    )


def test_a_join_is_a_roster_change_and_a_line_worded_as_irc_logs_word_it() -> None:
    rosters = ChannelRosters()
    lines = rosters.apply(joined("alice"))
    text = "alice [~alice@example.net]  has joined #Bloggers"
    assert lines == [SystemLine("libera", "#bloggers", "alice", text)]
    assert rosters.take_changes() == (("add", "libera", "#bloggers", ("alice",)),)
    assert rosters.take_changes() == ()


def test_people_already_there_at_our_join_are_roster_only() -> None:
    rosters = ChannelRosters()
    assert rosters.apply(joined("bob", already_present=True)) == []
    assert rosters.everything() == (("reset", "libera", "#bloggers", ("bob",)),)


def test_a_quit_is_a_line_in_every_channel_the_nick_was_in() -> None:
    rosters = ChannelRosters()
    rosters.apply(joined("carol", "#bloggers"))
    rosters.apply(joined("carol", "#python"))
    rosters.apply(joined("dave", "#python"))
    rosters.take_changes()
    quit_event = MemberLeft(
        platform="irc",
        network="libera",
        timestamp=AT,
        channel=None,
        actor=who("carol"),
        kind="quit",
        reason="Ping timeout",
    )
    lines = rosters.apply(quit_event)
    assert sorted((line.channel, line.text) for line in lines) == [
        ("#bloggers", "carol [~carol@example.net]  has left #bloggers [Ping timeout]"),
        ("#python", "carol [~carol@example.net]  has left #python [Ping timeout]"),
    ]
    assert rosters.everything() == (
        ("reset", "libera", "#bloggers", ()),
        ("reset", "libera", "#python", ("dave",)),
    )


def test_a_nick_change_is_a_line_where_the_old_nick_was() -> None:
    rosters = ChannelRosters()
    rosters.apply(joined("erin", "#python"))
    rosters.apply(joined("frank", "#bloggers"))
    rosters.take_changes()
    change = NickChanged(
        platform="irc", network="libera", timestamp=AT, actor=who("erin"), new_nick="erin_away"
    )
    assert rosters.apply(change) == [
        SystemLine("libera", "#python", "erin", "erin is now known as erin_away")
    ]
    assert rosters.take_changes() == (
        ("remove", "libera", "#python", ("erin",)),
        ("add", "libera", "#python", ("erin_away",)),
    )
