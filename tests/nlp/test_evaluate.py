"""Scoring counts (message, antecedent) pairs as the corpus's own scorer does."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.nlp.disentangle_format import read_transcript
from assistant.nlp.evaluate import Counts, gold_unanswered, link_pairs, score_replies

EXCERPT = Path(__file__).parent / "fixtures" / "2012-03-24.excerpt.raw.txt"


def test_pairs_include_self_links() -> None:
    assert link_pairs({5: {5}, 7: {5, 6}}) == {(5, 5), (7, 5), (7, 6)}


def test_precision_recall_f1_by_hand() -> None:
    gold = {5: frozenset({5}), 6: frozenset({5}), 7: frozenset({5, 6})}
    predicted = {5: (5,), 6: (4,), 7: (6,), 3: (3,)}  # message 3 is not annotated: not scored
    counts = score_replies(gold, predicted)
    assert counts == Counts(gold=4, predicted=3, matched=2)
    assert counts.precision == pytest.approx(200 / 3)
    assert counts.recall == pytest.approx(50.0)
    assert counts.f1 == pytest.approx(2 * (200 / 3) * 50 / (200 / 3 + 50))


def test_empty_counts_score_zero_and_add_up() -> None:
    assert Counts().f1 == 0.0
    assert Counts(1, 2, 1) + Counts(3, 0, 0) == Counts(4, 2, 1)


def test_gold_unanswered_questions_come_from_other_speakers_links() -> None:
    transcript = read_transcript(EXCERPT)
    unanswered = gold_unanswered(transcript)
    # Message 3 (Helsinkiii's Parole question) gets no reply; 7 (nancy's) is answered by 10.
    assert 3 in unanswered
    assert 7 not in unanswered
    # Only annotated questions before the last 50 annotated messages are scored.
    assert max(unanswered) < transcript.annotated[-50]
