"""Headline key phrases: Presence's own ranking against keyphrase libraries, on ``eval topics``.

Run ``python bench/headline_rankers.py PATH... [--ranker NAME ...] [--extra-path DIR]``
with the folders ``presence eval topics`` reads (for instance ``../shared/data/w3c-ccg-2020
../shared/data/meetbot``). For each ranker, the meetings are replayed through the live path
and scored exactly as ``presence eval topics`` does; only the choice of a discussion's
headline among its phrases changes. The same discussions, standing items (introductions,
announcements, action items) and headline filters (no names, no chit-chat, no lone generic
word) apply to every ranker, so the figures compare the rankings alone.

Rankers:

- ``ours``: ``assistant.summaries.discussions`` as shipped (the noun chunks the analyzer
  stored per line, weighted by how often and how distinctively they were said, TextRank
  centrality over the words, lines of their own, multiword phrases);
- ``counts``: the same stored noun chunks, by how many lines said each (the baseline the
  issue calls hand-rolled noun-chunk counting);
- ``textacy-textrank``, ``textacy-scake``, ``textacy-sgrank``: textacy's keyterm
  extractors over the discussion's lines parsed by the project's pipeline;
- ``pytextrank-textrank``, ``pytextrank-positionrank``, ``pytextrank-topicrank``: pytextrank's
  spaCy components over the same text.

The libraries are not dependencies of Presence (they did not earn a place: see
``docs/summaries.md``). To run them, install them beside the project, not into its
environment (their pins would move spaCy): ``.venv/bin/pip install --target /tmp/kp textacy
pytextrank``, then pass ``--extra-path /tmp/kp``; it is searched after the project's own
packages. The library rankers also parse each discussion's text, which Presence's summaries
never do: the CPU seconds each ranker spent choosing headlines are printed beside its figures.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

import assistant.summaries.discussions as discussions
from assistant.summaries.gold_topics import find_minuted_meetings
from assistant.summaries.topic_match import ContentLemmas
from assistant.summaries.topics_eval import replay_meetings, score_meetings, totals

Ranked = list[tuple[float, int, str]]
Ranker = Callable[[Any, Mapping[str, int], int, frozenset[str]], Ranked]
TOP = 40
"""How many key terms a library ranker returns per discussion."""

_shipped = discussions._ranked_phrases
REFUSED: list[str] = []
"""Errors a library raised on a discussion (printed after its figures)."""


def _acceptable(phrase: str, names: frozenset[str]) -> bool:
    """The filters every ranker's headline passes, as the shipped ranking's do."""
    words = phrase.split()
    return (
        bool(words)
        and not any(w in names for w in words)
        and not discussions.is_chatter(phrase)
        and discussions._good_phrase(phrase)
    )


def _counts(group: Any, spread: Mapping[str, int], groups: int, names: frozenset[str]) -> Ranked:
    counts: Counter[str] = Counter()
    for line in group.lines:
        counts.update(dict.fromkeys(line.phrases, 1))
    ranked = [(float(n), len(p.split()), p) for p, n in counts.items() if _acceptable(p, names)]
    ranked.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return ranked


def _library(terms_of: Callable[[Any], list[tuple[str, float]]], nlp: Any) -> Ranker:
    """A ranker from a function of a parsed Doc to (lemmatised term, score) pairs."""

    def ranked(group: Any, spread: Mapping[str, int], groups: int, names: frozenset[str]) -> Ranked:
        doc = nlp("\n".join(line.text for line in group.lines))
        found: dict[str, float] = {}
        for term, score in terms_of(doc):
            words = term.lower().split()
            phrase = " ".join(w for w in words if discussions._PHRASE_WORD.match(w))
            if phrase not in found and _acceptable(phrase, names):
                found[phrase] = score
        out = [(score, len(p.split()), p) for p, score in found.items()]
        out.sort(key=lambda item: (item[0], item[1]), reverse=True)
        return out

    return ranked


def _textacy(method: str, nlp: Any) -> Ranker:
    keyterms = importlib.import_module("textacy.extract.keyterms")
    extract = getattr(keyterms, method)

    def terms(doc: Any) -> list[tuple[str, float]]:
        try:
            return list(extract(doc, normalize="lemma", topn=TOP))
        except Exception as error:  # counted and printed: the discussion gets no headline
            REFUSED.append(f"{method}: {type(error).__name__}: {error}")
            return []

    return _library(terms, nlp)


def _pytextrank(component: str, nlp: Any) -> Ranker:
    importlib.import_module("pytextrank")  # registers the spaCy factories
    if component not in nlp.pipe_names:
        nlp.add_pipe(component, last=True)

    def terms(doc: Any) -> list[tuple[str, float]]:
        out = []
        for phrase in doc._.phrases[:TOP]:
            lemmas = (t.lemma_ for t in phrase.chunks[0] if not (t.is_stop or t.is_punct))
            out.append((" ".join(lemmas), float(phrase.rank)))
        return out

    library = _library(terms, nlp)

    def ranked(group: Any, spread: Mapping[str, int], groups: int, names: frozenset[str]) -> Ranked:
        # Only this ranker's component: another ranker may have added its own before.
        others = [name for name in nlp.pipe_names if name.endswith("rank") and name != component]
        with nlp.select_pipes(disable=others):
            return library(group, spread, groups, names)

    return ranked


RANKERS = (
    "ours",
    "counts",
    "textacy-textrank",
    "textacy-scake",
    "textacy-sgrank",
    "pytextrank-textrank",
    "pytextrank-positionrank",
    "pytextrank-topicrank",
)


def _ranker(name: str, nlp: Any) -> Ranker:
    if name == "ours":
        return _shipped
    if name == "counts":
        return _counts
    library, method = name.split("-", 1)
    return _textacy(method, nlp) if library == "textacy" else _pytextrank(method, nlp)


def _timed(ranker: Ranker, spent: list[float]) -> Ranker:
    def ranked(group: Any, spread: Mapping[str, int], groups: int, names: frozenset[str]) -> Ranked:
        started = time.process_time()
        try:
            return ranker(group, spread, groups, names)
        finally:
            spent[0] += time.process_time() - started

    return ranked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--ranker", action="append", choices=RANKERS)
    parser.add_argument("--extra-path", type=Path, help="a folder holding textacy / pytextrank")
    args = parser.parse_args()
    if args.extra_path:
        sys.path.append(str(args.extra_path))
    from assistant.nlp.pipeline import load_pipeline

    nlp = load_pipeline()  # for the library rankers; pytextrank adds its component to it
    lemmas = ContentLemmas(load_pipeline())  # the scorer's own, as in ``eval topics``
    meetings = [m for m in find_minuted_meetings(args.paths) if m.gold]
    console = Console()
    table = Table("ranker", "recall", "precision", "discussions", "gold", "ranking CPU s")
    for name in args.ranker or ["ours", "counts"]:
        try:
            ranker = _ranker(name, nlp)
        except ModuleNotFoundError as error:
            console.print(
                f"[red]{name}: {error.name} is not installed[/red]: .venv/bin/pip install "
                f"--target /tmp/kp textacy pytextrank, then pass --extra-path /tmp/kp"
            )
            raise SystemExit(2) from error
        spent = [0.0]
        discussions._ranked_phrases = _timed(ranker, spent)
        try:
            with tempfile.TemporaryDirectory(prefix="presence-bench-headlines-") as work:
                replayed = asyncio.run(replay_meetings(meetings, Path(work)))
        finally:
            discussions._ranked_phrases = _shipped
        figures = totals(score_meetings(replayed, lemmas))
        cpu = f"{spent[0]:.1f}"
        table.add_row(
            name,
            f"{figures.recall:.1f}",
            f"{figures.precision:.1f}",
            str(figures.headlines),
            str(figures.gold),
            cpu,
        )
        console.print(f"{name}: {figures.line()} ranking_cpu_s={cpu}", markup=False)
        for refused in dict.fromkeys(REFUSED):
            console.print(f"  {REFUSED.count(refused)} discussion(s) refused: {refused}")
        REFUSED.clear()
    console.print(table)


if __name__ == "__main__":
    main()
