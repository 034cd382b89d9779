"""Decide, from the reply linker's decisions, which questions nobody else answered.

A question stays open for a bounded look-ahead of later messages. Each later message by
another speaker adds evidence that it answers the question: the probability the linker gave
to that question as its antecedent. When the look-ahead ends, the question is called
unanswered if the chance that at least one of those messages answered it stays below a
threshold. Both settings are tuned on the training split with the linker
(`assistant.nlp.train_linker`) and stored beside its parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from assistant.nlp.reply_features import Utterance, nick_key
from assistant.nlp.reply_linker import Reply

__all__ = ["DEFAULT_LOOKAHEAD", "DEFAULT_THRESHOLD", "UnansweredDetector", "Verdict", "is_question"]

DEFAULT_LOOKAHEAD = 40
DEFAULT_THRESHOLD = 0.5


def is_question(utterance: Utterance) -> bool:
    """Whether a line counts as a question here: a non-system message containing "?"."""
    return not utterance.system and "?" in utterance.text


@dataclass(frozen=True, slots=True)
class Verdict:
    """The decision on one question once its look-ahead has passed."""

    index: int
    author: str
    text: str
    unanswered: bool
    answered: float
    """The estimated chance that some later message by another speaker answered it."""


@dataclass(slots=True)
class _Open:
    utterance: Utterance
    speaker: str
    remaining: int
    not_answered: float = 1.0


class UnansweredDetector:
    """Follows open questions of one channel through the linker's decisions on later messages."""

    def __init__(
        self, lookahead: int = DEFAULT_LOOKAHEAD, threshold: float = DEFAULT_THRESHOLD
    ) -> None:
        self.lookahead = lookahead
        self.threshold = threshold
        self._open: dict[int, _Open] = {}

    @classmethod
    def from_settings(cls, settings: Mapping[str, float]) -> UnansweredDetector:
        """Build a detector from tuned settings (``lookahead``, ``threshold``), else defaults."""
        return cls(
            lookahead=int(settings.get("lookahead", DEFAULT_LOOKAHEAD)),
            threshold=float(settings.get("threshold", DEFAULT_THRESHOLD)),
        )

    def add(self, utterance: Utterance, reply: Reply) -> list[Verdict]:
        """Take the next message and its reply decision; return questions decided by it."""
        speaker = nick_key(utterance.author)
        if not utterance.system:
            for candidate, probability in reply.candidates:
                question = self._open.get(candidate)
                if question is not None and question.speaker != speaker:
                    question.not_answered *= 1.0 - probability
        done: list[Verdict] = []
        for index, question in list(self._open.items()):
            question.remaining -= 1
            if question.remaining <= 0:
                done.append(self._close(index))
        if is_question(utterance):
            self._open[reply.index] = _Open(utterance, speaker, self.lookahead)
        return done

    def finish(self) -> list[Verdict]:
        """Decide every question still open, with the evidence seen so far (the stream ended)."""
        return [self._close(index) for index in list(self._open)]

    def _close(self, index: int) -> Verdict:
        question = self._open.pop(index)
        answered = 1.0 - question.not_answered
        return Verdict(
            index=index,
            author=question.utterance.author,
            text=question.utterance.text,
            unanswered=answered < self.threshold,
            answered=answered,
        )
