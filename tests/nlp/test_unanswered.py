"""A question is open until another speaker's message links to it within the look-ahead."""

from __future__ import annotations

import pytest

from assistant.nlp.reply_features import Utterance
from assistant.nlp.reply_linker import Reply
from assistant.nlp.unanswered import UnansweredDetector, is_question


def _reply(index: int, *candidates: tuple[int, float]) -> Reply:
    best = candidates[0][0] if candidates else index
    return Reply(index, (best,), candidates or ((index, 1.0),))


CHAT = [
    (Utterance("alice", "how do I mount a usb stick?"), _reply(0)),
    (Utterance("bob", "anyone tried 24.04 yet?"), _reply(1)),
    (Utterance("carol", "alice: use udisksctl mount"), _reply(2, (0, 0.9), (2, 0.1))),
    (Utterance("bob", "hello? anyone?"), _reply(3, (1, 0.8), (3, 0.2))),  # himself: not an answer
    (Utterance("dave", "is it windy today?"), _reply(4)),
    (Utterance("=== eve", "eve has joined?", system=True), _reply(5, (4, 0.9))),
    (Utterance("frank", "maybe"), _reply(6, (4, 0.3), (6, 0.7))),
]


def test_is_question() -> None:
    assert is_question(Utterance("a", "why?"))
    assert not is_question(Utterance("a", "why"))
    assert not is_question(Utterance("a", "joined?", system=True))


def test_answered_and_unanswered_questions() -> None:
    detector = UnansweredDetector(lookahead=3, threshold=0.5)
    verdicts = []
    for utterance, reply in CHAT:
        verdicts += detector.add(utterance, reply)
    verdicts += detector.finish()
    by_index = {v.index: v for v in verdicts}
    assert set(by_index) == {0, 1, 3, 4}
    assert not by_index[0].unanswered
    assert by_index[0].answered == pytest.approx(0.9)
    assert by_index[1].unanswered  # only its asker followed it up
    assert by_index[4].unanswered  # a system line and a weak link (0.3) do not answer it
    assert by_index[4].answered == pytest.approx(0.3)


def test_verdicts_wait_for_the_look_ahead() -> None:
    detector = UnansweredDetector(lookahead=2, threshold=0.5)
    assert detector.add(*CHAT[0]) == []
    assert detector.add(*CHAT[1]) == []
    decided = detector.add(*CHAT[2])
    assert [v.index for v in decided] == [0]
    assert not decided[0].unanswered


def test_answers_after_the_look_ahead_come_too_late() -> None:
    detector = UnansweredDetector(lookahead=1, threshold=0.5)
    detector.add(*CHAT[0])
    (verdict,) = detector.add(*CHAT[1])
    assert verdict.index == 0 and verdict.unanswered
