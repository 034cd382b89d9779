"""The policy keeps openings few and welcome: dedupe, cooldown, cap, quiet hours, hold-back."""

from __future__ import annotations

from dataclasses import replace

from assistant.storage.database import Database
from tests.openings.conftest import Harness, build_engine


async def share(chat: Harness, nick: str, at: float, thread: str) -> None:
    await chat.say(nick, f"my new post {thread}", at=at, acts=("share_own_work",), thread=thread)


async def test_the_same_opening_is_sent_once(chat: Harness) -> None:
    await share(chat, "casey", 0, "a")
    opening = chat.out.openings[0]
    await chat.engine._consider([opening.candidate])  # proposed again by a second detector run
    assert len(chat.out.openings) == 1
    assert chat.engine.held[-1][1] == "already told you about this conversation (shared_work)"
    # Without a thread to go by, the policy still knows the line.
    await chat.engine._consider([replace(opening.candidate, thread="")])
    assert len(chat.out.openings) == 1
    assert chat.engine.held[-1][1] == "duplicate"


async def test_a_person_has_a_cooldown(chat: Harness) -> None:
    await share(chat, "casey", 0, "a")
    await share(chat, "casey", 600, "b")  # 10 min later: within the 15 min cooldown
    await share(chat, "casey", 1000, "c")
    assert len(chat.out.openings) == 2
    assert chat.engine.held[0][1] == "cooldown for casey"


async def test_an_hourly_cap(database: Database) -> None:
    engine, out = build_engine(database, {"openings": {"hourly_cap": 2, "cooldown": 0}})
    chat = Harness(database, engine, out)
    for i in range(4):
        await share(chat, "casey", i * 60, f"t{i}")
    await share(chat, "casey", 3700, "later")
    assert len(out.openings) == 3
    assert [reason for _, reason in engine.held] == ["hourly cap of 2 reached"] * 2


async def test_quiet_hours_in_the_owners_time_zone(database: Database) -> None:
    # 09:30 UTC is 19:30 in Sydney: inside 19:00-07:00 there, so nothing is sent.
    engine, out = build_engine(
        database, {"openings": {"quiet_hours": "19:00-07:00", "timezone": "Australia/Sydney"}}
    )
    chat = Harness(database, engine, out)
    await share(chat, "casey", 0, "a")
    assert out.openings == []
    assert engine.held[0][1] == "quiet hours"


async def test_held_back_while_you_are_in_that_conversation(chat: Harness) -> None:
    await chat.say("me", "what do you all use for hosting?", at=0, thread="x")
    await share(chat, "casey", 30, "x")
    assert chat.out.openings == []
    assert chat.engine.held[0][1] == "you are already in that conversation"
    await share(chat, "casey", 60, "elsewhere")
    assert chat.out.kinds == ["shared_work"]


async def test_low_scores_are_not_sent(database: Database) -> None:
    engine, out = build_engine(database, {"openings": {"min_score": 0.95}})
    chat = Harness(database, engine, out)
    await share(chat, "casey", 0, "a")
    assert out.openings == []
    assert engine.held[0][1].startswith("score ")


async def test_each_opening_has_a_score_from_explicit_parts(chat: Harness) -> None:
    await share(chat, "problogger", 0, "a")
    [opening] = chat.out.openings
    parts = opening.parts.as_dict()
    assert set(parts) == {"notability", "relevance", "timeliness", "novelty", "stage"}
    assert parts["notability"] == 1.0  # priority 5
    assert parts["stage"] == 0.6  # a stranger so far
    assert 0 < opening.score <= 1
