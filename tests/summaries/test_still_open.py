"""Still open: only substantive questions nobody answered are listed, a handful per hour.

The chat lines are invented for these tests; rows are shaped as ``read_session`` returns
them, without an analysis (the plain rules apply) unless a test gives one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from assistant.summaries.still_open import asked_questions, is_substantive, still_open

START = datetime(2024, 3, 5, 19, 0, tzinfo=UTC)
NICKS = {1: "alice", 2: "bob", 3: "carol", 4: "scribe"}


def rows(lines: list[tuple[float, int, str]]) -> list[dict[str, Any]]:
    return [
        {
            "at": (START + timedelta(minutes=minute)).timestamp(),
            "person_id": person,
            "nick": NICKS[person],
            "text": text,
            "deleted": 0,
            "key": None,
        }
        for minute, person, text in lines
    ]


def open_texts(lines: list[tuple[float, int, str]], hours: float = 1.0) -> list[str]:
    messages = rows(lines)
    questions = [i for i, m in enumerate(messages) if str(m["text"]).rstrip().endswith("?")]
    asked = asked_questions(messages, questions, set(), frozenset(NICKS))
    return [a.text for a in still_open(asked, frozenset(), hours)]


def test_procedural_questions_clarifications_and_fragments_are_not_listed() -> None:
    for text in (
        "q?",
        "#903 next?",
        "and move on to the next topic?",
        "what do you mean separate?",
        "any other questions?",
        "which version?",
        "isn't it a new chain, right?",
        "can someone share the sip web client url?",  # the call's own mechanics
        "will we have the storage discussion on today's call?",
        "did I cover everything you wanted me to cover?",
        "whats going on here?",
        "we can have that debate (again?) later",  # the only "?" is in an aside
    ):
        assert not is_substantive(text), text
    assert is_substantive("how do we rotate the signing keys of the registry?")


def test_a_greeting_before_a_real_question_does_not_hide_it() -> None:
    asked = "evening all! what's the best budget mic for recording podcast interviews?"
    assert is_substantive(asked, {"greeting"})
    assert not is_substantive("hi all, anyone around?", {"greeting"})
    assert not is_substantive("thanks! any more?", {"thanks"})


def test_an_unanswered_substantive_question_is_listed() -> None:
    lines = [
        (0, 1, "how do we rotate the signing keys of the registry?"),
        (1, 2, "the weather is lovely today"),
        (2, 3, "my cat sat on the keyboard"),
    ]
    assert open_texts(lines) == ["how do we rotate the signing keys of the registry?"]


def test_a_question_answered_by_the_next_speaker_on_its_subject_is_not_listed() -> None:
    lines = [
        (0, 1, "how do we rotate the signing keys of the registry?"),
        (1, 2, "the registry keys rotate every year with a new signing ceremony"),
    ]
    assert open_texts(lines) == []


def test_in_a_scribed_meeting_the_next_speaker_answers() -> None:
    lines = [
        (0, 4, "Scribe: scribe"),
        (1, 4, "alice: where should the setup instructions live?"),
        (2, 4, "bob: on our repo, ultimately"),
    ]
    assert open_texts(lines) == []


def test_addressing_the_asker_answers_them() -> None:
    lines = [
        (0, 1, "how do we rotate the signing keys of the registry?"),
        (5, 2, "alice: ask the operators, they know"),
    ]
    assert open_texts(lines) == []


def test_at_most_a_handful_per_hour_listed() -> None:
    lines = [
        (minute * 10, 1 + minute % 3, f"how would project number {minute} ship its release notes?")
        for minute in range(6)
    ]
    lines += [(minute * 10 + 5, 1 + minute % 3, "the cat sat down") for minute in range(6)]
    lines.sort()
    assert len(open_texts(lines, hours=1.0)) == 5


def test_a_reply_in_its_thread_answers_it_whatever_its_words() -> None:
    messages = rows(
        [
            (0, 1, "what's this about italian prices?"),
            (0.2, 2, "oh it's prezi, the slides tool"),
            (0.4, 3, "my cat sat on the keyboard"),
        ]
    )
    messages[0]["key"], messages[1]["key"] = "k1", "k2"
    messages[1]["reply_to"] = '["k1"]'
    asked = asked_questions(messages, [0], set(), frozenset(NICKS))
    assert [a.answered for a in asked] == [True]
    messages[1]["reply_to"] = "[]"  # no link, no shared word: nothing says it answers
    asked = asked_questions(messages, [0], set(), frozenset(NICKS))
    assert [a.answered for a in asked] == [False]


def test_a_yes_or_no_or_good_question_takes_it_up() -> None:
    for reply in ("yes in 25519 but it is a challenge", "good question, the verifier does"):
        lines = [(0, 1, "is the new signature suite secure?"), (0.5, 2, reply)]
        assert open_texts(lines) == [], reply


def test_the_asker_thanking_after_an_answer_closes_it() -> None:
    lines = [
        (0, 1, "i'm not sure what the issue is with this diagram, any insight?"),
        (0.5, 2, "rene was asking for feedback on the layering"),
        (1, 1, "ah i see, thanks all"),
    ]
    assert open_texts(lines) == []
    # Thanks later in the talk, after the asker moved on, are for something else.
    moved_on = [*lines[:2], (1, 1, "here is my new post on layering"), (2, 1, "thanks bob")]
    assert open_texts(moved_on) == [lines[0][2]]


def test_a_question_repeated_word_for_word_is_listed_once_and_closed_by_a_later_answer() -> None:
    question = "how do we rotate the signing keys of the registry?"
    unanswered = [
        (0, 1, question),
        (1, 2, "the weather is lovely today"),
        (60, 1, "How do we rotate the signing keys  of the registry?"),
        (61, 3, "my cat sat on the keyboard"),
    ]
    assert open_texts(unanswered, hours=2) == [
        "How do we rotate the signing keys  of the registry?"
    ]
    answered_later = [
        *unanswered[:3],
        (61, 2, "alice: rotate the registry signing keys with the admin tool, it re-signs them"),
    ]
    assert open_texts(answered_later, hours=2) == []
