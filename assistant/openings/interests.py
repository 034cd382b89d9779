"""Does a line touch one of the owner's interests? Words first, word vectors when there are any.

Interests are the configured phrases plus topics learned from what the owner says. A line
matches when an interest's content words all occur among the line's topics or words (after
light normalisation: case, plural "s"), or — when a pipeline with word vectors is given —
when a topic's vector is close enough to the interest's (a ``similarity`` function: the
``openings`` plugin builds one from its pipeline, ``assistant_openings.similarity``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

__all__ = ["InterestMatch", "InterestMatcher", "Similarity", "normalise", "words"]

_WORD = re.compile(r"[a-z0-9][a-z0-9+#.-]*")
_STOP = frozenset(
    "a an and the of for to in on with my your our is are be it this that how what".split()  # noqa: SIM905
)


def normalise(word: str) -> str:
    """Fold a word for comparison: case, trailing punctuation, plural "s", "-ing" and "-ed" off.

    A crude stem on purpose: both sides go through it, so "interviewing", "interviews" and
    "interview" meet, without a pipeline in this process.
    """
    w = word.lower().strip(".-")
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 5 and w.endswith("ing"):
        w = w[:-3]
    elif len(w) > 4 and w.endswith("ed"):
        w = w[:-2]
    elif len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        w = w[:-1]
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiouls":
        w = w[:-1]  # "podcasting" → "podcast", "blogging" → "blog"
    return w


def words(text: str) -> list[str]:
    """The normalised content words of ``text``."""
    return [normalise(w) for w in _WORD.findall(text.lower()) if w not in _STOP]


@dataclass(frozen=True, slots=True)
class InterestMatch:
    """Which interest a line touched, through what, and how strongly (0-1)."""

    interest: str
    via: str
    strength: float
    learned: bool = False


Similarity = Callable[[str, str], float]


class InterestMatcher:
    """Matches lines against the configured and learned interests."""

    def __init__(
        self,
        configured: Sequence[str],
        *,
        similarity: Similarity | None = None,
        threshold: float = 0.75,
    ) -> None:
        self.configured = [i.strip() for i in configured if i.strip()]
        self.similarity = similarity
        self.threshold = threshold

    def match(
        self, topics: Iterable[str], text: str, learned: Sequence[str] = ()
    ) -> InterestMatch | None:
        """The best interest the line touches, or None."""
        topic_list = list(topics)
        line_words = set(words(text))
        for topic in topic_list:
            line_words.update(words(topic))
        candidates = [(i, False) for i in self.configured]
        known = {i.casefold() for i in self.configured}
        candidates += [(t, True) for t in learned if t.casefold() not in known]
        best: InterestMatch | None = None
        for interest, was_learned in candidates:
            needed = words(interest)
            if needed and all(w in line_words for w in needed):
                found = next(
                    (t for t in topic_list if set(needed) <= set(words(t))), " ".join(needed)
                )
                strength = 1.0 if not was_learned else 0.8
                match = InterestMatch(interest, found, strength, was_learned)
                if best is None or match.strength > best.strength:
                    best = match
        if best is not None or self.similarity is None:
            return best
        for interest, was_learned in candidates:
            for topic in topic_list:
                score = self.similarity(interest, topic)
                if score >= self.threshold and (best is None or score > best.strength):
                    best = InterestMatch(interest, topic, round(score, 3), was_learned)
        return best
