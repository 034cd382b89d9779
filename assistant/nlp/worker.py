"""The analysis worker: a separate process that runs spaCy and the reply linker on micro-batches.

spaCy holds the GIL while it parses, so in a thread of the bot's own process it would delay
every keepalive; in a process of its own it costs the event loop nothing. The process loads
the pipeline once, then takes batches of plain requests (and roster changes)
from a queue, runs ``nlp.pipe`` over each batch inside ``nlp.memory_zone()`` (so its string
store stays flat for weeks), links each message to the earlier message(s) it answers with a
per-channel :class:`~assistant.nlp.reply_linker.ReplyLinker`, and sends plain results back
through a pipe. Those values are in :mod:`assistant.nlp.worker_messages`; the process runs
:mod:`assistant.nlp.engine`.

:class:`AnalysisWorker` is the bot's side: it starts and stops the process, queues batches
without blocking (the queue's feeder thread does the writing), and reads results on a
thread of its own that hands them to the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from assistant.nlp.worker_messages import Batch, Role, WorkerOptions

if TYPE_CHECKING:
    from multiprocessing.context import SpawnProcess
    from multiprocessing.queues import Queue

# WorkerOptions is here too: it is what the bot's side gives an AnalysisWorker.
__all__ = ["AnalysisWorker", "WorkerDied", "WorkerOptions"]

log = logging.getLogger(__name__)


class WorkerDied(RuntimeError):
    """The worker process ended without being asked to."""


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
