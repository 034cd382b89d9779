"""Channel rosters: which channels a QUIT fans out to, renames, and NAMES de-duplication."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from irc.client import Event as LibEvent

from assistant.connectors.irc.roster import Rosters
from assistant.events import MemberJoined
from assistant.testing.factories import ChatScript

ME = "presence"


def ev(kind: str, source: str, target: str | None, *args: str) -> LibEvent:
    return LibEvent(kind, source, target, list(args))


def present(channel: str, nick: str) -> MemberJoined:
    return ChatScript("n").joined(
        nick, channel, already_present=True, at=datetime(2026, 1, 1, tzinfo=UTC)
    )


def test_quit_reports_every_channel_the_member_was_in() -> None:
    rosters = Rosters()
    for channel in ("#a", "#b", "#c"):
        rosters.update(ev("join", f"{ME}!p@h", channel), ME)
    rosters.update(ev("join", "alice!a@h", "#a"), ME)
    rosters.update(ev("join", "Alice!a@h", "#b"), ME)  # case-insensitive nicks
    assert rosters.update(ev("quit", "alice!a@h", None, "bye"), ME) == ["#a", "#b"]
    assert rosters.members("#a") == [] and rosters.members("#b") == []


def test_nick_part_kick_and_own_leaving() -> None:
    rosters = Rosters()
    rosters.update(ev("join", f"{ME}!p@h", "#a"), ME)
    rosters.update(ev("join", "bob!b@h", "#a"), ME)
    rosters.update(ev("join", "carol!c@h", "#a"), ME)
    rosters.update(ev("nick", "bob!b@h", "bobby"), ME)
    assert rosters.members("#A") == ["bobby", "carol"]
    rosters.update(ev("part", "bobby!b@h", "#a"), ME)
    rosters.update(ev("kick", "op!o@h", "#a", "carol", "out"), ME)
    assert rosters.members("#a") == []
    rosters.update(ev("kick", "op!o@h", "#a", ME, "you too"), ME)
    assert rosters.channels == []


def test_names_keep_only_new_members_of_joined_channels() -> None:
    rosters = Rosters()
    rosters.update(ev("join", f"{ME}!p@h", "#a"), ME)
    first = rosters.add_present([present("#a", "alice"), present("#zzz", "bob")])
    assert [e.actor.nick for e in first if isinstance(e, MemberJoined)] == ["alice"]
    assert rosters.add_present([present("#a", "ALICE")]) == []  # a repeated NAMES
    rosters.clear()
    assert rosters.channels == [] and rosters.members("#a") == []


def test_statuses_follow_names_modes_and_renames() -> None:
    rosters = Rosters()
    rosters.update(ev("join", f"{ME}!p@h", "#a"), ME)
    rosters.add_present([replace(present("#a", "alice"), modes="@")])
    rosters.set_status("#a", "ALICE", "@+")
    rosters.set_status("#a", "nobody", "@")  # not a member: nothing recorded
    assert rosters.status("#a", "alice") == "@+" and rosters.status("#a", "nobody") == ""
    rosters.update(ev("nick", "alice!a@h", "ally"), ME)
    assert rosters.status("#a", "ally") == "@+" and rosters.status("#a", "alice") == ""
    rosters.update(ev("part", "ally!a@h", "#a"), ME)
    assert rosters.status("#a", "ally") == ""


def test_names_held_for_who_are_released_once() -> None:
    rosters = Rosters()
    rosters.update(ev("join", f"{ME}!p@h", "#a"), ME)
    rosters.expect_who("#a")
    assert rosters.awaiting_who("#a")
    assert rosters.add_present([present("#a", "alice"), present("#a", "bob")]) == []
    assert rosters.members("#a") == ["alice", "bob"]  # members are known at once
    rosters.update(ev("quit", "bob!b@h", None, "bye"), ME)
    released = rosters.release("#a")
    assert [e.actor.nick for e in released] == ["alice"]
    assert rosters.release("#a") == [] and not rosters.awaiting_who("#a")
    assert rosters.release("#never") == []
    assert rosters.everyone() == {"alice"} and rosters.channels_of("ALICE") == ["#a"]
