"""The rule that matches surfaced openings to labelled moments, and the scores from it.

An opening matches a moment when both are about the same notable member (the name as the
label file gives it) and the opening's message is in the same log file, at most ``WINDOW``
messages from the moment's ``n``. Each opening matches at most one moment and each moment at
most one opening: candidate pairs are taken nearest first (then same kind first, then in
file order) while both are free. An opening matched to a ``good`` moment is a true positive,
to a ``bad`` moment a false positive, to none ``unjudged`` (not counted in precision).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant_openings.labels import Moment

__all__ = ["WINDOW", "Judged", "Placed", "Scores", "match", "score"]

WINDOW = 3
"""How many messages an opening's message may be from a moment's ``n`` and still match it."""

_AT_TOP = 20


@dataclass(frozen=True, slots=True)
class Placed:
    """A surfaced opening, placed at the message behind it (``n`` is None if none was found)."""

    file: str
    n: int | None
    notable: str
    kind: str
    score: float


@dataclass(frozen=True, slots=True)
class Judged:
    """An opening with the moment it matched (None: unjudged)."""

    opening: Placed
    moment: Moment | None

    @property
    def verdict(self) -> str:
        """``good``, ``bad`` or ``unjudged``."""
        return self.moment.verdict if self.moment is not None else "unjudged"


def match(openings: Sequence[Placed], moments: Sequence[Moment]) -> list[Judged]:
    """Match openings to moments by the module's rule; one result per opening, in order."""
    pairs: list[tuple[int, bool, int, int]] = []
    for i, opening in enumerate(openings):
        if opening.n is None:
            continue
        for j, moment in enumerate(moments):
            if moment.file != opening.file or moment.notable != opening.notable:
                continue
            distance = abs(moment.n - opening.n)
            if distance <= WINDOW:
                pairs.append((distance, moment.kind != opening.kind, i, j))
    pairs.sort()
    taken: dict[int, Moment] = {}
    used: set[int] = set()
    for _, _, i, j in pairs:
        if i not in taken and j not in used:
            taken[i] = moments[j]
            used.add(j)
    return [Judged(opening, taken.get(i)) for i, opening in enumerate(openings)]


@dataclass(frozen=True, slots=True)
class Scores:
    """What the matches add up to."""

    surfaced: int
    good: int
    bad: int
    unjudged: int
    good_moments: int
    good_found: int
    labelled: int
    precision_at_20: float

    @property
    def precision(self) -> float:
        """Good among the judged openings (0-1; 0 when none were judged)."""
        judged = self.good + self.bad
        return self.good / judged if judged else 0.0

    @property
    def recall(self) -> float:
        """Good moments matched among the good moments (0-1; 0 when there are none)."""
        return self.good_found / self.good_moments if self.good_moments else 0.0

    @property
    def f1(self) -> float:
        """The harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def score(
    judged: Sequence[Judged],
    moments: Sequence[Moment],
    matched_by: Sequence[Judged] | None = None,
) -> Scores:
    """Add up the ``judged`` openings and the good ``moments`` matched.

    A moment counts as found when an opening of ``matched_by`` (default ``judged``) matched
    it: a row per kind passes that kind's openings and moments, and every opening there.

    ``precision_at_20`` is the share good among the 20 highest-scored judged openings.
    """
    found = {id(j.moment) for j in (judged if matched_by is None else matched_by) if j.moment}
    good = sum(1 for j in judged if j.verdict == "good")
    bad = sum(1 for j in judged if j.verdict == "bad")
    top = sorted((j for j in judged if j.moment is not None), key=lambda j: -j.opening.score)
    top = top[:_AT_TOP]
    at_top = sum(1 for j in top if j.verdict == "good") / len(top) if top else 0.0
    return Scores(
        surfaced=len(judged),
        good=good,
        bad=bad,
        unjudged=len(judged) - good - bad,
        good_moments=sum(1 for m in moments if m.verdict == "good"),
        good_found=sum(1 for m in moments if m.verdict == "good" and id(m) in found),
        labelled=len(moments),
        precision_at_20=at_top,
    )
