"""Inside the analysis worker process: the pipeline, the reply linkers, and the serving loop.

Only the worker process imports this module (spaCy and numpy load here, never in the bot's
process). `serve` loads what its role needs once, then answers batches from the queue until
it gets ``None``: the ``"analysis"`` role runs ``nlp.pipe`` over each batch inside
``nlp.memory_zone()`` and returns plain `Result` values; the ``"links"`` role keeps a
`ReplyLinker` per channel and returns, per message, the keys of the messages it answers.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import signal
import traceback
from collections.abc import Sequence
from dataclasses import replace
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from spacy.language import Language

from assistant.nlp.analysis import MessageAnalysis, analysis_of
from assistant.nlp.pipeline import load_pipeline, normalize_text, set_rosters
from assistant.nlp.reply_linker import LinkerModel, ReplyLinker, Utterance
from assistant.nlp.worker_messages import (
    Batch,
    Request,
    Result,
    Role,
    RosterChange,
    WorkerOptions,
    explicit_links,
    usable_cpus,
)

if TYPE_CHECKING:
    from multiprocessing.queues import Queue

__all__ = ["Engine", "serve"]

# A channel's linker forgets everything older than its window; rebuilding it every this many
# messages (from the last `window` ones) keeps its memory bounded in a process that runs for weeks.
_LINKER_REBUILD_EVERY = 2000
# How many waiting batches the pipeline parses in one go (the analyzer keeps one more in flight,
# so the next group is always queued while one is answered).
_GROUP_BATCHES = 3
_NICENESS = 5
_SINGLE_CPU_NICENESS = 10


def _load(options: WorkerOptions) -> Language:
    """Build the pipeline the worker runs."""
    factory = options.pipeline_factory or load_pipeline
    return factory(options.pipeline or None, entities=options.entities)


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
        self._keys: list[str | None] = []
        """Per message given to the linker, its key (None for a system line)."""
        self._recent: list[Any] = []
        self.authors: dict[str, str] = {}
        """Recent message keys -> author, so a platform reply reference names its addressee."""

    def saw(self, request: Request) -> None:
        self.authors[request.key] = request.author
        if len(self.authors) > _LINKER_REBUILD_EVERY:
            del self.authors[next(iter(self.authors))]

    def link(self, request: Request) -> tuple[str, ...]:
        """Give the linker ``request``; return the keys of the messages it answers.

        System lines are context only (their answer is ``()``); a message the linker links to
        a system line alone ("welcome back" after a join) starts a conversation here, since
        only messages have keys others can refer to.
        """
        # As in the logs the linker learned from, a system line has no time of its own.
        when = None if request.system else request.at
        utterance = Utterance(request.author, request.text, when, system=request.system)
        if self._linker is None or len(self._keys) >= _LINKER_REBUILD_EVERY:
            self._rebuild()
        linker = self._linker
        assert linker is not None
        reply = linker.add(utterance)
        self._keys.append(None if request.system else request.key)
        self._recent.append(utterance)
        if len(self._recent) > linker.model.window:
            del self._recent[0]
        if request.reply_to is not None:
            return (request.reply_to,)
        if reply.starts_conversation:
            return ()
        return tuple(key for i in reply.antecedents if (key := self._keys[i]) is not None)

    def _rebuild(self) -> None:
        """Start a fresh linker primed with the last ``window`` messages.

        The linker keeps every message it was given (and its tokenizer every string), so a
        channel that talks for weeks would grow without bound; only the window matters.
        """
        linker = ReplyLinker(self._model)
        self._keys = self._keys[-len(self._recent) :] if self._recent else []
        for utterance in self._recent:
            linker.remember(utterance)  # context only: their links were decided already
        self._linker = linker


class Engine:
    """Everything a worker process holds for its role: the pipeline, or the reply linkers."""

    def __init__(self, options: WorkerOptions, role: Role = "both") -> None:
        self.options = options
        self.role = role
        self._channels: dict[tuple[str, str], _Channel] = {}
        self._roster_dirty: set[tuple[str, str]] = set()
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
        self._roster_dirty.add((network, channel))

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
            return [explicit_links(request) for request in batch.analysed()]
        links = [
            self.channel(request.network, request.channel).link(request)
            for request in batch.messages
        ]
        return [
            found
            for request, found in zip(batch.messages, links, strict=True)
            if not request.system
        ]

    def analyse(self, batch: Batch) -> list[Result]:
        """Run the pipeline over ``batch``; links are only the platform's explicit ones."""
        return self.analyse_together([batch])[0]

    def analyse_together(self, batches: Sequence[Batch]) -> list[list[Result]]:
        """Run the pipeline once over several batches; return each batch's results.

        One ``nlp.pipe`` over more messages parses each faster (~10% from 64 to 192). Roster
        changes are applied first, so only the first batch of a group should carry any.
        """
        reply_authors: list[str | None] = []
        messages: list[Request] = []
        for batch in batches:
            for change in batch.roster:
                self.apply(change)
            messages.extend(batch.analysed())
        for request in messages:
            state = self.channel(request.network, request.channel)
            if request.author not in state.nicks:
                state.nicks.add(request.author)
                self._roster_dirty.add((request.network, request.channel))
            target = request.reply_to
            reply_authors.append(state.authors.get(target) if target is not None else None)
            state.saw(request)
        if self._roster_dirty:
            # Each channel's own roster: a nick present elsewhere is not addressed here.
            set_rosters(
                self.nlp, {key: self._channels[key].nicks for key in sorted(self._roster_dirty)}
            )
            self._roster_dirty.clear()
        nlp = self.nlp
        with nlp.memory_zone():
            # Docs die with the zone: extract plain values inside it.
            made = []
            for request in messages:
                doc = nlp.make_doc(normalize_text(request.text))
                doc._.assistant_roster = (request.network, request.channel)
                made.append(doc)
            docs = nlp.pipe(made, batch_size=max(1, len(made)))
            values = [
                _values(analysis_of(doc, reply_to_author=author))
                for doc, author in zip(docs, reply_authors, strict=True)
            ]
        results = [
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
                messages, values, strict=True
            )
        ]
        answers: list[list[Result]] = []
        for batch in batches:
            count = len(batch.analysed())
            answers.append(results[:count])
            results = results[count:]
        return answers


class _Intake:
    """The worker's side of the request queue: one batch, or a group the pipeline takes at once.

    Under a flood several batches wait in the queue; the pipeline takes up to
    ``_GROUP_BATCHES`` of them together (never one with roster changes after the first, so each
    message is read with the roster of its moment). The reply linker answers batch by batch.
    """

    def __init__(self, requests: Queue[Batch | None], role: Role) -> None:
        self._requests = requests
        self._limit = _GROUP_BATCHES if role == "analysis" else 1
        self._held: list[Batch | None] = []
        """A request taken from the queue but not answered yet (a batch, or ``None``: stop)."""
        self.ended = False

    def next_group(self) -> list[Batch]:
        """The next batches to answer (empty once ``None``, the request to stop, arrived)."""
        first = self._held.pop() if self._held else self._requests.get()
        if first is None:
            self.ended = True
            return []
        group = [first]
        while len(group) < self._limit:
            try:
                more = self._requests.get_nowait()
            except queue.Empty:
                break
            if more is None or more.roster:
                self._held.append(more)
                break
            group.append(more)
        return group


def _yield_to_the_bot() -> None:
    """Make this process batch work, so the bot's event loop goes first when CPUs are short.

    The pipeline and the linker run as SCHED_BATCH (they never preempt on waking) at nice 5:
    the bot's keepalives and heartbeats must win when it wakes. A spare pipeline worker
    loads the same way, then runs at idle priority (:func:`_idle_from_now_on`). bench/nlp.py
    measures the rate and the lag, on two CPUs: without the spare, at nice 0, the analyzer
    reached 0.86 of raw ``nlp.pipe`` with the loop's lag p99 at 15 ms;
    the spare at nice 0 made it 1.1-1.4 but the lag 21-34 ms; at nice 5, 1.2-1.3 and 12-16 ms.
    Nice 10 gave about the same lag, but with another program's flood beside them openings
    came 3 s late at p99 (nice 5 keeps a quarter of a contended CPU; nice 10, a tenth).
    """
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
    with contextlib.suppress(OSError):
        # On a single CPU the bot and the workers take turns, and the bot must win.
        os.nice(_NICENESS if usable_cpus() > 1 else _SINGLE_CPU_NICENESS)


def _idle_from_now_on() -> None:
    """Run at idle priority (SCHED_IDLE): a CPU only when nothing else wants one.

    The spare pipeline worker turns idle time into throughput and never delays the bot, the
    linker or the main pipeline worker. It switches only once loaded: at idle priority on a
    machine other programs keep busy, loading the pipeline could take forever, and the
    analysis would wait for it to start.
    """
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


def serve(
    requests: Queue[Batch | None],
    results: Connection,
    options: WorkerOptions,
    role: Role = "both",
    spare: bool = False,
) -> None:
    """The worker process's main function: load once, then answer batches until ``None``."""
    # Ctrl-C reaches the whole process group; the bot decides when its worker stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _yield_to_the_bot()
    if spare:
        # The main worker loads the same pipeline and warns about it (the fallback, a package
        # that does not load); the spare saying it too would only print it twice.
        logging.getLogger("assistant.nlp.pipeline").setLevel(logging.ERROR)
    try:
        engine = Engine(options, role)
    except BaseException:
        results.send(("failed-start", traceback.format_exc()))
        return
    if spare:
        _idle_from_now_on()
    results.send(("ready", None))
    intake = _Intake(requests, role)
    while not intake.ended:
        group = intake.next_group()
        try:
            if len(group) > 1:
                answers: list[object] = list(engine.analyse_together(group))
            else:
                answers = [engine.answer(batch) for batch in group]
        except Exception:
            for batch in group:
                results.send(("failed", (batch.number, traceback.format_exc())))
            continue
        for batch, answer in zip(group, answers, strict=True):
            results.send(("done", (batch.number, answer)))
    results.close()
