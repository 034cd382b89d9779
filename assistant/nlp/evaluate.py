"""Measure reply linking and unanswered-question detection against irc-disentangle links.

Reply links are scored as the corpus's own scorer (``tools/evaluation/graph-eval.py``) does:
the set of (message, antecedent) pairs over the annotated messages, a self-pair for a message
that starts a conversation, precision/recall/F1 in percent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from rich.console import Console
from rich.table import Table

from assistant.nlp.disentangle_format import Transcript, find_transcripts, read_transcript
from assistant.nlp.reply_linker import LinkerModel, Reply, ReplyLinker
from assistant.nlp.unanswered import UnansweredDetector, is_question

__all__ = [
    "Counts",
    "gold_unanswered",
    "link_pairs",
    "predict_replies",
    "predict_unanswered",
    "run_evaluation",
    "score_replies",
    "score_unanswered",
    "scored_questions",
]

UNSCORED_TAIL = 50
"""Questions among the last this-many annotated messages are skipped: answers may lie beyond."""


@dataclass(frozen=True, slots=True)
class Counts:
    """Gold items, predicted items and the items in both; sums across files."""

    gold: int = 0
    predicted: int = 0
    matched: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.gold + other.gold,
            self.predicted + other.predicted,
            self.matched + other.matched,
        )

    @property
    def precision(self) -> float:
        """Matched over predicted, in percent (0 when nothing was predicted)."""
        return 100.0 * self.matched / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        """Matched over gold, in percent (0 when there is no gold item)."""
        return 100.0 * self.matched / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall, in percent."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if self.matched else 0.0


def link_pairs(links: Mapping[int, Iterable[int]]) -> set[tuple[int, int]]:
    """Return the (message, antecedent) pairs of a link map, self-pairs included."""
    return {(message, antecedent) for message, found in links.items() for antecedent in found}


def score_replies(gold: dict[int, frozenset[int]], predicted: dict[int, tuple[int, ...]]) -> Counts:
    """Count gold, predicted and matched pairs over the annotated messages only."""
    gold_pairs = link_pairs(gold)
    auto_pairs = link_pairs({m: predicted[m] for m in gold if m in predicted})
    return Counts(len(gold_pairs), len(auto_pairs), len(gold_pairs & auto_pairs))


def predict_replies(transcript: Transcript, model: LinkerModel) -> list[Reply]:
    """Stream every line of the transcript through a fresh live linker, in file order."""
    linker = ReplyLinker(model)
    return [linker.add(utterance) for utterance in transcript.utterances]


def scored_questions(transcript: Transcript) -> list[int]:
    """Annotated non-system messages with "?", except those in the last annotated lines."""
    annotated = transcript.annotated
    kept = annotated[:-UNSCORED_TAIL] if len(annotated) > UNSCORED_TAIL else []
    return [i for i in kept if is_question(transcript.utterances[i])]


def gold_unanswered(transcript: Transcript) -> set[int]:
    """Scored questions that no later message by another speaker links to, per the annotation."""
    utterances = transcript.utterances
    answered: set[int] = set()
    for message, antecedents in transcript.links.items():
        speaker = utterances[message].author.lower()
        for antecedent in antecedents:
            if antecedent < message and utterances[antecedent].author.lower() != speaker:
                answered.add(antecedent)
    return {q for q in scored_questions(transcript) if q not in answered}


def predict_unanswered(
    transcript: Transcript, replies: list[Reply], detector: UnansweredDetector
) -> set[int]:
    """Replay the linker's decisions through the detector; return the questions it calls open."""
    wanted = set(scored_questions(transcript))
    found: set[int] = set()
    for utterance, reply in zip(transcript.utterances, replies, strict=True):
        for verdict in detector.add(utterance, reply):
            if verdict.unanswered and verdict.index in wanted:
                found.add(verdict.index)
    for verdict in detector.finish():
        if verdict.unanswered and verdict.index in wanted:
            found.add(verdict.index)
    return found


def score_unanswered(transcript: Transcript, predicted: set[int]) -> Counts:
    """Count gold, predicted and matched unanswered questions of one transcript."""
    gold = gold_unanswered(transcript)
    return Counts(len(gold), len(predicted), len(gold & predicted))


def run_evaluation(
    kind: Literal["replies", "unanswered"],
    paths: list[Path],
    console: Console,
    model_path: Path | None = None,
) -> Counts:
    """Evaluate every transcript under ``paths``; print a per-file table and the final line.

    Raises:
        FormatError: a file is missing, lacks its annotation, or has a malformed line.
        ModelError: the linker's parameter file is missing or stale.
    """
    files = find_transcripts(paths)
    transcripts = [read_transcript(path) for path in files]
    model = LinkerModel.load(model_path)
    table = Table(title=f"{kind}: per file", title_justify="left")
    for column in (
        "file",
        "precision",
        "recall",
        "F1",
        "questions" if kind != "replies" else "messages",
    ):
        table.add_column(column, justify="left" if column == "file" else "right")
    total = Counts()
    items = 0
    for transcript in transcripts:
        replies = predict_replies(transcript, model)
        if kind == "replies":
            counts = score_replies(transcript.links, {r.index: r.antecedents for r in replies})
            size = len(transcript.links)
        else:
            detector = UnansweredDetector.from_settings(model.unanswered)
            counts = score_unanswered(transcript, predict_unanswered(transcript, replies, detector))
            size = len(scored_questions(transcript))
        total += counts
        items += size
        table.add_row(
            transcript.name,
            f"{counts.precision:.1f}",
            f"{counts.recall:.1f}",
            f"{counts.f1:.1f}",
            str(size),
        )
    console.print(table)
    noun = "messages" if kind == "replies" else "questions"
    console.print(
        f"{kind}: precision={total.precision:.1f} recall={total.recall:.1f} "
        f"f1={total.f1:.1f} {noun}={items}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    return total
