"""The shipped linker links addressed messages to the addressee and loads only fitting params."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from assistant.nlp.disentangle_format import read_transcript
from assistant.nlp.reply_features import FEATURES, ReplyContext, Utterance, nick_key
from assistant.nlp.reply_linker import DEFAULT_MODEL, LinkerModel, ModelError, ReplyLinker

EXCERPT = Path(__file__).parent / "fixtures" / "2012-03-24.excerpt.raw.txt"


@pytest.fixture(scope="module")
def model() -> LinkerModel:
    return LinkerModel.load()


def test_nick_normalisation() -> None:
    assert {nick_key(n) for n in ("Matt|away", "matt_", "@Matt", "Matt2", "|matt|")} == {"matt"}
    assert nick_key("___") == "___"


def test_addressed_lines_link_to_the_addressee(model: LinkerModel) -> None:
    transcript = read_transcript(EXCERPT)
    linker = ReplyLinker(model)
    replies = [linker.add(u) for u in transcript.utterances]
    # "zykotic10> nancy--: virtualbox-ose is old" answers nancy--'s question (message 7).
    assert replies[10].antecedents == (7,)
    # "zykotic10> nancy--: most likely ..." answers nancy--'s latest line (message 16).
    assert replies[20].antecedents == (16,)
    addressed = [
        i for i, u in enumerate(transcript.utterances) if u.text.startswith(("nancy--:", "twig11:"))
    ]
    for i in addressed:
        (antecedent,) = replies[i].antecedents
        assert nick_key(transcript.utterances[antecedent].author) in {"nancy", "twig"}


def test_a_first_message_starts_a_conversation(model: LinkerModel) -> None:
    reply = ReplyLinker(model).add(Utterance("alice", "hello, anyone here use zfs?"))
    assert reply.starts_conversation
    assert reply.candidates == ((0, 1.0),)


def test_only_earlier_messages_are_candidates() -> None:
    context = ReplyContext(window=3)
    start = datetime(2024, 1, 1, 12, 0)
    for i in range(5):
        ids, rows = context.add(Utterance(f"u{i}", "text", start + timedelta(minutes=i)))
        assert ids == [i, *range(i - 1, max(-1, i - 4), -1)]
        assert rows.shape == (len(ids), len(FEATURES))


def test_missing_or_stale_parameters_are_reported(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not found"):
        LinkerModel.load(tmp_path / "none.json")
    stale = json.loads(DEFAULT_MODEL.read_text(encoding="utf-8"))
    stale["features"] = stale["features"][:-1]
    (tmp_path / "stale.json").write_text(json.dumps(stale), encoding="utf-8")
    with pytest.raises(ModelError, match="other features"):
        LinkerModel.load(tmp_path / "stale.json")


def test_parameters_round_trip(model: LinkerModel, tmp_path: Path) -> None:
    model.save(tmp_path / "linker.json")
    again = LinkerModel.load(tmp_path / "linker.json")
    assert again.window == model.window
    assert again.unanswered == model.unanswered
    assert len(again.scorers) == len(model.scorers)
    for mine, theirs in zip(again.scorers, model.scorers, strict=True):
        assert (mine.hidden_weights == theirs.hidden_weights).all()
