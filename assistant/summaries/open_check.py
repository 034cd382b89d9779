"""A hand check of "questions nobody answered": each with the line that may have answered it.

A summary lists the questions no other speaker answered, as far as the reply links say. To
check that list quickly, ``presence eval topics --open`` prints, per question, the next
line by another speaker in the same thread (the messages joined by reply links) within the
session, if there is one: a person reads the pair and judges whether the question really
was left open.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from assistant.summaries.model import Question
from assistant.summaries.still_open import reply_threads

__all__ = ["OpenQuestion", "check_open_questions"]


@dataclass(frozen=True, slots=True)
class OpenQuestion:
    """A question the summary lists as unanswered, and the line that may answer it."""

    question: Question
    answer_at: datetime | None = None
    answer_by: str | None = None
    answer_text: str | None = None


def check_open_questions(
    messages: Sequence[Mapping[str, Any]], unanswered: Sequence[Question]
) -> list[OpenQuestion]:
    """Pair each unanswered question with the next line by another speaker in its thread.

    ``messages`` are the session's rows as :func:`~assistant.summaries.compose.read_session`
    reads them (``at``, ``nick``, ``text``, ``key``, ``reply_to``), in order.
    """
    threads = reply_threads(messages)
    checked = []
    for question in unanswered:
        stamp = question.at.timestamp()
        index = next(
            (
                i
                for i, m in enumerate(messages)
                if m["text"] == question.text and abs(float(m["at"]) - stamp) < 1
            ),
            None,
        )
        if index is None:
            checked.append(OpenQuestion(question))
            continue
        asker = messages[index]["nick"]
        answer = next(
            (
                m
                for j, m in enumerate(messages[index + 1 :], start=index + 1)
                if threads[j] == threads[index] and m["nick"] != asker
            ),
            None,
        )
        if answer is None:
            checked.append(OpenQuestion(question))
        else:
            checked.append(
                OpenQuestion(
                    question,
                    datetime.fromtimestamp(float(answer["at"]), UTC),
                    str(answer["nick"]),
                    str(answer["text"]),
                )
            )
    return checked
