"""When a summary's headline says the same as a human's topic: the rule ``eval topics`` keeps.

The rule, fixed once figures were reported (change it and every figure must be measured
again, before and after):

1. Each text, lower-cased, becomes its set of **content lemmas**: spaCy's lemma of every
   token that is alphanumeric (``node_announcement`` and ``v1`` count), not a stop word and
   at least two characters long. Punctuation, numbers alone and function words drop out.
2. A headline **matches** a gold topic when their sets overlap by a Dice coefficient of at
   least :data:`THRESHOLD`: ``2 * |shared| / (|headline| + |gold|) >= 0.5``. A one-word
   headline thus matches a gold topic of up to three content words that contains it
   ("dns" ~ "DNS addresses in node_announcement"), a two-word one a gold topic of up to
   six words that shares one of them, and two texts with no lemma in common never match.

Dice rather than containment keeps a headline of one common word from matching every long
topic that mentions it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language

__all__ = ["THRESHOLD", "ContentLemmas", "dice", "matches"]

THRESHOLD = 0.5
_KEEP_PIPES = ("tok2vec", "tagger", "attribute_ruler", "lemmatizer")


class ContentLemmas:
    """Turns texts into sets of content lemmas with one spaCy pipeline (cached per text)."""

    def __init__(self, nlp: Language) -> None:
        self._nlp = nlp
        self._disabled = [name for name in nlp.pipe_names if name not in _KEEP_PIPES]
        self._cache: dict[str, frozenset[str]] = {}

    def of(self, texts: Iterable[str]) -> list[frozenset[str]]:
        """The content lemmas of each of ``texts``, in order."""
        wanted = list(texts)
        new = list(dict.fromkeys(t for t in wanted if t not in self._cache))
        if new:
            with self._nlp.select_pipes(disable=self._disabled):
                # Lower-cased first: title case ("Progress on Action Items") reads as proper
                # nouns, which keep their plural.
                lowered = (text.lower() for text in new)
                for text, doc in zip(new, self._nlp.pipe(lowered), strict=True):
                    self._cache[text] = frozenset(
                        (token.lemma_ or token.text).lower()
                        for token in doc
                        if _content(token.text, token.is_stop)
                    )
        return [self._cache[t] for t in wanted]


def _content(text: str, is_stop: bool) -> bool:
    word = text.replace("_", "").replace("-", "")
    return len(text) >= 2 and word.isalnum() and not word.isdigit() and not is_stop


def dice(a: frozenset[str], b: frozenset[str]) -> float:
    """``2 * |a & b| / (|a| + |b|)``; 0.0 when both are empty."""
    total = len(a) + len(b)
    return 2 * len(a & b) / total if total else 0.0


def matches(headline: frozenset[str], gold: frozenset[str]) -> bool:
    """Whether a headline's content lemmas match a gold topic's under the rule above."""
    return bool(headline & gold) and dice(headline, gold) >= THRESHOLD


def best_match(
    headline: frozenset[str], golds: Sequence[frozenset[str]]
) -> tuple[int, float] | None:
    """The index and score of the gold topic ``headline`` matches best, or None."""
    scored = [(dice(headline, g), i) for i, g in enumerate(golds) if matches(headline, g)]
    if not scored:
        return None
    score, index = max(scored, key=lambda pair: (pair[0], -pair[1]))
    return index, score
