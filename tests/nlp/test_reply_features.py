"""Candidate features the reply linker's choices rest on, checked on small hand-made chats.

Each expected value is worked out by hand from the feature's meaning, so a faster way of computing
the rows cannot quietly change what the trained scorers see.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
import pytest

from assistant.nlp.reply_features import FEATURES, ReplyContext, Utterance

START = datetime(2024, 5, 1, 20, 0)


def feed(
    lines: list[tuple[str, str]], window: int = 100
) -> tuple[list[int], npt.NDArray[np.float32]]:
    """Feed ``(author, text)`` lines a minute apart; return the last line's ids and rows."""
    context = ReplyContext(window=window)
    result: tuple[list[int], npt.NDArray[np.float32]] = ([], np.zeros((0, len(FEATURES))))
    for minute, (author, text) in enumerate(lines):
        result = context.add(Utterance(author, text, START + timedelta(minutes=minute)))
    return result


def column(rows: npt.NDArray[np.float32], name: str) -> list[float]:
    return [float(v) for v in rows[:, FEATURES.index(name)]]


def test_an_answer_to_an_addressed_reply_sees_who_spoke_and_who_named_whom() -> None:
    ids, rows = feed(
        [
            ("alice", "anyone know how to grow a pool?"),
            ("bob", "hello all"),
            ("alice", "or resize it at least"),
            ("carol", "alice: zpool online -e grows it"),
            ("alice", "carol: thanks, that worked"),
        ]
    )
    assert ids == [4, 3, 2, 1, 0]
    # Rows: the message itself, then carol 3, alice 2, bob 1, alice 0.
    assert column(rows, "self") == [1, 0, 0, 0, 0]
    assert column(rows, "same_author") == [0, 0, 1, 0, 1]
    assert column(rows, "cand_latest_of_its_author") == [0, 1, 1, 1, 0]
    assert column(rows, "cand_is_msg_author_previous") == [0, 0, 1, 0, 0]
    # Alice's line 2 lies between the message and bob's or her own first line.
    assert column(rows, "msg_author_spoke_between") == [0, 0, 0, 1, 1]
    assert column(rows, "cand_prefix_names_msg_author") == [0, 1, 0, 0, 0]
    assert column(rows, "cand_mentions_msg_author") == [0, 1, 0, 0, 0]
    assert column(rows, "cand_latest_naming_msg_author") == [0, 1, 0, 0, 0]
    assert column(rows, "msg_prefix_names_cand_author") == [0, 1, 0, 0, 0]
    assert column(rows, "cand_latest_by_msg_addressee") == [0, 1, 0, 0, 0]
    # Carol named alice once in the window; nobody else is part of a pair with alice.
    assert column(rows, "pair_history") == pytest.approx([0, math.log(2), 0, 0, 0])
    assert column(rows, "msg_author_first_in_window") == [0] * 5
    # Alice last spoke two minutes earlier (line 2), the previous line came a minute ago.
    assert column(rows, "msg_log_minutes_since_author") == pytest.approx([math.log(3) / 5] * 5)
    assert column(rows, "msg_log_minutes_since_previous") == pytest.approx([math.log(2) / 5] * 5)


def test_rank_and_activity_count_only_the_window() -> None:
    lines = [("alice", "one"), ("alice", "two"), ("alice", "three"), ("bob", "four")]
    ids, rows = feed([*lines, ("carol", "five")], window=3)
    # Rows: carol itself, then bob 3, alice 2, alice 1; alice's line 0 fell out of the window.
    assert ids == [4, 3, 2, 1]
    rank = [0, 0, 0, math.log(2) / 3]
    assert column(rows, "cand_author_rank") == pytest.approx(rank)
    activity = [0, math.log(2) / 3, math.log(3) / 3, math.log(3) / 3]
    assert column(rows, "cand_author_activity") == pytest.approx(activity)
    assert column(rows, "msg_author_first_in_window") == [1] * 4
    assert column(rows, "msg_author_spoke_between") == [0] * 4


def test_shared_words_raise_the_overlap_of_that_candidate_only() -> None:
    _, rows = feed(
        [
            ("alice", "zfs snapshots rollback"),
            ("bob", "pizza tonight"),
            ("carol", "zfs snapshots vanished"),
        ]
    )
    # Rows: carol itself, bob 1, alice 0. Two words shared out of four distinct ones.
    assert column(rows, "overlap_words") == pytest.approx([0, 0, math.log(3)])
    assert column(rows, "overlap_jaccard") == pytest.approx([0, 0, 0.5])
    # Three messages so far, each shared word in one earlier message: idf log(3 / 2) each.
    assert column(rows, "overlap_idf") == pytest.approx([0, 0, 2 * math.log(1.5) / 10])


def test_a_joined_nick_can_be_addressed_and_its_join_line_is_a_candidate() -> None:
    context = ReplyContext()
    context.add(Utterance("alice", "morning", START))
    context.add(Utterance("dave", "dave [d@example.org] has joined #zfs", None, system=True))
    ids, rows = context.add(Utterance("alice", "dave: welcome!", START + timedelta(minutes=2)))
    # Rows: alice itself, dave's join 1, alice 0.
    assert ids == [2, 1, 0]
    assert column(rows, "cand_system") == [0, 1, 0]
    assert column(rows, "msg_prefix_names_cand_author") == [0, 1, 0]
    assert column(rows, "cand_latest_by_msg_addressee") == [0, 1, 0]
    assert column(rows, "msg_prefix_names_known") == [1, 1, 1]
    # The join has no time of its own, so it counts as said at the last known time.
    assert column(rows, "gap<=3min") == [0, 1, 1]


def test_words_are_still_shared_after_the_tokenizer_is_renewed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The tokenizer shared by every channel keeps each word it saw; in a process that runs
    # for weeks it is replaced when full, and linking goes on as before.
    from assistant.nlp import reply_features

    monkeypatch.setattr(
        reply_features, "_MAX_STRINGS", len(reply_features._tokenizing().vocab.strings) + 20
    )
    before = reply_features._tokenizing()
    lines = [("alice", "which microphone for podcasting?")]
    lines += [(f"user{i}", f"unrelated{i} chatter{i} noise{i}") for i in range(10)]
    lines += [("bob", "alice: a dynamic microphone, for podcasting it is best")]
    _, rows = feed(lines)
    assert reply_features._tokenizing() is not before
    overlap = column(rows, "overlap_words")
    assert overlap[-1] == pytest.approx(math.log1p(2))  # "microphone", "podcasting" with alice
    assert overlap[1:-1] == [0.0] * 10
