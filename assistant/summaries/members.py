"""Per notable member: what each notable member who came did in the session.

For each one: the discussions they took part in (by headline, in the summary's order),
their key lines — the most central of their lines in their discussions (the discussions'
own TextRank), then their fullest other lines — the questions they asked with whether each
got an answer, and the links they shared. Greetings, thanks, procedure and lines of fewer
than :data:`MIN_WORDS` content words are never key lines, and a question is listed once,
under questions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from assistant.summaries.discussions import DiscussionMap, content_words, is_procedural
from assistant.summaries.model import AttendanceRow, KeyLine, Link, MemberPart, Question
from assistant.summaries.text import json_list

__all__ = ["KEY_LINES", "MIN_WORDS", "member_parts"]

KEY_LINES = 3
"""The most key lines shown for one member."""
MIN_WORDS = 3
"""A key line says at least this many content words."""
_QUIET = ("greeting", "thanks")


def _quiet(message: Mapping[str, Any]) -> bool:
    return any(a in _QUIET for a in json_list(message.get("acts")))


def _key_lines(
    messages: Sequence[Mapping[str, Any]],
    own: Sequence[int],
    name: str,
    mapped: DiscussionMap,
    asked: set[int],
) -> tuple[KeyLine, ...]:
    ranked: list[tuple[bool, float, int, int]] = []
    for index in own:
        message = messages[index]
        if message.get("deleted") or index in asked:
            continue
        text = str(message["text"] or "")
        words = len(content_words(text))
        if words < MIN_WORDS or is_procedural(text) or (_quiet(message) and words < 2 * MIN_WORDS):
            continue
        rank = mapped.centrality.get(index)
        ranked.append((rank is not None, rank or 0.0, words, index))
    ranked.sort(key=lambda item: (not item[0], -item[1], -item[2], item[3]))
    chosen = sorted(index for _, _, _, index in ranked[:KEY_LINES])
    return tuple(
        KeyLine(
            datetime.fromtimestamp(float(messages[i]["at"]), UTC), name, str(messages[i]["text"])
        )
        for i in chosen
    )


def member_parts(
    messages: Sequence[Mapping[str, Any]],
    attendance: Sequence[AttendanceRow],
    mapped: DiscussionMap,
    questions: Sequence[tuple[int, int, Question]],
    links: Sequence[tuple[int, Link]],
) -> tuple[MemberPart, ...]:
    """One part per notable member present, in attendance order.

    ``questions`` holds ``(person id, message index, question)`` for the substantive
    questions each person asked themselves; ``links`` ``(person id, link)`` for each link
    shared.
    """
    notable = {row.person_id for row in attendance if row.notable}
    said: dict[int, list[int]] = {pid: [] for pid in notable}
    for index, message in enumerate(messages):
        if int(message["person_id"]) in notable:
            said[int(message["person_id"])].append(index)
    parts = []
    for row in attendance:
        if not row.notable:
            continue
        lines = said[row.person_id]
        asked = [(index, q) for pid, index, q in questions if pid == row.person_id]
        parts.append(
            MemberPart(
                person=row.label,
                lines=row.lines,
                discussions=tuple(
                    mapped.discussions[position].headline
                    for position in sorted(
                        {mapped.of_message[i] for i in lines if i in mapped.of_message}
                    )
                ),
                key_lines=_key_lines(
                    messages, lines, row.label, mapped, {index for index, _ in asked}
                ),
                questions=tuple(q for _, q in asked),
                links=tuple(link.url for pid, link in links if pid == row.person_id),
            )
        )
    return tuple(parts)
