"""`analysis_of` turns a processed doc into plain values that outlive the doc's memory zone."""

from __future__ import annotations

import dataclasses

import pytest
from spacy.language import Language

from assistant.events import MessageAnalyzed
from assistant.nlp.analysis import MessageAnalysis, analysis_of
from assistant.nlp.pipeline import load_pipeline, normalize_text

ROSTER = ("dave`", "carol_", "sam__")
CHAT = [
    "hey everyone o/",
    "dave`: anyone know why apt hangs at 'Waiting for cache lock'",
    "carol_: another apt process is running, check with ps aux | grep apt",
    "thanks carol_, that was unattended-upgrades 🙏",
    "I just published my new guide to zram swap https://blog.example.org/zram",
    "@sam__ +1, great write-up",
]


@pytest.fixture(scope="module")
def nlp() -> Language:
    return load_pipeline(roster=ROSTER)


def test_fields_match_the_message_analyzed_event() -> None:
    ours = [f.name for f in dataclasses.fields(MessageAnalysis)]
    event = {f.name for f in dataclasses.fields(MessageAnalyzed)}
    assert set(ours) <= event
    assert ours == ["topics", "is_question", "addressees", "links", "acts"]


def test_analyses_of_a_conversation(nlp: Language) -> None:
    analyses = [analysis_of(doc) for doc in nlp.pipe(normalize_text(line) for line in CHAT)]
    assert analyses[0] == MessageAnalysis(acts=("greeting",))
    assert analyses[1].addressees == ("dave`",)
    assert analyses[1].is_question
    assert "cache lock" in analyses[1].topics
    assert analyses[2].addressees == ("carol_",)
    assert not analyses[2].is_question
    assert analyses[3].acts == ("thanks",)
    assert analyses[3].addressees == ("carol_",)
    assert analyses[4].links == ("https://blog.example.org/zram",)
    assert analyses[4].acts == ("share_own_work",)
    assert "zram swap" in " ".join(analyses[4].topics)
    assert analyses[5].addressees == ("sam__",)
    assert analyses[5].acts == ("agreement",)


def test_values_are_plain_and_survive_the_memory_zone(nlp: Language) -> None:
    with nlp.memory_zone():
        analyses = [analysis_of(doc) for doc in nlp.pipe(CHAT)]
    for analysis in analyses:
        for field in dataclasses.fields(analysis):
            value = getattr(analysis, field.name)
            assert type(value) in (tuple, bool)
            assert all(type(item) is str for item in (value if isinstance(value, tuple) else ()))
    assert analyses[1].addressees == ("dave`",)
    with pytest.raises(dataclasses.FrozenInstanceError):
        analyses[0].is_question = True  # type: ignore[misc]


def test_a_discord_reply_reference_is_the_first_addressee(nlp: Language) -> None:
    doc = nlp("carol_ is right, use zram")
    assert analysis_of(doc, reply_to_author="sam__").addressees == ("sam__", "carol_")
    assert analysis_of(doc, reply_to_author="carol_").addressees == ("carol_",)
    assert analysis_of(doc).addressees == ("carol_",)
