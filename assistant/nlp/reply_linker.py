"""Live reply linking: for each new message, which earlier message it answers, or none.

Small feed-forward scorers rate every candidate from `reply_features` (the message itself,
meaning "starts a new conversation", and up to ``window`` previous messages); their softmaxes
over the candidates are averaged, the best candidate is the antecedent, and a close second is
one too. The parameters are learned by `assistant.nlp.train_linker` and stored as JSON in
``reply_linker.json`` beside this module: package data, so a source checkout and an installed
wheel find the same file (``models/README.md`` gives its provenance and rebuild command).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from assistant.nlp.reply_features import FEATURES, ReplyContext, Utterance

__all__ = [
    "DEFAULT_MODEL",
    "LinkerModel",
    "ModelError",
    "Reply",
    "ReplyLinker",
    "Scorer",
    "Utterance",
    "decide",
]

DEFAULT_MODEL = Path(__file__).resolve().with_name("reply_linker.json")

Array = npt.NDArray[np.float32]


class ModelError(ValueError):
    """The linker's parameter file is missing or does not fit this code's features."""


@dataclass(frozen=True, slots=True)
class Reply:
    """The linker's decision for one message."""

    index: int
    antecedents: tuple[int, ...]
    """Ids of the messages it replies to; its own id alone when it starts a conversation."""
    candidates: tuple[tuple[int, float], ...] = field(default=(), compare=False)
    """The most likely antecedents with their probabilities, best first."""

    @property
    def starts_conversation(self) -> bool:
        """Whether the message replies to nothing earlier."""
        return self.antecedents == (self.index,)


@dataclass(frozen=True, slots=True)
class Scorer:
    """One trained network: a ReLU hidden layer plus a linear skip connection."""

    hidden_weights: Array
    hidden_bias: Array
    output_weights: Array
    linear_weights: Array

    def scores(self, rows: Array) -> Array:
        """Return one unnormalised score per candidate row."""
        hidden = np.maximum(rows @ self.hidden_weights + self.hidden_bias, 0.0)
        out: Array = hidden @ self.output_weights + rows @ self.linear_weights
        return out

    def to_json(self) -> dict[str, Any]:
        """Return the arrays as nested lists, rounded to keep the file small."""
        return {
            name: np.round(getattr(self, name), 5).tolist()
            for name in ("hidden_weights", "hidden_bias", "output_weights", "linear_weights")
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Scorer:
        """Rebuild a scorer from `to_json` output."""

        def array(name: str) -> Array:
            return np.asarray(data[name], dtype=np.float32)

        return cls(
            array("hidden_weights"),
            array("hidden_bias"),
            array("output_weights"),
            array("linear_weights"),
        )


@dataclass(frozen=True, slots=True)
class LinkerModel:
    """Learned parameters: an ensemble of scorers whose softmaxes are averaged."""

    scorers: tuple[Scorer, ...]
    window: int = 100
    second_link_threshold: float = 1.0
    unanswered: dict[str, float] = field(default_factory=dict)
    """Tuned settings of `assistant.nlp.unanswered` (look-ahead, threshold)."""
    provenance: dict[str, Any] = field(default_factory=dict)

    def probabilities(self, rows: Array) -> Array:
        """Return the probability of each candidate row, averaged over the scorers."""
        total = np.zeros(len(rows), dtype=np.float64)
        for scorer in self.scorers:
            scores = scorer.scores(rows)
            weights = np.exp(scores - scores.max())
            total += weights / weights.sum()
        out: Array = (total / len(self.scorers)).astype(np.float32)
        return out

    def to_json(self) -> dict[str, Any]:
        """Return the parameters as plain JSON data."""
        return {
            "format": "presence-reply-linker/1",
            "features": list(FEATURES),
            "window": self.window,
            "second_link_threshold": self.second_link_threshold,
            "unanswered": self.unanswered,
            "provenance": self.provenance,
            "scorers": [scorer.to_json() for scorer in self.scorers],
        }

    def save(self, path: Path) -> None:
        """Write the parameters as JSON."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), separators=(",", ":")) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path | None = None) -> LinkerModel:
        """Read parameters from ``path``, by default the packaged ``reply_linker.json``."""
        path = path or DEFAULT_MODEL
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ModelError(
                f"{path}: reply-linker parameters not found; rebuild them with "
                "`python -m assistant.nlp.train_linker` or pass the file's path"
            ) from None
        except (OSError, ValueError) as exc:
            raise ModelError(f"{path}: unreadable reply-linker parameters: {exc}") from None
        if not isinstance(data, dict) or data.get("features") != list(FEATURES):
            raise ModelError(
                f"{path}: trained for other features than this code computes; rebuild it with "
                "`python -m assistant.nlp.train_linker`"
            )
        try:
            return cls(
                scorers=tuple(Scorer.from_json(s) for s in data["scorers"]),
                window=int(data["window"]),
                second_link_threshold=float(data["second_link_threshold"]),
                unanswered={k: float(v) for k, v in data.get("unanswered", {}).items()},
                provenance=dict(data.get("provenance", {})),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"{path}: malformed reply-linker parameters: {exc!r}") from None


class ReplyLinker:
    """Links each message of one channel, in order, to the earlier message it replies to."""

    def __init__(self, model: LinkerModel | None = None, *, keep: int = 5) -> None:
        self.model = model if model is not None else LinkerModel.load()
        self.context = ReplyContext(window=self.model.window)
        self._keep = keep

    def add(self, utterance: Utterance) -> Reply:
        """Take the next message of the channel and decide what it replies to."""
        ids, rows = self.context.add(utterance)
        return decide(self.model, ids[0], ids, self.model.probabilities(rows), self._keep)

    def remember(self, utterance: Utterance) -> None:
        """Take the next message as context only, without deciding what it replies to."""
        self.context.remember(utterance)


def decide(model: LinkerModel, index: int, ids: list[int], probs: Array, keep: int = 5) -> Reply:
    """Turn candidate probabilities into links: the best, plus a close second."""
    order = np.argsort(-probs, kind="stable")
    best = ids[int(order[0])]
    antecedents = [best]
    if len(order) > 1:
        second = ids[int(order[1])]
        # A second antecedent only among earlier messages: "new conversation" excludes others.
        if index not in (best, second) and probs[order[1]] >= model.second_link_threshold:
            antecedents.append(second)
    top = tuple((ids[int(k)], float(probs[int(k)])) for k in order[:keep])
    return Reply(index, tuple(sorted(antecedents)), top)
