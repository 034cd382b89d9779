"""``presence eval topics``: a summary's topics measured against the topics of human minutes.

Every meeting with minutes under the given paths (:mod:`assistant.summaries.gold_topics`)
is replayed, with the lines that state its topics removed, through the live path: the
recorder, the spaCy analysis, the plugins and the session tracker on the log's own clock
(:func:`~assistant.connectors.replay.runner.replay_logs`, one run for all meetings, in time
order, into a temporary database). Each session found within a meeting is summarised as
after a live chat, and the headlines of its discussions
(:mod:`assistant.summaries.discussions`) are matched with the gold topics by the rule in
:mod:`assistant.summaries.topic_match`.

Recall is the share of gold topics some headline matched; precision the share of
headlines that matched some gold topic. The last line printed is
``topics: recall=R precision=P discussions=N gold=G meetings=M``.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path

from rich.console import Console
from rich.table import Table

from assistant.config import parse_settings
from assistant.connectors.replay.runner import ReplayOptions, replay_logs
from assistant.connectors.replay.translate import read_replay
from assistant.storage.database import Database
from assistant.summaries.compose import compose_summary, read_session
from assistant.summaries.gold_topics import MinutedMeeting, find_minuted_meetings
from assistant.summaries.model import Summary
from assistant.summaries.open_check import OpenQuestion, check_open_questions
from assistant.summaries.topic_match import ContentLemmas, best_match

__all__ = [
    "MeetingTopics",
    "TopicsScore",
    "TopicsTotals",
    "evaluate_topics",
    "score_headlines",
    "score_meetings",
    "totals",
]


@dataclass
class MeetingTopics:
    """One meeting: its gold topics and what Presence's summaries said."""

    meeting: MinutedMeeting
    first: datetime
    last: datetime
    summaries: list[Summary] = field(default_factory=list)
    open_questions: list[OpenQuestion] = field(default_factory=list)
    """The questions the summaries list as unanswered, each with a possible answer."""

    @property
    def headlines(self) -> list[str]:
        """The summaries' discussion headlines, in order, each once."""
        seen = dict.fromkeys(d.headline for s in self.summaries for d in s.discussions)
        return list(seen)


@dataclass(frozen=True, slots=True)
class TopicsScore:
    """One meeting's match: which headline found each gold topic, and what matched nothing."""

    name: str
    gold: tuple[str, ...]
    found_by: tuple[str | None, ...]
    """Per gold topic, the headline that matched it best (None: not found)."""
    headlines: tuple[str, ...]
    matched: frozenset[str]
    """The headlines that matched some gold topic."""
    sessions: int = 1

    @property
    def found(self) -> int:
        """Gold topics some headline matched."""
        return sum(1 for h in self.found_by if h is not None)

    @property
    def unmatched(self) -> tuple[str, ...]:
        """Headlines that matched no gold topic."""
        return tuple(h for h in self.headlines if h not in self.matched)


@dataclass(frozen=True, slots=True)
class TopicsTotals:
    """The figures of the summary line, over all meetings scored."""

    recall: float
    """Percentage of gold topics some headline matched."""
    precision: float
    """Percentage of headlines that matched a gold topic."""
    headlines: int
    gold: int
    meetings: int

    def line(self) -> str:
        """``topics: recall=R precision=P discussions=N gold=G meetings=M``."""
        return (
            f"topics: recall={self.recall:.1f} precision={self.precision:.1f} "
            f"discussions={self.headlines} gold={self.gold} meetings={self.meetings}"
        )


def totals(scores: Sequence[TopicsScore]) -> TopicsTotals:
    """Recall and precision over every meeting of ``scores``."""
    gold = sum(len(s.gold) for s in scores)
    found = sum(s.found for s in scores)
    headlines = sum(len(s.headlines) for s in scores)
    matched = sum(len(s.matched) for s in scores)
    return TopicsTotals(
        recall=100.0 * found / gold if gold else 0.0,
        precision=100.0 * matched / headlines if headlines else 0.0,
        headlines=headlines,
        gold=gold,
        meetings=len(scores),
    )


def _span(path: Path) -> tuple[datetime, datetime] | None:
    """The first and last event times of a cleaned log (None: no events)."""
    first = last = None
    for event in read_replay(path):
        first = first or event.timestamp
        last = event.timestamp
    return (first, last) if first is not None and last is not None else None


async def replay_meetings(meetings: Sequence[MinutedMeeting], work: Path) -> list[MeetingTopics]:
    """Replay the cleaned logs (in time order) and summarise each meeting's sessions."""
    placed: list[tuple[MeetingTopics, Path]] = []
    for number, meeting in enumerate(meetings):
        folder = work / "logs" / f"{number:03d}"
        folder.mkdir(parents=True)
        path = folder / meeting.file_name
        path.write_text(meeting.cleaned, encoding="utf-8")
        span = await asyncio.to_thread(_span, path)
        if span is not None:
            placed.append((MeetingTopics(meeting, *span), path))
    placed.sort(key=lambda item: item[0].first)
    settings = parse_settings(
        {
            "storage": {"path": str(work / "presence.sqlite3")},
            "summaries": {"folder": str(work / "summaries"), "formats": ["json"]},
        }
    )
    result = await replay_logs(settings, [path for _, path in placed], ReplayOptions())
    async with await Database.open(work / "presence.sqlite3") as db:
        for session in result.sessions:
            ended = session.ended or session.started
            for topics, _ in placed:
                if session.started <= topics.last and ended >= topics.first:
                    summary = await compose_summary(db, session.id, settings)
                    topics.summaries.append(summary)
                    data = await db.run_in_thread(
                        partial(read_session, session_id=session.id, settings=settings)
                    )
                    topics.open_questions += check_open_questions(
                        data["messages"], summary.unanswered
                    )
                    break
    return [topics for topics, _ in placed]


def score_headlines(
    name: str,
    gold: Sequence[str],
    headlines: Sequence[str],
    lemmas: ContentLemmas,
    sessions: int = 1,
) -> TopicsScore:
    """Match one meeting's headlines with its gold topics (the rule of ``topic_match``)."""
    gold_sets = lemmas.of(gold)
    best: list[tuple[float, str] | None] = [None] * len(gold)
    matched: set[str] = set()
    for headline, lemma_set in zip(headlines, lemmas.of(headlines), strict=True):
        found = best_match(lemma_set, gold_sets)
        if found is None:
            continue
        matched.add(headline)
        index, score = found
        current = best[index]
        if current is None or score > current[0]:
            best[index] = (score, headline)
    return TopicsScore(
        name,
        tuple(gold),
        tuple(b[1] if b is not None else None for b in best),
        tuple(headlines),
        frozenset(matched),
        sessions,
    )


def score_meetings(meetings: Sequence[MeetingTopics], lemmas: ContentLemmas) -> list[TopicsScore]:
    """Score every replayed meeting."""
    return [
        score_headlines(
            m.meeting.name, m.meeting.gold, m.headlines, lemmas, sessions=len(m.summaries)
        )
        for m in meetings
    ]


def _hours(summaries: Sequence[Summary]) -> float:
    return (
        sum(
            ((s.session.ended_at or s.session.started_at) - s.session.started_at).total_seconds()
            for s in summaries
        )
        / 3600
    )


def print_open_questions(meetings: Sequence[MeetingTopics], console: Console) -> None:
    """Per meeting, each still-open question and the next line in its thread, to hand-check.

    The last line printed is ``still open: N questions over H h (P per hour)``.
    """
    listed = 0
    hours = 0.0
    for topics in meetings:
        listed += len(topics.open_questions)
        hours += _hours(topics.summaries)
        console.print(
            f"{topics.meeting.name}: {len(topics.open_questions)} question(s) listed as still "
            f"open over {_hours(topics.summaries):.1f} h",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        for item in topics.open_questions:
            asked = item.question
            where = f" [{asked.discussion}]" if asked.discussion else ""
            console.print(
                f"  {asked.at:%Y-%m-%d %H:%M:%S} {asked.asker}{where}: {asked.text}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
            if item.answer_at is None:
                answer = "    no later line by another speaker in its thread"
            else:
                answer = f"    next in its thread: {item.answer_at:%H:%M} {item.answer_by}: "
                answer += f"{item.answer_text}"
            console.print(answer, markup=False, highlight=False, soft_wrap=True)
    rate = listed / hours if hours else 0.0
    console.print(
        f"still open: {listed} questions over {hours:.1f} h ({rate:.1f} per hour)",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def print_scores(scores: Sequence[TopicsScore], skipped: Sequence[str], console: Console) -> None:
    """Per meeting, the gold topics and what found each; then the summary line."""
    for score in scores:
        table = Table(
            "gold topic",
            "found by",
            title=f"{score.name}: {score.found}/{len(score.gold)} found, "
            f"{len(score.matched)}/{len(score.headlines)} headlines matched, "
            f"{score.sessions} session(s)",
            title_justify="left",
        )
        for topic, headline in zip(score.gold, score.found_by, strict=True):
            table.add_row(topic, headline or "-")
        console.print(table)
        unmatched = ", ".join(score.unmatched) or "none"
        console.print(f"  headlines that matched nothing: {unmatched}", markup=False)
    for reason in skipped:
        console.print(f"skipped {reason}", markup=False, highlight=False)
    console.print(
        totals(scores).line(),
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def evaluate_topics(
    paths: list[Path], console: Console, *, open_questions: bool = False
) -> list[TopicsScore]:
    """Run the whole evaluation and print it; return the per-meeting scores.

    ``open_questions`` also prints each meeting's unanswered questions to hand-check.

    Raises:
        GoldError: a path holds no meeting with minutes.
        ReplayError: a cleaned log cannot be replayed.
    """
    from assistant.nlp.pipeline import load_pipeline

    meetings = find_minuted_meetings(paths)
    with_gold = [m for m in meetings if m.gold]
    skipped = [f"{m.name}: its minutes list no topics" for m in meetings if not m.gold]
    with tempfile.TemporaryDirectory(prefix="presence-eval-topics-") as work:
        replayed = asyncio.run(replay_meetings(with_gold, Path(work)))
    empty = {m.name for m in with_gold} - {t.meeting.name for t in replayed}
    skipped += [f"{name}: no lines to replay" for name in sorted(empty)]
    scores = score_meetings(replayed, ContentLemmas(load_pipeline()))
    if open_questions:
        print_open_questions(replayed, console)
    print_scores(scores, skipped, console)
    return scores
