"""Each detector proposes the opening an owner would want, and stays quiet otherwise."""

from __future__ import annotations

from assistant.storage.database import Database
from tests.openings.conftest import Harness, build_engine


async def test_an_unanswered_question_waits_then_suggests_an_angle_from_your_interests(
    chat: Harness,
) -> None:
    await chat.say("me", "morning all", at=0, thread="t0")
    await chat.say(
        "problogger",
        "anyone interviewing over Skype? what set-up do you use for podcasting?",
        at=10,
        question=True,
        acts=("asks_room",),
        topics=("Skype", "podcasting"),
    )
    await chat.wait(until=60)
    assert chat.out.openings == []  # the wait (120 s) has not passed
    await chat.say("bob", "lunch time", at=100, thread="t2")
    await chat.wait(until=200)
    [opening] = chat.out.openings
    assert opening.candidate.kind == "unanswered_question"
    assert opening.candidate.person.name == "problogger"
    angle = opening.candidate.angle
    assert "problogger asked" in angle and "3 min ago, no answer yet" in angle
    assert "you listed podcasting" in angle


async def test_an_answered_question_is_no_opening(chat: Harness) -> None:
    key = await chat.say("problogger", "how do I record a call?", at=0, question=True)
    await chat.say("bob", "use audacity", at=30, reply_to=(key,))
    await chat.wait(until=300)
    assert "unanswered_question" not in chat.out.kinds


async def test_a_question_answered_by_addressing_its_author_is_no_opening(chat: Harness) -> None:
    await chat.say("problogger", "how do I record a call?", at=0, question=True)
    await chat.say("bob", "problogger: audacity", at=30, addressees=("problogger",))
    await chat.wait(until=300)
    assert chat.out.kinds == []


async def open_discussion(chat: Harness, thread: str = "t1") -> None:
    """Two members talking in ``thread``: a notable joining it makes three."""
    await chat.say("bob", "how do you all find guests?", at=0, question=True, thread=thread)
    await chat.say("dana", "bob: cold emails mostly", at=20, addressees=("bob",), thread=thread)


async def test_a_notable_member_raising_your_interest_in_an_open_discussion(
    chat: Harness,
) -> None:
    await open_discussion(chat)
    await chat.say("problogger", "I started podcasting last month", at=40, topics=("podcasting",))
    [opening] = chat.out.openings
    assert opening.candidate.kind == "interest"
    assert "you listed podcasting" in opening.candidate.angle
    assert "3 people talking" in opening.candidate.angle


async def test_interests_are_matched_on_the_words_of_topics_not_exact_strings(
    chat: Harness,
) -> None:
    await open_discussion(chat)
    await chat.say(
        "problogger", "my skype interviews keep dropping", at=40, topics=("skype interviews",)
    )
    assert chat.out.kinds == ["interest"]


async def test_an_interest_word_used_as_a_verb_is_no_interest(chat: Harness) -> None:
    await open_discussion(chat)
    # "podcast" as a verb is no noun phrase: the analyzer gives no such topic.
    await chat.say("problogger", "we podcast on fridays, sounds good", at=40, topics=("friday",))
    assert chat.out.kinds == []


async def test_an_interest_inside_a_one_to_one_answer_is_a_held_follow_note(
    chat: Harness,
) -> None:
    asked = await chat.say("bob", "problogger: which mic for podcasting?", at=0, question=True)
    await chat.say(
        "problogger",
        "bob: for podcasting a dynamic mic, the room matters less",
        at=20,
        addressees=("bob",),
        reply_to=(asked,),
        topics=("podcasting", "dynamic mic"),
    )
    assert chat.out.kinds == []
    [(note, why)] = chat.engine.held
    assert note.candidate.kind == "interest" and note.candidate.follow_only
    assert why.startswith("follow this thread")
    assert "follow this thread" in note.candidate.angle


async def test_follow_notes_are_sent_when_the_owner_wants_them(database: Database) -> None:
    engine, out = build_engine(database, {"openings": {"follow_notes": True}})
    chat = Harness(database, engine, out)
    await chat.say(
        "problogger",
        "bob: for podcasting a dynamic mic, the room matters less",
        at=20,
        addressees=("bob",),
        topics=("podcasting",),
    )
    [note] = out.openings
    assert note.candidate.follow_only and "follow this thread" in note.candidate.angle


async def test_an_ordinary_member_raising_your_interest_is_no_opening(chat: Harness) -> None:
    await chat.say("bob", "I love podcasting", at=0, topics=("podcasting",))
    assert chat.out.kinds == []


async def test_topics_you_keep_talking_about_become_interests(chat: Harness) -> None:
    await chat.say("me", "my newsletter grew this week", at=0, topics=("newsletter",))
    await chat.say("me", "newsletter tools are great", at=10, topics=("newsletter",))
    await open_discussion(chat, thread="t5")
    await chat.say("casey", "thinking of a newsletter", at=30, topics=("newsletter",), thread="t5")
    [opening] = chat.out.openings
    assert opening.candidate.kind == "interest"
    assert "you often talk about newsletter" in opening.candidate.angle


async def test_sharing_their_own_work(chat: Harness) -> None:
    await chat.say(
        "casey",
        "I wrote a post about SEO https://casey.example/seo",
        at=0,
        acts=("share_own_work",),
        links=("https://casey.example/seo",),
    )
    [opening] = chat.out.openings
    assert opening.candidate.kind == "shared_work"
    assert "https://casey.example/seo" in opening.candidate.angle


async def test_being_addressed_or_replied_to_by_a_notable_member(chat: Harness) -> None:
    mine = await chat.say("me", "I use a Zoom H5", at=0, thread="t9")
    await chat.say("problogger", "me: nice, which mic?", at=5, addressees=("me",), thread="t8")
    await chat.say(
        "casey", "same here, the H5 is great for interviews", at=400, reply_to=(mine,), thread="t7"
    )
    kinds = chat.out.kinds
    assert kinds == ["addressed_you", "addressed_you"]
    assert "answer promptly" in chat.out.openings[0].candidate.angle


async def test_a_bare_acknowledgement_or_nudge_is_no_opening(chat: Harness) -> None:
    mine = await chat.say("me", "I use a Zoom H5", at=0, thread="t9")
    await chat.say("casey", "alright", at=400, reply_to=(mine,), thread="t7")
    await chat.say("problogger", "me, ?", at=410, addressees=("me",), thread="t7")
    assert chat.out.kinds == []


async def test_a_question_put_to_someone_else_is_theirs_to_answer(chat: Harness) -> None:
    await chat.say("problogger", "bob: did it work?", at=0, question=True, addressees=("bob",))
    await chat.wait(until=300)
    assert chat.out.kinds == []


async def test_an_arrival_counts_only_while_you_are_there(chat: Harness) -> None:
    await chat.join("problogger", at=0)
    assert chat.out.kinds == []
    await chat.join("me", at=10)
    await chat.join("casey", at=20)
    [opening] = chat.out.openings
    assert opening.candidate.kind == "arrival" and opening.candidate.person.name == "casey"


async def test_a_lull_after_a_notable_line_in_a_quiet_channel(chat: Harness) -> None:
    await chat.say("casey", "I think long-form posts still win on search", at=0)
    await chat.wait(until=200)
    assert "lull" not in chat.out.kinds
    await chat.wait(until=320)
    assert "lull" in chat.out.kinds


async def test_no_lull_when_someone_else_spoke(chat: Harness) -> None:
    await chat.say("casey", "I think long-form posts still win on search", at=0)
    await chat.say("bob", "agreed", at=60, thread="t2")
    await chat.wait(until=600)
    assert "lull" not in chat.out.kinds
