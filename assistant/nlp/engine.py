"""Inside the analysis worker process: the pipeline, the reply linkers, and the serving loop.

Only the worker process imports this module (spaCy and numpy load here, never in the bot's
process). `serve` loads what its role needs once, then answers batches from the queue until
it gets ``None``: the ``"analysis"`` role runs ``nlp.pipe`` over each batch inside
``nlp.memory_zone()`` and returns plain `Result` values; the ``"links"`` role keeps a
`ReplyLinker` per channel and returns, per message, the keys of the messages it answers.
"""

from __future__ import annotations

import contextlib
import os
import signal
import traceback
from dataclasses import replace
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from spacy.language import Language

from assistant.nlp.analysis import MessageAnalysis, analysis_of
from assistant.nlp.pipeline import load_pipeline, normalize_text, set_roster
from assistant.nlp.reply_linker import LinkerModel, ReplyLinker, Utterance
from assistant.nlp.worker import (
    Batch,
    Request,
    Result,
    Role,
    RosterChange,
    WorkerOptions,
    explicit_links,
)

if TYPE_CHECKING:
    from multiprocessing.queues import Queue

__all__ = ["Engine", "serve"]

# A channel's linker forgets everything older than its window; rebuilding it every this many
# messages (from the last `window` ones) keeps its memory bounded in a process that runs for weeks.
_LINKER_REBUILD_EVERY = 2000
_NICENESS = 10


def _load(options: WorkerOptions) -> Language:
    """Build the pipeline the worker runs."""
    factory = options.pipeline_factory or load_pipeline
    return factory(options.pipeline or None)


def _values(analysis: MessageAnalysis) -> tuple[Any, ...]:
    return (
        analysis.topics,
        analysis.is_question,
        analysis.addressees,
        analysis.links,
        analysis.acts,
    )


class _Channel:
    """The worker's state for one channel: its roster and its reply linker."""

    def __init__(self, model: LinkerModel | None) -> None:
        self.nicks: set[str] = set()
        self._model = model
        self._linker: ReplyLinker | None = None
        self._keys: list[str] = []
        self._recent: list[Any] = []
        self.authors: dict[str, str] = {}
        """Recent message keys -> author, so a platform reply reference names its addressee."""

    def saw(self, request: Request) -> None:
        self.authors[request.key] = request.author
        if len(self.authors) > _LINKER_REBUILD_EVERY:
            del self.authors[next(iter(self.authors))]

    def link(self, request: Request) -> tuple[str, ...]:
        utterance = Utterance(author=request.author, text=request.text, time=request.at)
        if self._linker is None or len(self._keys) >= _LINKER_REBUILD_EVERY:
            self._rebuild()
        linker = self._linker
        assert linker is not None
        reply = linker.add(utterance)
        self._keys.append(request.key)
        self._recent.append(utterance)
        if len(self._recent) > linker.model.window:
            del self._recent[0]
        if request.reply_to is not None:
            return (request.reply_to,)
        if reply.starts_conversation:
            return ()
        return tuple(self._keys[i] for i in reply.antecedents)

    def _rebuild(self) -> None:
        """Start a fresh linker primed with the last ``window`` messages.

        The linker keeps every message it was given (and its tokenizer every string), so a
        channel that talks for weeks would grow without bound; only the window matters.
        """
        linker = ReplyLinker(self._model)
        self._keys = self._keys[-len(self._recent) :] if self._recent else []
        for utterance in self._recent:
            linker.add(utterance)
        self._linker = linker


class Engine:
    """Everything a worker process holds for its role: the pipeline, or the reply linkers."""

    def __init__(self, options: WorkerOptions, role: Role = "both") -> None:
        self.options = options
        self.role = role
        self._channels: dict[tuple[str, str], _Channel] = {}
        self._roster_dirty = True
        self._everyone: frozenset[str] | None = None
        self._model: LinkerModel | None = None
        if role != "links":
            self.nlp = _load(options)
        if role != "analysis" and options.link_replies:
            self._model = LinkerModel.load(options.linker_model)  # fail now, not later

    def channel(self, network: str, channel: str) -> _Channel:
        state = self._channels.get((network, channel))
        if state is None:
            state = self._channels[network, channel] = _Channel(self._model)
        return state

    def apply(self, change: RosterChange) -> None:
        op, network, channel, nicks = change
        state = self.channel(network, channel)
        if op == "reset":
            state.nicks = set(nicks)
        elif op == "add":
            state.nicks.update(nicks)
        else:
            state.nicks.difference_update(nicks)
        self._roster_dirty = True

    def answer(self, batch: Batch) -> object:
        """What this role sends back for ``batch``."""
        if self.role == "analysis":
            return self.analyse(batch)
        if self.role == "links":
            return self.link(batch)
        return self.run(batch)

    def run(self, batch: Batch) -> list[Result]:
        """Analyse and link ``batch`` in this one process."""
        analysed = self.analyse(batch)
        if not self.options.link_replies:
            return analysed
        return [
            replace(result, reply_to=links)
            for result, links in zip(analysed, self.link(batch), strict=True)
        ]

    def link(self, batch: Batch) -> list[tuple[str, ...]]:
        """Return, per message, the keys of the earlier messages it answers."""
        if not self.options.link_replies:
            return [explicit_links(request) for request in batch.messages]
        return [
            self.channel(request.network, request.channel).link(request)
            for request in batch.messages
        ]

    def analyse(self, batch: Batch) -> list[Result]:
        """Run the pipeline over ``batch``; links are only the platform's explicit ones."""
        for change in batch.roster:
            self.apply(change)
        reply_authors: list[str | None] = []
        for request in batch.messages:
            state = self.channel(request.network, request.channel)
            if request.author not in state.nicks:
                state.nicks.add(request.author)
                self._roster_dirty = True
            target = request.reply_to
            reply_authors.append(state.authors.get(target) if target is not None else None)
            state.saw(request)
        if self._roster_dirty:
            # One pipeline serves every channel, so it knows the nicks of all of them.
            everyone = frozenset(nick for state in self._channels.values() for nick in state.nicks)
            if everyone != self._everyone:
                set_roster(self.nlp, everyone)
                self._everyone = everyone
            self._roster_dirty = False
        texts = [normalize_text(request.text) for request in batch.messages]
        with self.nlp.memory_zone():
            # Docs die with the zone: extract plain values inside it.
            docs = self.nlp.pipe(texts, batch_size=max(1, len(texts)))
            values = [
                _values(analysis_of(doc, reply_to_author=author))
                for doc, author in zip(docs, reply_authors, strict=True)
            ]
        return [
            Result(
                request.network,
                request.channel,
                request.key,
                topics,
                question,
                addressees,
                links,
                acts,
                explicit_links(request),
            )
            for request, (topics, question, addressees, links, acts) in zip(
                batch.messages, values, strict=True
            )
        ]


def serve(
    requests: Queue[Batch | None],
    results: Connection,
    options: WorkerOptions,
    role: Role = "both",
) -> None:
    """The worker process's main function: load once, then answer batches until ``None``."""
    # Ctrl-C reaches the whole process group; the bot decides when its worker stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Analysis is batch work: when the machine is busy (a flood, a pipeline loading), the
    # bot's process must get the CPU first so keepalives and the recorder never wait on it.
    with contextlib.suppress(OSError):
        os.nice(_NICENESS)
    try:
        engine = Engine(options, role)
    except BaseException:
        results.send(("failed-start", traceback.format_exc()))
        return
    results.send(("ready", None))
    while True:
        batch = requests.get()
        if batch is None:
            break
        try:
            results.send(("done", (batch.number, engine.answer(batch))))
        except Exception:
            results.send(("failed", (batch.number, traceback.format_exc())))
    results.close()
