"""The connection's knowledge, line by line: rosters completed by WHO, accounts, modes, batches.

Lines are the ones InspIRCd 3 and ngircd sent in the recorded runs (trimmed of the ``time``
tag where it does not matter), parsed by the real library. InspIRCd 3 sends no ``netsplit``
batches (a split of its services arrived as a plain QUIT with both server names), so the batch
lines follow the IRCv3 netsplit/netjoin specification instead.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import irc.client

from assistant.connectors.irc.state import IrcState, Reply
from assistant.events import (
    Event,
    MemberJoined,
    MemberLeft,
    MemberModeChanged,
    MessageReceived,
    PresenceChanged,
)

NOW = datetime(2026, 11, 25, 20, 7, tzinfo=UTC)
ME = "watcher"
IRCV3 = frozenset(
    {"account-notify", "account-tag", "away-notify", "batch", "extended-join", "server-time"}
)
INSPIRCD_005 = (
    ":irc.test.local 005 watcher CHANMODES=IXbeg,k,Hfjl,ACKMNOPQRSTcimnprstz CHANTYPES=# "
    "PREFIX=(qaohv)~&@%+ WHOX :are supported by this server"
)


def feed(state: IrcState, *lines: str) -> list[Event]:
    """Every Presence event the state makes of ``lines``, parsed by the real library."""
    reactor = irc.client.Reactor()
    conn = reactor.server()
    conn.real_nickname, conn.real_server_name, conn.handlers = state.nick, "", {}
    seen: list[Any] = []
    reactor.add_global_handler("all_events", lambda _conn, ev: seen.append(ev))
    out: list[Event] = []
    for line in lines:
        seen.clear()
        conn._process_line(line)
        state.raw_line = line
        for ev in seen:
            if ev.type != "all_raw_messages":  # the connector never passes these on
                out.extend(state.handle(ev, NOW))
    return out


def joined_inspircd(acked: frozenset[str] = IRCV3) -> IrcState:
    """A state registered on InspIRCd and in #x with bob (logged in as bob) and carol (away)."""
    state = IrcState("testnet", ME, version="Presence test")
    state.reset(ME, acked)
    events = feed(
        state,
        INSPIRCD_005,
        "@account=acct1 :watcher!w@127.0.0.1 JOIN #x acct1 :w",
        ":irc.test.local 353 watcher = #x :@watcher!w@127.0.0.1 +bob!bob@127.0.0.1 carol!c@h",
        ":irc.test.local 366 watcher #x :End of /NAMES list.",
    )
    assert events == []  # held until the WHO reply completes them
    assert state.replies == [Reply("WHO #x %tcuhnfa,152")]
    state.replies.clear()
    events = feed(
        state,
        ":irc.test.local 354 watcher 152 #x w 127.0.0.1 watcher H@ :acct1",
        ":irc.test.local 354 watcher 152 #x bob 127.0.0.1 bob H+ :bob",
        ":irc.test.local 354 watcher 152 #x c h carol G :0",
        ":irc.test.local 315 watcher #x :End of /WHO list.",
    )
    bob, carol, away = events
    assert isinstance(bob, MemberJoined) and isinstance(carol, MemberJoined)
    assert (bob.actor.nick, bob.actor.account, bob.actor.userhost) == (
        "bob",
        "bob",
        "bob@127.0.0.1",
    )
    assert (bob.modes, bob.already_present) == ("+", True)
    assert (carol.actor.account, carol.actor.userhost) == (None, "c@h")
    assert isinstance(away, PresenceChanged) and (away.actor.nick, away.status) == ("carol", "away")
    return state


def said(events: list[Event]) -> MessageReceived:
    (event,) = events
    assert isinstance(event, MessageReceived)
    return event


def test_members_present_are_reported_once_complete_after_who() -> None:
    state = joined_inspircd()
    assert state.rosters.members("#x") == ["bob", "carol"]
    assert state.status("#x", "bob") == "+"
    # A second WHO end (someone else's WHO) reports nobody again.
    assert feed(state, ":irc.test.local 315 watcher #x :End of /WHO list.") == []


def test_a_member_who_left_before_the_who_ended_is_not_reported() -> None:
    state = IrcState("testnet", ME, version="v")
    state.reset(ME, IRCV3)
    events = feed(
        state,
        ":watcher!w@h JOIN #x * :w",
        ":irc.test.local 353 watcher = #x :@watcher alice dave",
        ":alice!a@h PART #x :bye",
        ":dave!d@h NICK :david",
        ":irc.test.local 315 watcher #x :End of /WHO list.",
    )
    assert [(type(e).__name__, e.actor.nick) for e in events if hasattr(e, "actor")] == [
        ("MemberLeft", "alice"),
        ("NickChanged", "dave"),
        ("MemberJoined", "david"),
    ]
    assert state.replies == [Reply("WHO #x")]  # no WHOX announced: plain WHO


def test_account_tag_is_authoritative_on_every_line() -> None:
    state = joined_inspircd()
    tagged = said(feed(state, "@account=bob :bob!bob@127.0.0.1 PRIVMSG #x :hi"))
    assert tagged.actor.account == "bob"
    # With account-tag, a line without the tag means logged out, whatever was known before.
    untagged = said(feed(state, ":bob!bob@127.0.0.1 PRIVMSG #x :logged out now"))
    assert untagged.actor.account is None and state.account("bob") is None


def test_account_notify_fills_lines_that_carry_no_tag() -> None:
    state = joined_inspircd(IRCV3 - {"account-tag"})
    assert said(feed(state, ":carol!c@h PRIVMSG #x :hello")).actor.account is None
    feed(state, ":carol!c@h ACCOUNT :carolacct")
    assert said(feed(state, ":carol!c@h PRIVMSG #x :now?")).actor.account == "carolacct"
    assert said(feed(state, ":carol!c@h NOTICE watcher :private")).actor.account == "carolacct"
    feed(state, ":carol!c@h ACCOUNT :*")
    assert said(feed(state, ":carol!c@h PRIVMSG #x :out")).actor.account is None


def test_an_impostor_taking_the_owners_nick_gets_no_account() -> None:
    state = joined_inspircd(IRCV3 - {"account-tag"})
    feed(state, ":bob!bob@127.0.0.1 QUIT :Quit: bye")
    assert state.account("bob") is None
    # Someone else takes the nick: a private line from outside our channels is a stranger's.
    assert said(feed(state, ":bob!evil@elsewhere PRIVMSG watcher :!secret")).actor.account is None
    (join,) = feed(state, ":bob!evil@elsewhere JOIN #x * :Bob")
    assert isinstance(join, MemberJoined) and join.actor.account is None
    assert said(feed(state, ":bob!evil@elsewhere PRIVMSG #x :!secret")).actor.account is None


def test_knowledge_follows_nick_changes_and_ends_when_out_of_sight() -> None:
    state = joined_inspircd(IRCV3 - {"account-tag"})
    feed(state, ":bob!bob@127.0.0.1 NICK :bobby")
    assert state.account("bobby") == "bob" and state.account("bob") is None
    assert state.status("#x", "bobby") == "+"
    (left,) = feed(state, ":bobby!bob@127.0.0.1 PART #x")
    assert isinstance(left, MemberLeft) and left.actor.account == "bob"
    assert state.account("bobby") is None  # no longer sharing a channel


def test_mode_changes_carry_the_status_after_them() -> None:
    state = joined_inspircd()
    events = feed(state, "@account=acct1 :watcher!w@127.0.0.1 MODE #x +o-v+v bob bob carol")
    changes = [
        (e.actor.nick, e.modes, e.status) for e in events if isinstance(e, MemberModeChanged)
    ]
    assert changes == [("bob", "+o", "@+"), ("bob", "-v", "@"), ("carol", "+v", "+")]
    assert all(isinstance(e, MemberModeChanged) and e.by is not None for e in events)
    assert state.status("#x", "bob") == "@" and state.status("#x", "carol") == "+"
    (by_server,) = feed(state, ":services.test.local MODE #x +o :carol")
    assert isinstance(by_server, MemberModeChanged) and by_server.by is None
    assert by_server.status == "@+"
    assert feed(state, ":bob!bob@127.0.0.1 MODE #x +nt") == []


def test_a_netsplit_batch_is_one_member_left_per_member_per_channel() -> None:
    state = joined_inspircd()
    feed(state, ":bob!bob@127.0.0.1 JOIN #y bob :bob", ":watcher!w@127.0.0.1 JOIN #y * :w")
    feed(state, ":irc.test.local 353 watcher = #y :watcher bob")
    events = feed(
        state,
        ":irc.test.local BATCH +yXNAbvnRHTRBv netsplit irc.hub.net irc.leaf.net",
        "@batch=yXNAbvnRHTRBv :bob!bob@127.0.0.1 QUIT :Quit: gone",
        "@batch=yXNAbvnRHTRBv :carol!c@h QUIT :irc.hub.net irc.leaf.net",
        ":irc.test.local BATCH -yXNAbvnRHTRBv",
    )
    assert sorted(
        (e.actor.nick, e.channel, e.kind) for e in events if isinstance(e, MemberLeft)
    ) == [
        ("bob", "#x", "netsplit"),
        ("bob", "#y", "netsplit"),
        ("carol", "#x", "netsplit"),
    ]
    assert all(isinstance(e.raw, dict) and e.raw["batch"] == "netsplit" for e in events)
    # After the batch ends, the same reason without a batch is an ordinary quit.
    feed(state, ":dave!d@h JOIN #x * :d")
    (quit,) = feed(state, ":dave!d@h QUIT :Quit: gone")
    assert isinstance(quit, MemberLeft) and quit.kind == "quit"


def test_a_netjoin_batch_brings_members_back() -> None:
    state = joined_inspircd()
    events = feed(
        state,
        ":irc.test.local BATCH +j1 netjoin irc.hub.net irc.leaf.net",
        "@batch=j1;account=erin :erin!e@leaf JOIN #x erin :Erin",
        ":irc.test.local BATCH -j1",
    )
    (back,) = events
    assert isinstance(back, MemberJoined) and back.actor.account == "erin"
    assert isinstance(back.raw, dict) and back.raw["batch"] == "netjoin"


def test_the_split_inspircd_sends_without_a_batch_is_recognised() -> None:
    state = joined_inspircd()
    feed(
        state,
        "@inspircd.org/service :ChanServ!ChanServ@services.int JOIN #x * :Channel Services",
    )
    (split,) = feed(
        state,
        "@time=2026-11-25T20:07:05.015Z;inspircd.org/service "
        ":ChanServ!ChanServ@services.int QUIT :irc.test.local services.test.local",
    )
    assert isinstance(split, MemberLeft) and split.kind == "netsplit"
    assert split.timestamp == datetime(2026, 11, 25, 20, 7, 5, 15000, tzinfo=UTC)


def test_ctcp_version_and_ping_are_courtesy_replies() -> None:
    state = joined_inspircd()
    feed(
        state,
        ":bob!b@h PRIVMSG watcher :\x01VERSION\x01",
        ":bob!b@h PRIVMSG watcher :\x01PING 42\x01",
    )
    feed(state, ":bob!b@h PRIVMSG watcher :\x01FINGER\x01")
    assert state.replies == [
        Reply("NOTICE bob :\x01VERSION Presence test\x01", courtesy=True),
        Reply("NOTICE bob :\x01PING 42\x01", courtesy=True),
    ]


def test_being_kicked_forgets_those_no_longer_in_sight() -> None:
    state = joined_inspircd()
    (kicked,) = feed(state, ":bob!bob@127.0.0.1 KICK #x watcher :out")
    assert isinstance(kicked, MemberLeft) and kicked.actor.nick == ME
    assert state.rosters.channels == [] and state.account("bob") is None


def test_a_refused_who_releases_the_roster_anyway() -> None:
    state = IrcState("testnet", ME, version="v")
    state.reset(ME, IRCV3)
    feed(state, ":watcher!w@h JOIN #x * :w", ":irc.test.local 353 watcher = #x :@watcher alice")
    (alice,) = feed(state, ":irc.test.local 263 watcher WHO :Server load is too heavy")
    assert isinstance(alice, MemberJoined) and alice.actor.nick == "alice"
    assert not state.rosters.awaiting_who("#x")
