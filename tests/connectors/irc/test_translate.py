"""Unit tests of the pure IRC translation: wire lines, parsed by the real library, to events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import irc.client
import pytest

from assistant.connectors.irc.translate import (
    Context,
    NamesEntry,
    decode_bytes,
    event_time,
    is_netsplit,
    parse_names,
    sanitize,
    split_message,
    strip_formatting,
    translate,
)
from assistant.events import (
    Identity,
    MemberLeft,
    MemberModeChanged,
    MessageReceived,
    PresenceChanged,
    TopicChanged,
)
from assistant.testing.factories import ChatScript

NOW = datetime(2026, 11, 29, 8, 30, tzinfo=UTC)
OWN = "presence"
EXPECT = ChatScript("libera")  # expected events, all at NOW


def parse(line: str, own: str = OWN) -> list[Any]:
    """The library events for one wire line, parsed by the real ``irc`` parser (no socket)."""
    reactor = irc.client.Reactor()
    conn = reactor.server()
    conn.real_nickname, conn.real_server_name, conn.handlers = own, "", {}
    seen: list[Any] = []
    reactor.add_global_handler("all_events", lambda _conn, ev: seen.append(ev))
    conn._process_line(line)
    return [ev for ev in seen if ev.type not in ("all_raw_messages", "ctcp")]


def tr(line: str, *, channels: tuple[str, ...] = (), own: str = OWN) -> list[Any]:
    """Translate every library event of one line."""
    ctx = Context(network="libera", own_nick=own, now=NOW, raw_line=line)
    return [event for ev in parse(line, own) for event in translate(ev, ctx, channels=channels)]


def one(line: str, **kwargs: Any) -> Any:
    events = tr(line, **kwargs)
    assert len(events) == 1, events
    return events[0]


def who(nick: str, userhost: str | None = None, account: str | None = None) -> Identity:
    return Identity(platform="irc", network="libera", nick=nick, account=account, userhost=userhost)


# --- membership -------------------------------------------------------------------------------


def test_join_is_a_member_joined_with_userhost() -> None:
    event = one(":alice!~al@host.example JOIN #blog")
    assert event == EXPECT.joined(who("alice", "~al@host.example"), "#blog", at=NOW)
    assert event.raw["line"] == ":alice!~al@host.example JOIN #blog"
    assert event.raw["type"] == "join"


def test_extended_join_carries_the_account_and_star_means_none() -> None:
    assert one(":alice!a@h JOIN #blog alice_acct :Alice A").actor.account == "alice_acct"
    assert one(":bob!b@h JOIN #blog * :Bob").actor.account is None


def test_own_join_part_quit_and_nick_are_not_events() -> None:
    assert tr(":presence!p@h JOIN #blog") == []
    assert tr(":Presence!p@h PART #blog :bye") == []  # nicks compare case-insensitively
    assert tr(":presence!p@h QUIT :bye", channels=("#blog",)) == []
    assert tr(":presence!p@h NICK :presence2") == []


def test_part_with_and_without_reason() -> None:
    left = one(":bob!b@h PART #blog :see you")
    assert (left.channel, left.kind, left.reason, left.actor.nick) == (
        "#blog",
        "part",
        "see you",
        "bob",
    )
    assert one(":bob!b@h PART #blog").reason == ""


def test_quit_becomes_one_member_left_per_channel_given() -> None:
    events = tr(':carol!c@h QUIT :"gone"', channels=("#a", "#b"))
    assert [(e.channel, e.kind, e.reason) for e in events] == [
        ("#a", "quit", '"gone"'),
        ("#b", "quit", '"gone"'),
    ]
    assert tr(":carol!c@h QUIT :gone") == []  # in no channel we know of


def test_netsplit_quit_is_marked() -> None:
    event = one(":dave!d@h QUIT :hub.example.net leaf.example.net", channels=("#a",))
    assert event.kind == "netsplit"
    assert is_netsplit("irc.a.net irc.b.org")
    assert not is_netsplit("going home now")
    assert not is_netsplit("see irc.a.net")


def test_kick_names_victim_and_kicker() -> None:
    event = one(":alice!a@h KICK #blog bob :spam")
    assert isinstance(event, MemberLeft)
    assert event.kind == "kick"
    assert event.actor == who("bob")
    assert event.by == who("alice", "a@h")
    assert event.reason == "spam"


def test_kick_of_presence_itself_is_reported() -> None:
    assert one(":alice!a@h KICK #blog presence :bye").actor.nick == "presence"


def test_nick_change() -> None:
    assert one(":bob!b@h NICK :bobby") == EXPECT.nick_changed(who("bob", "b@h"), "bobby", at=NOW)


def test_names_reply_lists_everyone_but_presence_as_already_present() -> None:
    events = tr(":irc.test 353 presence = #blog :@presence @+alice bob ~carol")
    assert [(e.actor.nick, e.modes, e.already_present, e.channel) for e in events] == [
        ("alice", "@+", True, "#blog"),
        ("bob", "", True, "#blog"),
        ("carol", "~", True, "#blog"),
    ]


def test_names_with_userhost_in_names() -> None:
    assert parse_names("@alice!a@h bob!~b@host", "@+") == [
        NamesEntry("alice", "@", "a@h"),
        NamesEntry("bob", "", "~b@host"),
    ]


# --- messages ---------------------------------------------------------------------------------


def test_channel_message_strips_formatting_and_keeps_raw_text() -> None:
    line = ":alice!a@h PRIVMSG #blog :\x02bold\x02 \x0304,12red\x03 \x1ditalic\x1d\x0f done"
    event = one(line)
    assert isinstance(event, MessageReceived)
    assert (event.channel, event.kind, event.text) == ("#blog", "message", "bold red italic done")
    assert isinstance(event.raw, dict)
    assert event.raw["arguments"] == ["\x02bold\x02 \x0304,12red\x03 \x1ditalic\x1d\x0f done"]
    assert not event.is_private


def test_action_and_channel_notice() -> None:
    action = one(":alice!a@h PRIVMSG #blog :\x01ACTION waves\x01")
    assert (action.kind, action.text, action.channel) == ("action", "waves", "#blog")
    notice = one(":alice!a@h NOTICE #blog :heads up")
    assert (notice.kind, notice.text, notice.channel) == ("notice", "heads up", "#blog")


def test_private_message_notice_and_action_have_no_channel() -> None:
    assert one(":alice!a@h PRIVMSG presence :psst").channel is None
    assert one(":alice!a@h PRIVMSG presence :psst").is_private
    assert one(":alice!a@h NOTICE presence :note").kind == "notice"
    assert one(":alice!a@h PRIVMSG presence :\x01ACTION pokes\x01").channel is None


def test_statusmsg_to_channel_ops_is_a_channel_message() -> None:
    assert one(":alice!a@h PRIVMSG @#blog :ops only").channel == "#blog"


def test_server_notices_and_own_echo_are_ignored() -> None:
    assert tr(":irc.test NOTICE * :*** Looking up your hostname") == []
    assert tr(":presence!p@h PRIVMSG #blog :my own line (echo-message)") == []


def test_other_ctcp_is_not_a_message() -> None:
    assert tr(":alice!a@h PRIVMSG presence :\x01VERSION\x01") == []


def test_message_tags_server_time_msgid_account_reply() -> None:
    line = (
        "@time=2026-11-25T18:20:18.020Z;msgid=m2;account=alice_acct;+draft/reply=m1 "
        ":alice!a@h PRIVMSG #blog :yes"
    )
    event = one(line)
    assert event.timestamp == datetime(2026, 11, 25, 18, 20, 18, 20000, tzinfo=UTC)
    assert (event.message_id, event.reply_to, event.actor.account) == ("m2", "m1", "alice_acct")


def test_event_time_falls_back_and_normalises_to_utc() -> None:
    assert event_time({}, NOW) == NOW
    assert event_time({"time": "garbage"}, NOW) == NOW
    plus10 = timezone(timedelta(hours=10))
    stamp = event_time({"time": "2026-11-29T19:30:00+10:00"}, NOW)
    assert stamp == datetime(2026, 11, 29, 19, 30, tzinfo=plus10)
    assert stamp.tzinfo == UTC
    assert event_time({"time": "2026-11-29T09:30:00"}, NOW).tzinfo == UTC


def test_latin1_text_arrives_decoded() -> None:
    assert decode_bytes(b"caf\xc3\xa9") == "café"
    assert decode_bytes(b"caf\xe9") == "café"


# --- topic and presence -----------------------------------------------------------------------


def test_topic_set_and_topic_announced_on_join() -> None:
    changed = one(":alice!a@h TOPIC #blog :\x02Sunday\x02 chat")
    assert isinstance(changed, TopicChanged)
    assert (changed.channel, changed.topic, changed.actor.nick) == ("#blog", "Sunday chat", "alice")
    announced = one(":irc.test 332 presence #blog :Sunday chat")
    assert (announced.channel, announced.topic) == ("#blog", "Sunday chat")
    assert announced.actor.nick == "irc.test"  # the server announced it


def test_away_notify_and_back() -> None:
    away = one(":alice!a@h AWAY :lunch")
    assert isinstance(away, PresenceChanged)
    assert (away.status, away.message) == ("away", "lunch")
    assert one(":alice!a@h AWAY").status == "back"


def test_rpl_away_numeric_is_not_presence() -> None:
    assert tr(":irc.test 301 presence alice :lunch") == []


def test_unknown_commands_give_nothing() -> None:
    assert tr(":irc.test 005 presence PREFIX=(ov)@+ :are supported") == []
    assert tr(":alice!a@h MODE #blog +nt") == []  # channel settings, not members


# --- outgoing text ----------------------------------------------------------------------------


def test_sanitize_removes_line_breaks_and_nul() -> None:
    assert sanitize("hi\r\nQUIT :x") == "hi QUIT :x"
    assert sanitize("a\nb\rc\x00d") == "a b cd"
    assert "\r" not in sanitize("\r\r\n\n") and "\n" not in sanitize("\r\r\n\n")


def test_split_message_respects_the_byte_budget_and_characters() -> None:
    text = "é" * 301  # 602 bytes, 2 bytes per character
    parts = split_message(text, 101)
    assert all(len(part.encode()) <= 101 for part in parts)
    assert "".join(parts) == text
    emoji = "😀" * 50  # 4 bytes each
    assert "".join(split_message(emoji, 10)) == emoji
    assert all(len(p.encode()) <= 10 for p in split_message(emoji, 10))


def test_split_message_prefers_spaces() -> None:
    text = " ".join(f"word{i}" for i in range(100))
    parts = split_message(text, 50)
    assert all(len(part.encode()) <= 50 for part in parts)
    assert " ".join(parts) == text
    assert all(not part.startswith(" ") and not part.endswith(" ") for part in parts)


def test_split_message_short_and_empty() -> None:
    assert split_message("hello", 400) == ["hello"]
    assert split_message("", 400) == [""]
    with pytest.raises(ValueError):
        split_message("x", 3)


def test_strip_formatting_codes() -> None:
    assert (
        strip_formatting("\x031red\x03 \x0399x \x04ff0000hex\x04 \x11mono\x1e\x1f")
        == "red x hex mono"
    )


# --- modes, netsplits, knowledge --------------------------------------------------------------


class Known:
    """Knowledge as the connector would have it: bob is logged in and voiced in #blog."""

    def account(self, nick: str) -> str | None:
        return "bobacct" if nick == "bob" else None

    def userhost(self, nick: str) -> str | None:
        return "b@host" if nick == "bob" else None

    def status(self, channel: str, nick: str) -> str:
        return "+" if (channel, nick) == ("#blog", "bob") else ""


def known(line: str, **extra: Any) -> list[Any]:
    ctx = Context(
        network="libera", own_nick=OWN, now=NOW, raw_line=line, knowledge=Known(), **extra
    )
    return [event for ev in parse(line) for event in translate(ev, ctx)]


def test_mode_gives_one_event_per_member_status_change() -> None:
    event = one(":alice!a@h MODE #blog +o bob")
    assert isinstance(event, MemberModeChanged)
    assert (event.channel, event.actor, event.modes, event.status) == (
        "#blog",
        who("bob"),
        "+o",
        "@",
    )
    assert event.by == who("alice", "a@h")
    opped = known(":alice!a@h MODE #blog +o bob")[0]
    assert opped.status == "@+" and opped.actor == who("bob", "b@host", "bobacct")
    assert tr(":alice!a@h MODE #blog +v presence") == []  # our own status is not an event


def test_lines_without_an_account_tag_take_the_known_account() -> None:
    assert known(":bob!b@host PRIVMSG #blog :hi")[0].actor.account == "bobacct"
    assert known("@account=other :bob!b@host PRIVMSG #blog :hi")[0].actor.account == "other"
    kick = known(":alice!a@h KICK #blog bob :out")[0]
    assert kick.actor == who("bob", "b@host", "bobacct")


def test_hidden_server_names_in_a_split_are_still_a_netsplit() -> None:
    assert is_netsplit("*.net *.split")
    assert one(":dave!d@h QUIT :*.net *.split", channels=("#a",)).kind == "netsplit"


def test_a_quit_inside_a_netsplit_batch_is_a_netsplit_whatever_the_reason() -> None:
    line = "@batch=b1 :dave!d@h QUIT :Quit: bye"
    ctx = Context(network="libera", own_nick=OWN, now=NOW, raw_line=line, batch="netsplit")
    (event,) = [e for ev in parse(line) for e in translate(ev, ctx, channels=("#a",))]
    assert event.kind == "netsplit" and event.raw["batch"] == "netsplit"
