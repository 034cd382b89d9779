"""ISUPPORT features and channel MODE parsing: only member statuses, parameters consumed right."""

from __future__ import annotations

from assistant.connectors.irc.isupport import ServerFeatures
from assistant.connectors.irc.modes import MemberMode, apply_status, member_modes

# InspIRCd's 005 in the test config, and ngircd's.
INSPIRCD = ServerFeatures().updated(
    ["CHANMODES=IXbeg,k,Hfjl,ACKMNOPQRSTcimnprstz", "CHANTYPES=#", "PREFIX=(qaohv)~&@%+", "WHOX"]
)
NGIRCD = ServerFeatures().updated(
    ["CHANTYPES=#&+", "PREFIX=(qaohv)~&@%+", "CHANMODES=beI,k,l,imMnOPQRstVz"]
)


def test_isupport_tokens_are_applied_and_negated() -> None:
    assert INSPIRCD.whox and not NGIRCD.whox
    assert (INSPIRCD.chantypes, INSPIRCD.prefixes, INSPIRCD.prefix_modes) == ("#", "~&@%+", "qaohv")
    assert INSPIRCD.chanmodes == ("IXbeg", "k", "Hfjl", "ACKMNOPQRSTcimnprstz")
    assert INSPIRCD.symbol("o") == "@" and INSPIRCD.symbol("b") is None
    small = ServerFeatures().updated(["PREFIX=(ov)@+", "NETWORK=Libera.Chat"])
    assert (small.prefixes, small.network) == ("@+", "Libera.Chat")
    assert not INSPIRCD.updated(["-WHOX"]).whox
    assert ServerFeatures().updated(["PREFIX=garbage"]).prefixes == "~&@%+"
    assert ServerFeatures().updated(["CHANMODES=b,k"]).chanmodes == ("b", "k", "", "")


def test_member_statuses_are_found_among_other_modes() -> None:
    changes = member_modes(["+ov-v", "alice", "bob", "carol"], NGIRCD)
    assert [(c.change, c.symbol, c.nick) for c in changes] == [
        ("+o", "@", "alice"),
        ("+v", "+", "bob"),
        ("-v", "+", "carol"),
    ]


def test_parameters_of_other_modes_are_skipped() -> None:
    line = ["+bkol-lo+h", "*!*@spam", "sekrit", "alice", "10", "bob", "carol"]
    assert [(c.change, c.nick) for c in member_modes(line, NGIRCD)] == [
        ("+o", "alice"),
        ("-o", "bob"),
        ("+h", "carol"),
    ]


def test_channel_settings_alone_give_nothing() -> None:
    assert member_modes(["+nt"], NGIRCD) == []
    assert member_modes(["+m-i"], INSPIRCD) == []
    assert member_modes([], NGIRCD) == []
    assert member_modes(["+o"], NGIRCD) == []  # a missing parameter: nothing is guessed


def test_status_symbols_stay_in_rank_order() -> None:
    order = "~&@%+"
    assert apply_status("+", MemberMode("+", "o", "@", "a"), order) == "@+"
    assert apply_status("@+", MemberMode("-", "o", "@", "a"), order) == "+"
    assert apply_status("", MemberMode("-", "v", "+", "a"), order) == ""
    assert apply_status("@", MemberMode("+", "o", "@", "a"), order) == "@"
