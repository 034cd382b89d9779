"""The analysis worker: a separate process that runs spaCy and the reply linker on micro-batches.

spaCy holds the GIL while it parses, so in a thread of the bot's own process it would delay
every keepalive; in a process of its own it costs the event loop nothing. The process loads
the pipeline once, then takes batches of plain :class:`Request` values (and roster changes)
from a queue, runs ``nlp.pipe`` over each batch inside ``nlp.memory_zone()`` (so its string
store stays flat for weeks), links each message to the earlier message(s) it answers with a
per-channel :class:`~assistant.nlp.reply_linker.ReplyLinker`, and sends plain
:class:`Result` values back through a pipe.

:class:`AnalysisWorker` is the bot's side: it starts and stops the process, queues batches
without blocking (the queue's feeder thread does the writing), and reads results on a
thread of its own that hands them to the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from multiprocessing.context import SpawnProcess
    from multiprocessing.queues import Queue

    from spacy.language import Language

__all__ = [
    "AnalysisWorker",
    "Batch",
    "PipelineFactory",
    "Request",
    "Result",
    "Role",
    "RosterChange",
    "WorkerDied",
    "WorkerOptions",
    "explicit_links",
    "usable_cpus",
]

log = logging.getLogger(__name__)


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


class WorkerDied(RuntimeError):
    """The worker process ended without being asked to."""


def usable_cpus() -> int:
    """CPUs this process may run on (it decides the workers' priorities and the spare)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def explicit_links(request: Request) -> tuple[str, ...]:
    """The links a message carries itself: the platform's reply reference, if any."""
    return (request.reply_to,) if request.reply_to is not None else ()


def _serve(*args: Any) -> None:
    # The process's entry point; spaCy is imported there, never in the bot's process.
    from assistant.nlp.engine import serve

    serve(*args)


OnMessage = Callable[[str, Any], None]


class AnalysisWorker:
    """One worker process seen from the event loop: start, send batches, receive results.

    ``on_message(kind, payload)`` is called on the loop for every message from the process:
    ``("done", (number, results))``, ``("failed", (number, traceback))``, and
    ``("died", exitcode)`` once if the process ends without :meth:`stop`.
    """

    def __init__(
        self,
        options: WorkerOptions,
        on_message: OnMessage,
        *,
        role: Role = "both",
        context: str = "spawn",
        spare: bool = False,
    ) -> None:
        self.options = options
        self.role = role
        self.spare = spare
        """A spare pipeline worker: runs at idle priority, on CPU time nobody else wants."""
        self._on_message = on_message
        self._ctx: Any = multiprocessing.get_context(context)
        self._process: SpawnProcess | None = None
        self._requests: Queue[Batch | None] | None = None
        self._results: Connection | None = None
        self._reader: threading.Thread | None = None
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def pid(self) -> int | None:
        """The worker process id, while it runs."""
        return self._process.pid if self._process is not None else None

    @property
    def alive(self) -> bool:
        """Whether the process is running."""
        return self._process is not None and self._process.is_alive()

    async def start(self, timeout: float = 120.0) -> None:  # noqa: ASYNC109 -- bounds the load
        """Start the process and wait until it has loaded the pipeline.

        Raises:
            WorkerDied: the process failed to load the pipeline (the message says why).
            TimeoutError: it did not become ready within ``timeout`` seconds.
        """
        self._loop = asyncio.get_running_loop()
        self._stopping = False
        requests: Queue[Batch | None] = self._ctx.Queue()
        receive, send = self._ctx.Pipe(duplex=False)
        process = self._ctx.Process(
            target=_serve,
            args=(requests, send, self.options, self.role, self.spare),
            name=f"presence-{self.role}{'-spare' if self.spare else ''}",
            daemon=True,
        )
        process.start()
        send.close()  # only the child writes: its exit then reads as end-of-file here
        self._process, self._requests, self._results = process, requests, receive
        try:
            ready = await asyncio.wait_for(
                self._loop.run_in_executor(None, _first, receive), timeout
            )
        except BaseException:
            await self.stop(timeout=1)
            raise
        if ready[0] != "ready":
            await self.stop(timeout=1)
            raise WorkerDied(f"the analysis worker could not start:\n{ready[1]}")
        reader = threading.Thread(
            target=self._read, args=(receive,), name="presence-analysis-reader", daemon=True
        )
        self._reader = reader
        reader.start()

    def send(self, batch: Batch) -> None:
        """Queue ``batch`` for the process; never blocks (a feeder thread writes it)."""
        if self._requests is None:
            raise RuntimeError("the analysis worker is not started")
        self._requests.put(batch)

    def kill(self) -> None:
        """Kill the process abruptly (tests of recovery use this)."""
        if self._process is not None and self._process.pid is not None:
            self._process.kill()

    async def stop(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109 -- then it kills
        """Ask the process to finish its queue and exit; kill it after ``timeout`` (idempotent)."""
        self._stopping = True
        process, requests = self._process, self._requests
        self._process = self._requests = None
        if process is None:
            return
        if requests is not None:
            with contextlib.suppress(Exception):
                requests.put(None)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, process.join, timeout)
        if process.is_alive():
            log.warning("analysis worker %s did not stop in %.0f s; killed", process.pid, timeout)
            process.kill()
            await loop.run_in_executor(None, process.join, 5)
        if requests is not None:
            # Never wait for the feeder thread to flush into a pipe nobody reads any more.
            requests.cancel_join_thread()
            requests.close()
        reader = self._reader
        self._reader = None
        if reader is not None:
            await loop.run_in_executor(None, reader.join, 5)
        if self._results is not None:
            self._results.close()
            self._results = None
        if process.exitcode is not None:
            process.close()
        # else: killed, but not yet scheduled to die (a starved process on a busy machine);
        # multiprocessing reaps it later, and closing it now would raise.

    def _read(self, conn: Connection) -> None:
        """Hand every message from the process to the loop; report the process's end."""
        loop = self._loop
        assert loop is not None
        while True:
            try:
                kind, payload = conn.recv()
            except (EOFError, OSError):
                break
            if loop.is_closed():
                return
            loop.call_soon_threadsafe(self._on_message, kind, payload)
        if not self._stopping and not loop.is_closed():
            process = self._process
            code = process.exitcode if process is not None else None
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._on_message, "died", code)


def _first(conn: Connection) -> tuple[str, Any]:
    try:
        message: tuple[str, Any] = conn.recv()
    except EOFError:
        return ("failed-start", "the process exited while loading the pipeline")
    return message
