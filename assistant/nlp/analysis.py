"""Per-message understanding as plain values, extracted from a processed `Doc`.

Docs must not outlive the `nlp.memory_zone()` they were made in, so callers turn each doc into
a `MessageAnalysis` inside the zone and keep only that.
"""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Doc

__all__ = ["MessageAnalysis", "analysis_of"]


@dataclass(frozen=True, slots=True)
class MessageAnalysis:
    """What the pipeline understood of one message (the fields of `MessageAnalyzed`)."""

    topics: tuple[str, ...] = ()
    is_question: bool = False
    addressees: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    acts: tuple[str, ...] = ()


def analysis_of(doc: Doc, *, reply_to_author: str | None = None) -> MessageAnalysis:
    """Copy the assistant extensions of ``doc`` into plain, zone-safe values.

    ``reply_to_author`` is the author of the message a Discord reply references (the text does
    not carry it); it becomes the first addressee.
    """
    addressees = tuple(str(a) for a in doc._.assistant_addressees)
    if reply_to_author and reply_to_author not in addressees:
        addressees = (reply_to_author, *addressees)
    return MessageAnalysis(
        topics=tuple(str(t) for t in doc._.assistant_topics),
        is_question=bool(doc._.assistant_is_question),
        addressees=addressees,
        links=tuple(str(u) for u in doc._.assistant_links),
        acts=tuple(str(a) for a in doc._.assistant_acts),
    )
