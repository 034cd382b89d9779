"""Openings are moments in a conversation: real questions, requests, own work, and near misses.

Lines are analysed by the real spaCy pipeline (the `talk` fixture); reply links and threads
are given, as the reply linker would give them. The lines are invented, modelled on the near
misses a user reported from a project's support channel (the lead developer as the notable):
clarifying questions inside a support exchange, rhetorical questions inside an answer,
statements that only look like questions, interests raised while answering one member,
requests and shares of their own work that were never surfaced.
"""

from __future__ import annotations

import pytest
from spacy.language import Language

from assistant.storage.database import Database
from tests.openings.conftest import Harness, talk_with

# -- questions -------------------------------------------------------------------------


async def test_a_question_to_the_room_left_unanswered_is_an_opening(talk: Harness) -> None:
    await talk.speak(
        "problogger", "does anyone know what happened to the uqm package? it left the archive", at=0
    )
    await talk.wait(until=60)
    assert talk.out.openings == []  # the wait (120 s) has not passed
    await talk.wait(until=150)
    [opening] = talk.out.openings
    assert opening.candidate.kind == "unanswered_question"
    assert "asked the room" in opening.candidate.reason


async def test_a_question_outside_any_exchange_is_meant_for_the_room(talk: Harness) -> None:
    await talk.speak("problogger", "is the OUR chain still running? I thought it was renamed", at=0)
    await talk.wait(until=150)
    assert talk.out.kinds == ["unanswered_question"]
    assert "asked outside any exchange" in talk.out.openings[0].candidate.reason


@pytest.mark.parametrize(
    "question",
    [
        "which version?",  # a fragment asking for a detail
        "what is your wallet address?",  # put to the one person being helped
        "what do you mean by deadlock?",  # a clarification its addressee will answer
        "isn't it a new chain now?",  # an aside expecting a yes
        "it would have installed otherwise, right?",  # a tag wanting a nod
    ],
)
async def test_clarifying_questions_inside_a_support_exchange_are_no_openings(
    talk: Harness, question: str
) -> None:
    asked = await talk.speak("bob", "problogger: my node stopped syncing, help?", at=0)
    await talk.speak("problogger", question, at=20, reply_to=(asked,))
    await talk.wait(until=250)  # past the wait, before a lull (300 s) would count
    assert talk.out.kinds == []


async def test_a_rhetorical_question_inside_the_notables_answer_is_no_opening(
    talk: Harness,
) -> None:
    asked = await talk.speak("bob", "problogger: why can't the swap app support that coin?", at=0)
    await talk.speak(
        "problogger", "bob: it has no time lock in its scripts", at=20, reply_to=(asked,)
    )
    await talk.speak("problogger", "so how could there be support for it?", at=30)
    await talk.wait(until=250)
    assert talk.out.kinds == []


async def test_a_statement_that_starts_like_a_question_is_no_question(talk: Harness) -> None:
    await talk.speak("problogger", "which means normal app developers can build on it", at=0)
    await talk.wait(until=250)
    assert talk.out.kinds == []


async def test_a_room_question_someone_answers_is_no_opening(talk: Harness) -> None:
    await talk.speak("problogger", "how do I properly uninstall the wallet?", at=0)
    await talk.speak("dana", "uninstall it like any other app, your keys stay", at=40)
    await talk.wait(until=400)
    assert talk.out.kinds == []


async def slow_channel_question(talk: Harness) -> None:
    """A line every ten minutes, then problogger's question to the room at 2400 s."""
    for i, who in enumerate(("dana", "bob", "dana", "erin")):
        await talk.speak(who, f"the sync finished after {i + 2} hours here", at=i * 600, thread=who)
    await talk.speak("problogger", "how do I properly uninstall the wallet?", at=2400, thread="q")


async def test_a_slow_channel_gives_an_answer_the_time_it_takes_there(talk: Harness) -> None:
    await slow_channel_question(talk)
    await talk.wait(until=2400 + 300)
    # Five minutes is nothing where lines are ten minutes apart.
    assert "unanswered_question" not in talk.out.kinds
    await talk.speak(
        "dana", "uninstall it like any other app, your keys stay", at=2400 + 420, thread="q"
    )
    await talk.wait(until=2400 + 3600)
    assert "unanswered_question" not in talk.out.kinds


async def test_a_question_in_a_slow_channel_still_surfaces_when_nobody_answers(
    database: Database, pipeline: Language
) -> None:
    talk = talk_with(database, pipeline, {"lull_wait": 7200})  # no lull to tell first
    await slow_channel_question(talk)
    await talk.wait(until=2400 + 1700)
    assert "unanswered_question" not in talk.out.kinds
    await talk.wait(until=2400 + 1900)  # three gaps, at most away_wait (1800 s)
    assert "unanswered_question" in talk.out.kinds


@pytest.mark.parametrize(
    ("bobs_line", "answers"),
    [
        ("problogger: still failing after the restart", False),  # bob's own problem, going on
        ("problogger: gnome-do works much like katapult", True),  # about the same thing
    ],
)
async def test_naming_the_asker_answers_their_room_question_only_about_it(
    talk: Harness, bobs_line: str, answers: bool
) -> None:
    asked = await talk.speak("bob", "problogger: my upload fails with error 413", at=0, thread="b")
    await talk.speak(
        "problogger", "bob: raise the upload limit in nginx", at=20, reply_to=(asked,), thread="b"
    )
    await talk.speak(
        "problogger", "does anyone know a small launcher app for gnome like katapult?", at=60
    )
    await talk.speak("bob", bobs_line, at=90, thread="b")
    await talk.wait(until=300)
    assert ("unanswered_question" not in talk.out.kinds) is answers


@pytest.mark.parametrize(
    ("bobs_line", "answers"),
    [
        ("and here is the screenshot: https://paste.example/shot.png", False),  # asked for
        ("the headset drifts here too, pulseaudio restart fixes it", True),  # takes it up
    ],
)
async def test_coming_back_with_what_the_notable_asked_for_earlier_is_no_answer(
    talk: Harness, bobs_line: str, answers: bool
) -> None:
    """The reply linker ties bob's line to problogger's newest: their question to the room."""
    asked = await talk.speak(
        "bob", "problogger: my partition editor refuses the disk", at=0, thread="b"
    )
    await talk.speak(
        "problogger", "bob: can you post a screenshot of it?", at=20, reply_to=(asked,), thread="b"
    )
    question = await talk.speak(
        "problogger",
        "my headset audio drifts out of sync after a minute, how can I fix it?",
        at=900,
        thread="q",
    )
    await talk.speak("bob", bobs_line, at=930, reply_to=(question,), thread="q")
    await talk.wait(until=1200)
    assert ("unanswered_question" not in talk.out.kinds) is answers


async def test_a_question_to_one_member_about_someone_is_not_put_to_the_room(
    talk: Harness,
) -> None:
    await talk.speak("bob", "I voted with my old address last month, do I get rewards?", at=0)
    await talk.speak("problogger", "oh, you voted for someone that paid out kickbacks?", at=20)
    await talk.wait(until=250)
    assert "unanswered_question" not in talk.out.kinds


async def test_a_line_sharing_only_everyday_words_does_not_answer(talk: Harness) -> None:
    await talk.speak(
        "problogger", "my headset audio drifts out of sync after every minute, any fix?", at=0
    )
    await talk.speak("erin", "after booting I get a blank screen every time", at=30, thread="e")
    await talk.wait(until=200)
    assert talk.out.kinds == ["unanswered_question"]


async def test_the_same_question_asked_again_an_hour_later_is_a_new_opening(
    talk: Harness,
) -> None:
    question = "does anyone know why my headset audio drifts out of sync?"
    await talk.speak("problogger", question, at=0)
    await talk.wait(until=200)
    await talk.speak("problogger", question, at=1200)  # twenty minutes on: told already
    await talk.wait(until=1400)
    assert talk.out.kinds == ["unanswered_question"]
    await talk.speak("problogger", question, at=4000)  # over an hour after it was told
    await talk.wait(until=4200)
    assert talk.out.kinds == ["unanswered_question", "unanswered_question"]


@pytest.mark.parametrize(
    "line",
    [
        "`why did those addresses vanish?` maybe he removed the wallet file",  # quoting
        "is the daemon running?",  # bare, out of the blue: a follow-up to someone's problem
        "why would anybody believe a giveaway like that?",  # rhetorical
        "does nobody keep backups anymore?",  # rhetorical
    ],
)
async def test_questions_nobody_is_meant_to_answer_are_no_openings(
    talk: Harness, line: str
) -> None:
    await talk.speak("problogger", line, at=0)
    await talk.wait(until=250)
    assert "unanswered_question" not in talk.out.kinds


async def test_bot_commands_are_no_openings(talk: Harness) -> None:
    await talk.speak("problogger", "!grub | bob", at=0)
    await talk.speak("problogger", "!sound anyone?", at=10)
    await talk.wait(until=400)
    assert talk.out.kinds == []


# -- interests -------------------------------------------------------------------------


async def test_advice_to_someone_inside_a_busy_thread_is_a_follow_note(talk: Harness) -> None:
    talk.engine.ctx.interests.configured.append("static sites")
    await talk.speak("bob", "my blog is so slow, thinking of moving", at=0)
    await talk.speak("dana", "same, the plugins keep breaking", at=20)
    await talk.speak("problogger", "if you move to static sites your pages load much faster", at=40)
    assert talk.out.kinds == []
    assert [note.candidate.follow_only for note, _ in talk.engine.held] == [True]


async def test_an_interest_raised_in_an_open_discussion_is_an_opening(talk: Harness) -> None:
    talk.engine.ctx.interests.configured.append("static sites")
    await talk.speak("bob", "my blog is so slow, thinking of moving", at=0)
    await talk.speak("dana", "same, the plugins keep breaking", at=20)
    await talk.speak("problogger", "static sites fixed that for me last year", at=40)
    [opening] = talk.out.openings
    assert opening.candidate.kind == "interest"
    assert "3 people talking" in opening.candidate.angle


# -- a question put to the notable, left open ------------------------------------------


async def test_a_notable_who_cannot_answer_leaves_an_opening_to_help_their_member(
    talk: Harness,
) -> None:
    asked = await talk.speak("bob", "problogger: how do I find which process sends packets?", at=0)
    await talk.speak(
        "problogger",
        "bob: not sure, someone else might be able to help?",
        at=30,
        reply_to=(asked,),
    )
    await talk.wait(until=100)
    assert talk.out.openings == []
    await talk.wait(until=200)
    [opening] = talk.out.openings
    assert opening.candidate.kind == "unanswered_question"
    assert opening.candidate.person.name == "problogger"
    assert "could not answer bob's question" in opening.candidate.reason
    assert "sends packets" in opening.candidate.reason


async def test_in_a_slow_channel_a_half_remembered_answer_minutes_later_leaves_an_opening(
    talk: Harness,
) -> None:
    for i, who in enumerate(("dana", "erin", "dana")):  # a line every ten minutes
        await talk.speak(who, f"my refund of {i + 5} coins arrived today", at=i * 600, thread=who)
    await talk.speak(
        "bob",
        "I mistyped my wallet passphrase years ago; does anybody know an app that tries "
        "variations of a passphrase?",
        at=1800,
        thread="b",
    )
    await talk.speak(  # eight minutes on, undirected, in a thread of its own
        "problogger",
        "if you remember most of the passphrase, there is some tool that tries variations, "
        "but I dont remember where I saw it",
        at=1800 + 480,
        thread="p",
    )
    await talk.wait(until=1800 + 480 + 150)
    assert "unanswered_question" in talk.out.kinds
    [opening] = [o for o in talk.out.openings if o.candidate.kind == "unanswered_question"]
    assert "could not answer bob's question" in opening.candidate.reason


async def test_once_someone_else_answers_the_member_it_is_no_opening(talk: Harness) -> None:
    asked = await talk.speak("bob", "problogger: how do I find which process sends packets?", at=0)
    await talk.speak("problogger", "bob: no idea, sorry", at=30, reply_to=(asked,))
    await talk.speak("dana", "bob: try netstat -p as root", at=60)
    await talk.wait(until=300)
    assert talk.out.kinds == []


async def test_not_sure_in_an_argument_is_not_giving_up(talk: Harness) -> None:
    said = await talk.speak("bob", "problogger: 500 lines can't solve oracles", at=0)
    await talk.speak(
        "problogger",
        "bob: not sure why you keep harping on the line count",
        at=30,
        reply_to=(said,),
    )
    await talk.wait(until=300)
    assert talk.out.kinds == []


async def test_a_question_to_the_notable_nobody_answers_while_they_are_away(
    talk: Harness,
) -> None:
    await talk.speak(
        "bob", "hey problogger, my funds moved inside the old wallet, how do I reach them?", at=0
    )
    await talk.wait(until=1700)
    assert talk.out.openings == []  # the notable gets half an hour (away_wait)
    await talk.wait(until=1810)
    [opening] = talk.out.openings
    assert opening.candidate.kind == "unanswered_question"
    assert opening.candidate.person.name == "problogger"
    assert "bob asked problogger" in opening.candidate.reason


async def test_a_question_to_the_notable_that_they_answer_is_theirs(talk: Harness) -> None:
    await talk.speak("bob", "problogger: how do I reach funds in the old wallet?", at=0)
    await talk.speak("problogger", "bob: import the old key in the new wallet", at=120)
    await talk.wait(until=2000)
    assert talk.out.kinds == []


async def test_a_notable_back_and_talking_has_the_question_to_themselves(talk: Harness) -> None:
    await talk.speak("bob", "problogger: how do I reach funds in the old wallet?", at=0)
    await talk.speak("problogger", "dana: the release is out tonight", at=600)
    await talk.wait(until=2000)
    assert "unanswered_question" not in talk.out.kinds


async def test_a_clarifying_question_after_a_members_room_question_is_theirs(
    talk: Harness,
) -> None:
    await talk.speak("bob", "the new wallet is not staking, anyone know why?", at=0)
    await talk.speak("problogger", "which coin is not staking?", at=60, thread="t2")
    await talk.wait(until=250)
    assert "unanswered_question" not in talk.out.kinds


async def test_the_notables_own_problem_right_after_a_members_question_is_theirs_to_ask(
    talk: Harness,
) -> None:
    await talk.speak("bob", "how do I mount a usb stick?", at=0)
    await talk.speak(
        "problogger",
        "my bluetooth headset loses audio sync after a minute, how can I fix it?",
        at=30,
        thread="t2",  # the linker sees no link to bob's question
    )
    await talk.wait(until=250)
    assert "unanswered_question" in talk.out.kinds


async def test_a_member_who_solves_it_themselves_needs_no_help(talk: Harness) -> None:
    await talk.speak(
        "bob", "problogger: how do I claim staking rewards in the desktop wallet?", at=0
    )
    await talk.speak("bob", "nvm, I figured it out in the wallet channel", at=480)
    await talk.wait(until=2000)
    assert talk.out.kinds == []


# -- requests ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "request_line",
    [
        "pull requests with translations are definitely welcome",
        "likely would be a good bounty for anybody that delivers this",
        "plz update the knowledge base page that says rewards need the same address",
        "maybe we can make some page with helpful links for people new to unix",
    ],
)
async def test_a_request_the_owner_could_fulfil_is_an_opening_at_once(
    talk: Harness, request_line: str
) -> None:
    await talk.speak("problogger", request_line, at=0)
    [opening] = talk.out.openings
    assert opening.candidate.kind == "request"
    assert "would welcome help" in opening.candidate.angle


async def test_an_instruction_to_one_member_is_no_request(talk: Harness) -> None:
    await talk.speak("problogger", "bob: please restart the daemon and resend", at=0)
    await talk.wait(until=400)
    assert talk.out.kinds == []


# -- their own work ---------------------------------------------------------------------


async def test_a_share_of_their_own_work_comes_after_time_to_read_it(talk: Harness) -> None:
    await talk.speak(
        "problogger",
        "I just published a post on oracle design: https://pro.example/oracles",
        at=0,
    )
    await talk.wait(until=290)
    assert talk.out.openings == []
    await talk.wait(until=620)
    opening = next(o for o in talk.out.openings if o.candidate.kind == "shared_work")
    assert "https://pro.example/oracles" in opening.candidate.angle
    assert "10 min ago" in opening.candidate.angle


async def test_a_first_person_announcement_without_a_link_is_own_work(talk: Harness) -> None:
    await talk.speak("problogger", "I'm rewriting the API documentation this month", at=0)
    await talk.wait(until=620)
    assert "shared_work" in talk.out.kinds


async def test_a_pointer_to_the_docs_for_whoever_needs_help_is_no_share(talk: Harness) -> None:
    await talk.speak(
        "problogger", "check out https://docs.example if you need help, plenty of examples", at=0
    )
    await talk.wait(until=700)
    assert "shared_work" not in talk.out.kinds


async def test_their_own_thing_linked_in_an_argument_is_a_share(talk: Harness) -> None:
    asked = await talk.speak("bob", "problogger: your oracle design cannot work", at=0)
    await talk.speak(
        "problogger",
        "bob: people who built oracles said good things about my design "
        "https://pro.example/oracle-design",
        at=20,
        reply_to=(asked,),
    )
    await talk.wait(until=700)
    assert "shared_work" in talk.out.kinds


async def test_the_projects_page_linked_to_one_member_is_routine_support(talk: Harness) -> None:
    asked = await talk.speak("bob", "problogger: where is the whitepaper?", at=0)
    await talk.speak(
        "problogger",
        "bob: https://pro.example/whitepaper and the design section of our forum",
        at=20,
        reply_to=(asked,),
    )
    await talk.wait(until=700)
    assert "shared_work" not in talk.out.kinds


async def test_a_guide_linked_to_one_member_is_routine_support(talk: Harness) -> None:
    asked = await talk.speak("bob", "problogger: how do I claim rewards?", at=0)
    await talk.speak(
        "problogger",
        "bob: check out the guide https://docs.example/claim",
        at=20,
        reply_to=(asked,),
    )
    await talk.wait(until=700)
    assert talk.out.kinds == []


# -- one opening per conversation, and volume -------------------------------------------


async def test_one_conversation_gives_one_opening(talk: Harness) -> None:
    await talk.speak("problogger", "pull requests for the Spanish docs are welcome", at=0)
    await talk.speak("problogger", "does anyone here speak Spanish?", at=10)
    await talk.wait(until=200)
    assert talk.out.kinds == ["request"]
    [(held, why)] = talk.engine.held
    assert held.candidate.kind == "unanswered_question"
    assert why == "already told you about this conversation (request)"


async def test_a_busy_channel_gets_one_opening_per_200_lines(
    database: Database, pipeline: Language
) -> None:
    chat = talk_with(
        database, pipeline, {"cooldown": 0, "hourly_cap": 100, "lines_per_opening": 200}
    )
    for i in range(300):  # 300 lines in ten minutes: a busy channel
        await chat.say("bob", f"line {i}", at=i * 2, thread="c")
    await chat.speak("problogger", "pull requests for the docs are welcome", at=600, thread="a")
    await chat.speak("casey", "testers for the beta are welcome", at=601, thread="b")
    assert chat.out.kinds == ["request"]
    assert chat.engine.held[-1][1] == "busy channel: at most one opening per 200 lines"
    for i in range(150):  # 150 lines since the first opening: still too soon
        await chat.say("bob", f"more {i}", at=602 + i, thread="c")
    await chat.speak("casey", "translations are welcome too", at=800, thread="d")
    assert chat.out.kinds == ["request"]
    for i in range(50):  # 200 lines since: room for a second
        await chat.say("bob", f"again {i}", at=801 + i, thread="c")
    await chat.speak("casey", "testers for the new release are welcome", at=900, thread="e")
    assert chat.out.kinds == ["request", "request"]


async def test_a_quiet_channel_keeps_every_opening(database: Database, pipeline: Language) -> None:
    chat = talk_with(
        database, pipeline, {"cooldown": 0, "hourly_cap": 100, "lines_per_opening": 200}
    )
    await chat.speak("problogger", "pull requests for the docs are welcome", at=0, thread="a")
    await chat.speak("casey", "testers for the beta are welcome", at=1, thread="b")
    assert chat.out.kinds == ["request", "request"]


async def test_the_owner_can_lift_the_volume_limit(database: Database, pipeline: Language) -> None:
    chat = talk_with(database, pipeline, {"cooldown": 0, "hourly_cap": 100, "lines_per_opening": 0})
    for i in range(300):
        await chat.say("bob", f"line {i}", at=i * 2, thread="c")
    await chat.speak("problogger", "pull requests for the docs are welcome", at=600, thread="a")
    await chat.speak("casey", "testers for the beta are welcome", at=601, thread="b")
    assert chat.out.kinds == ["request", "request"]
