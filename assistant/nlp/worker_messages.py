"""What crosses between the bot's process and an analysis worker process: plain values.

The analyzer (:mod:`assistant.nlp.stage`) sends :class:`Batch` values of :class:`Request`
and roster changes; the worker process (:mod:`assistant.nlp.engine`) answers with
:class:`Result` values; :class:`WorkerOptions` say how the worker builds its pipeline. Both
sides import this module and nothing of each other, and it imports neither spaCy nor
multiprocessing. :func:`usable_cpus` is the one fact of the machine both sides decide by.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from spacy.language import Language

__all__ = [
    "Batch",
    "PipelineFactory",
    "Request",
    "Result",
    "Role",
    "RosterChange",
    "WorkerOptions",
    "explicit_links",
    "usable_cpus",
]


class PipelineFactory(Protocol):
    """Builds the spaCy pipeline inside the worker (must be picklable: a module-level callable)."""

    def __call__(
        self, name: str | None, *, roster: Iterable[str] = (), entities: bool = False
    ) -> Language: ...


@dataclass(frozen=True, slots=True)
class Request:
    """One channel message to analyse, as plain values."""

    network: str
    channel: str
    key: str
    """The message's key: the platform's id, else one the analyzer made up; results name it."""
    author: str
    text: str
    at: datetime
    reply_to: str | None = None
    """The platform's explicit reply reference (Discord), which wins over the linker."""
    system: bool = False
    """A join, part, quit or nick change written as the IRC logs the linker learned from write
    it ("nick [user@host]  has joined #chan"): context for the reply linker only, never
    analysed, stored or answered for."""


Role = Literal["analysis", "links", "both"]
"""What a worker process does: the pipeline, the reply linkers, or both in one process."""

RosterChange = tuple[Literal["add", "remove", "reset"], str, str, tuple[str, ...]]
"""``(op, network, channel, nicks)``: nicks joined, left, or the channel's whole roster."""


@dataclass(frozen=True, slots=True)
class Batch:
    """What the worker gets at once: roster changes first, then messages in channel order.

    Answers hold one value per message that is not a ``system`` line, in order.
    """

    number: int
    roster: tuple[RosterChange, ...]
    messages: tuple[Request, ...]

    def analysed(self) -> list[Request]:
        """The messages answered for: all but the system lines."""
        return [request for request in self.messages if not request.system]


@dataclass(frozen=True, slots=True)
class Result:
    """The analysis of one message, as plain values."""

    network: str
    channel: str
    key: str
    topics: tuple[str, ...]
    is_question: bool
    addressees: tuple[str, ...]
    links: tuple[str, ...]
    acts: tuple[str, ...]
    reply_to: tuple[str, ...]
    """Keys of the earlier messages it answers; empty when it starts a new conversation."""


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    """How the worker builds what it needs (everything here crosses the process boundary)."""

    pipeline: str | None = None
    """Pipeline package or path; ``None`` lets the pipeline module choose."""
    pipeline_factory: PipelineFactory | None = None
    """Overrides the pipeline module's ``load_pipeline`` (tests, benchmarks)."""
    entities: bool = False
    """Run the pipeline's entity recognizer too (named entities become topics)."""
    linker_model: Path | None = None
    """Reply-linker parameters; ``None`` means the packaged ``assistant/nlp/reply_linker.json``."""
    link_replies: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


def usable_cpus() -> int:
    """CPUs this process may run on (it decides the workers' priorities and the spare)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def explicit_links(request: Request) -> tuple[str, ...]:
    """The links a message carries itself: the platform's reply reference, if any."""
    return (request.reply_to,) if request.reply_to is not None else ()
