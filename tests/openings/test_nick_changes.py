"""A watched member stays watched through a /nick, until they quit and free the nick."""

from __future__ import annotations

from assistant.events import MemberLeft, NickChanged
from tests.openings.conftest import NET, Harness


async def rename(chat: Harness, old: str, new: str, *, at: float) -> None:
    await chat.engine.handle(
        NickChanged(
            platform="irc", network=NET, timestamp=chat.at(at), actor=chat.who(old), new_nick=new
        )
    )


async def quit_(chat: Harness, nick: str, *, at: float) -> None:
    await chat.engine.handle(
        MemberLeft(
            platform="irc",
            network=NET,
            timestamp=chat.at(at),
            channel=None,
            actor=chat.who(nick),
            kind="quit",
            reason="Quit: bye",
        )
    )


async def test_a_watched_member_who_changes_nick_still_brings_openings(chat: Harness) -> None:
    await chat.say("me", "morning all", at=0, thread="t0")
    await rename(chat, "problogger", "problogger_away", at=5)
    await rename(chat, "problogger_away", "pb|mobile", at=10)
    await chat.say("pb|mobile", "me: how do you edit your episodes?", at=20, addressees=("me",))
    [opening] = chat.out.openings
    assert opening.candidate.kind == "addressed_you"
    assert opening.candidate.person.name == "problogger"
    assert opening.candidate.nick == "pb|mobile"  # the nick to answer to


async def test_a_nick_a_watched_member_left_behind_is_not_theirs(chat: Harness) -> None:
    await chat.say("me", "morning all", at=0, thread="t0")
    await rename(chat, "problogger", "problogger_away", at=5)
    await quit_(chat, "problogger_away", at=10)
    # Someone else takes the freed nick: not the watched member.
    await chat.say("problogger_away", "me: how do you edit?", at=20, addressees=("me",))
    assert chat.out.openings == []


async def test_someone_taking_a_watched_nick_is_matched_as_the_watchlist_says(
    chat: Harness,
) -> None:
    # Renaming away from an unwatched nick onto a watched one: the watchlist names the nick.
    await chat.say("me", "morning all", at=0, thread="t0")
    await rename(chat, "bob", "casey", at=5)
    await chat.say("casey", "me: which mic do you use?", at=20, addressees=("me",))
    assert [o.candidate.person.name for o in chat.out.openings] == ["casey"]


async def test_a_line_said_before_a_rename_and_analysed_after_it_is_still_theirs(
    chat: Harness,
) -> None:
    await chat.say("me", "morning all", at=0, thread="t0")
    await rename(chat, "problogger", "problogger_away", at=5)
    # Back to the watched nick before the analysis of the line said as problogger_away.
    await rename(chat, "problogger_away", "problogger", at=30)
    await chat.say("problogger_away", "me: how do you edit?", at=20, addressees=("me",))
    assert [o.candidate.person.name for o in chat.out.openings] == ["problogger"]


async def test_a_quit_under_the_watched_nick_frees_the_nicks_used_before(chat: Harness) -> None:
    await chat.say("me", "morning all", at=0, thread="t0")
    await rename(chat, "problogger", "problogger_away", at=5)
    await rename(chat, "problogger_away", "problogger", at=10)
    await quit_(chat, "problogger", at=15)
    await chat.say("problogger_away", "me: how do you edit?", at=20, addressees=("me",))
    assert chat.out.openings == []
