"""The analyzer stage: channel messages in, stored and published analyses out, off the loop.

:meth:`Analyzer.submit` is synchronous and cheap: it turns a recorded channel message into a
plain :class:`~assistant.nlp.worker.Request` and queues it. Requests leave in micro-batches
for the worker processes: a message that finds them idle leaves at once, alone; what arrives
while they are busy waits and leaves together as soon as they are done (``batch_size`` messages
at most, and never more than ``batch_wait`` seconds), so a quiet channel gets each analysis in
one message's parse time and a burst is parsed in batches. At most ``max_in_flight`` batches
are outstanding: under a flood the pipeline
worker parses up to three waiting batches in one ``nlp.pipe`` (faster per message) while the
fourth waits, so it is never idle, and never holds a pile. Past that, requests wait here, up
to ``backlog`` of them; more are dropped and counted (a flood beyond what the machine can
parse must not eat memory).

Joins, parts, quits and nick changes keep each channel's roster for the pipeline worker and
reach the reply linker as system lines (:mod:`assistant.nlp.channel_rosters`); results are
stored and published by :mod:`assistant.nlp.analysis_store`. A worker that dies is restarted;
the batches it held are sent again once, then given up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from assistant.events import Event, MessageAnalyzed, MessageReceived, irc_casefold
from assistant.nlp.analysis_store import AnalysisStore, MessageMeta
from assistant.nlp.channel_rosters import ChannelRosters, SystemLine
from assistant.nlp.worker import (
    AnalysisWorker,
    Batch,
    Request,
    Result,
    Role,
    WorkerDied,
    WorkerOptions,
    explicit_links,
)
from assistant.storage.database import Database

__all__ = ["Analyzer", "AnalyzerStats"]

log = logging.getLogger(__name__)

_RESTART_DELAYS = (0.5, 2.0, 10.0, 30.0)


@dataclass(slots=True)
class AnalyzerStats:
    """Counters, for logs, tests and benchmarks."""

    submitted: int = 0
    analysed: int = 0
    dropped: int = 0
    """Messages never analysed: the backlog was full, or a batch failed twice."""
    failed_batches: int = 0
    restarts: int = 0


@dataclass(slots=True)
class _Sent:
    batch: Batch
    meta: tuple[MessageMeta, ...]
    """Per message that is not a system line, for storing and publishing."""
    waiting: set[Role]
    analyses: list[Result] | None = None
    links: list[tuple[str, ...]] | None = None
    attempts: dict[Role, int] = field(default_factory=dict)


class Analyzer:
    """Feeds channel messages to an analysis worker process; stores and publishes the results.

    ``publish`` receives every :class:`MessageAnalyzed`, on the event loop, after its row was
    queued on the writer. ``options`` say how the worker builds its pipeline.
    """

    def __init__(
        self,
        db: Database,
        publish: Callable[[MessageAnalyzed], None],
        options: WorkerOptions | None = None,
        *,
        batch_size: int = 64,
        batch_wait: float = 0.05,
        max_in_flight: int = 4,
        backlog: int = 50_000,
        start_timeout: float = 120.0,
    ) -> None:
        if batch_size < 1 or max_in_flight < 1 or backlog < 1:
            raise ValueError("batch_size, max_in_flight and backlog must be positive")
        self._store = AnalysisStore(db, publish)
        self.options = options or WorkerOptions()
        self.batch_size = batch_size
        self.batch_wait = batch_wait
        self.max_in_flight = max_in_flight
        self.backlog_limit = backlog
        self._start_timeout = start_timeout
        self.stats = AnalyzerStats()
        # The pipeline and the reply linker each get a process: they run in parallel.
        self._roles: tuple[Role, ...] = (
            ("analysis", "links") if self.options.link_replies else ("analysis",)
        )
        self._workers: dict[Role, AnalysisWorker] = {}
        self._restarting: dict[Role, asyncio.Task[None]] = {}
        self._closing = False
        self._backlog: deque[tuple[Request, MessageMeta | None]] = deque()
        """Messages with their meta, and system lines (no meta), in the order they came."""
        self._rosters = ChannelRosters()
        self._in_flight: dict[int, _Sent] = {}
        self._numbers = 0
        self._timer: asyncio.TimerHandle | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        self._last_keys: dict[tuple[str, str], str] = {}

    @property
    def worker_pid(self) -> int | None:
        """The pipeline worker process's id (None while it is not running)."""
        return self.worker_pids.get("analysis")

    @property
    def worker_pids(self) -> dict[Role, int]:
        """The id of each running worker process, by role."""
        return {
            role: pid for role, worker in self._workers.items() if (pid := worker.pid) is not None
        }

    @property
    def _ready(self) -> bool:
        return len(self._workers) == len(self._roles) and not self._restarting

    @property
    def pending(self) -> int:
        """Messages and system lines submitted but not done yet (here or in the workers)."""
        held = sum(len(sent.batch.messages) for sent in self._in_flight.values())
        return len(self._backlog) + held

    async def start(self) -> None:
        """Start the worker processes and wait until the pipeline is loaded.

        Raises:
            WorkerDied: the pipeline could not be loaded (the message says why).
        """
        try:
            await asyncio.gather(*(self._start_worker(role) for role in self._roles))
        except BaseException:
            await self._stop_workers()
            raise
        self._pump(force=True)

    def submit(self, event: Event) -> None:
        """Take one recorded event; never awaits. Channel messages are queued for analysis.

        Joins, parts, quits and nick changes keep each channel's roster, so the worker knows
        which words are nicks (addressees) there, and are queued as system lines for the reply
        linker; other events are ignored.
        """
        if self._closing:
            return
        if isinstance(event, MessageReceived):
            if event.channel is not None:
                self._message(event, event.channel)
            return
        for line in self._rosters.apply(event):
            self._system(line, event)

    async def drain(self, timeout: float | None = None) -> bool:  # noqa: ASYNC109
        """Wait until everything submitted so far is analysed; False if ``timeout`` ran out."""
        self._pump(force=True)
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def stop(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 -- then it ends
        """Analyse what is pending (for at most ``timeout`` seconds), then end the worker."""
        if self._closing:
            return
        drained = await self.drain(timeout) if self._workers or self._restarting else False
        self._closing = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for task in list(self._restarting.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        left = self.pending
        if not drained and left:
            self.stats.dropped += left
            log.warning("analysis: stopped with %d message(s) not analysed", left)
        await self._stop_workers()

    async def _stop_workers(self) -> None:
        workers = list(self._workers.values())
        self._workers.clear()
        await asyncio.gather(*(worker.stop(timeout=5) for worker in workers))

    # ------------------------------------------------------------------ intake

    def _message(self, event: MessageReceived, channel: str) -> None:
        network = event.network
        channel_key = irc_casefold(channel)
        author = event.actor.nick
        self._rosters.spoke(network, channel_key, author)
        self.stats.submitted += 1
        if len(self._backlog) >= self.backlog_limit:
            self.stats.dropped += 1
            if self.stats.dropped % 1000 == 1:
                log.warning(
                    "analysis: more than %d messages waiting; %d dropped so far",
                    self.backlog_limit,
                    self.stats.dropped,
                )
            return
        at = event.timestamp.timestamp()
        key = event.message_id or self._make_key(network, channel_key, event.actor.key, at)
        request = Request(
            network, channel_key, key, author, event.text, event.timestamp, event.reply_to
        )
        self._queue(request, (event.platform, event.actor.key, channel))

    def _system(self, line: SystemLine, event: Event) -> None:
        if len(self._backlog) >= self.backlog_limit:
            return  # context only: losing it costs a little linking accuracy, nothing stored
        request = Request(
            line.network, line.channel, "", line.nick, line.text, event.timestamp, system=True
        )
        self._queue(request, None)

    def _queue(self, request: Request, meta: MessageMeta | None) -> None:
        self._backlog.append((request, meta))
        self._idle.clear()
        if len(self._backlog) >= self.batch_size or not self._in_flight:
            # Idle workers take a message at once: waiting for company only adds latency.
            self._pump(force=not self._in_flight)
        if self._backlog and self._timer is None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(self.batch_wait, self._wait_over)

    def _make_key(self, network: str, channel: str, identity: str, at: float) -> str:
        # IRC has no message ids: the author and the instant name a line, and a rare second
        # line in the same microsecond gets a suffix.
        key = f"{identity}@{at:.6f}"
        last = self._last_keys.get((network, channel))
        if last is not None and (last == key or last.startswith(key + "#")):
            suffix = int(last.rpartition("#")[2]) + 1 if "#" in last else 2
            key = f"{key}#{suffix}"
        self._last_keys[network, channel] = key
        return key

    # ------------------------------------------------------------------ batching

    def _wait_over(self) -> None:
        self._timer = None
        self._pump(force=True)
        if self._backlog and self._timer is None:
            # Still waiting for a free slot; look again after another wait.
            self._timer = asyncio.get_running_loop().call_later(self.batch_wait, self._wait_over)

    def _pump(self, *, force: bool) -> None:
        """Send batches while there is room: full ones, or a partial one when ``force``."""
        if not self._ready or self._closing:
            return
        while len(self._in_flight) < self.max_in_flight and self._backlog:
            if len(self._backlog) < self.batch_size and not force:
                break
            take = min(self.batch_size, len(self._backlog))
            items = [self._backlog.popleft() for _ in range(take)]
            self._numbers += 1
            batch = Batch(
                self._numbers, self._rosters.take_changes(), tuple(item[0] for item in items)
            )
            meta = tuple(item[1] for item in items if item[1] is not None)
            sent = _Sent(batch, meta, set(self._roles))
            self._in_flight[batch.number] = sent
            for role in self._roles:
                self._send(role, batch)
        if self._rosters.has_changes and not self._backlog:
            # Nothing to carry them: send them alone so the pipeline's roster stays current
            # (batch 0 is never tracked; its empty answer is ignored).
            self._send("analysis", Batch(0, self._rosters.take_changes(), ()))
        self._check_idle()

    def _send(self, role: Role, batch: Batch) -> None:
        try:
            self._workers[role].send(batch)
        except Exception:
            log.exception("analysis: cannot send a batch to the %s worker", role)

    def _check_idle(self) -> None:
        if not self._backlog and not self._in_flight:
            self._idle.set()

    # ------------------------------------------------------------------ results

    def _on_worker(self, role: Role, kind: str, payload: object) -> None:
        if self._closing:
            return  # what arrives now was already counted as not analysed
        if kind == "died":
            self._worker_died(role, payload)
            return
        if kind == "done":
            number, answer = cast("tuple[int, Any]", payload)
            sent = self._in_flight.get(number)
            if sent is not None and role in sent.waiting:
                if role == "analysis":
                    sent.analyses = answer
                else:
                    sent.links = answer
                self._answered(sent, role)
        elif kind == "failed":
            number, trace = cast("tuple[int, str]", payload)
            self.stats.failed_batches += 1
            log.error("analysis: a batch failed in the %s worker; skipped:\n%s", role, trace)
            sent = self._in_flight.get(number)
            if sent is not None:
                self._give_up(sent, role)
        # The workers just freed up: what waited while they were busy goes now, as one batch.
        self._pump(force=self._timer is None or not self._in_flight)

    def _answered(self, sent: _Sent, role: Role) -> None:
        sent.waiting.discard(role)
        if sent.waiting:
            return
        del self._in_flight[sent.batch.number]
        if sent.analyses is not None:
            self.stats.analysed += self._store.store(
                sent.batch.analysed(), sent.meta, sent.analyses, sent.links
            )

    def _give_up(self, sent: _Sent, role: Role) -> None:
        """Do without ``role``'s answer: no links is a loss; no analysis loses the batch."""
        if role == "links":
            sent.links = [explicit_links(request) for request in sent.batch.analysed()]
            self._answered(sent, role)
        else:
            self.stats.dropped += len(sent.meta)
            del self._in_flight[sent.batch.number]

    # ------------------------------------------------------------------ the workers

    async def _start_worker(self, role: Role) -> None:
        worker = AnalysisWorker(
            self.options,
            lambda kind, payload: self._on_worker(role, kind, payload),
            role=role,
        )
        await worker.start(timeout=self._start_timeout)
        self._workers[role] = worker
        log.info("analysis: %s worker %s ready", role, worker.pid)

    def _worker_died(self, role: Role, exitcode: object) -> None:
        if self._closing or role in self._restarting:
            return
        log.error("analysis: the %s worker died (exit code %s); restarting it", role, exitcode)
        dead = self._workers.pop(role, None)
        for number in sorted(self._in_flight):
            sent = self._in_flight[number]
            if role not in sent.waiting:
                continue
            sent.attempts[role] = sent.attempts.get(role, 0) + 1
            if sent.attempts[role] >= 2:
                log.error(
                    "analysis: a batch of %d message(s) was lost twice by the %s worker; skipped",
                    len(sent.meta),
                    role,
                )
                self._give_up(sent, role)
        self._restarting[role] = asyncio.create_task(
            self._restart(role, dead), name=f"analysis-restart-{role}"
        )

    async def _restart(self, role: Role, dead: AnalysisWorker | None) -> None:
        if dead is not None:
            with contextlib.suppress(Exception):
                await dead.stop(timeout=1)
        attempt = 0
        try:
            while not self._closing:
                try:
                    await self._start_worker(role)
                except (WorkerDied, TimeoutError, OSError) as exc:
                    delay = _RESTART_DELAYS[min(attempt, len(_RESTART_DELAYS) - 1)]
                    log.error(
                        "analysis: the %s worker did not start (%s); again in %.1f s",
                        role,
                        exc,
                        delay,
                    )
                    attempt += 1
                    await asyncio.sleep(delay)
                    continue
                self.stats.restarts += 1
                break
        finally:
            del self._restarting[role]
        if role == "analysis":
            # A new process knows nothing: every roster first, then the batches it lost.
            self._send(role, Batch(0, self._rosters.everything(), ()))
        for number in sorted(self._in_flight):
            if role in self._in_flight[number].waiting:
                self._send(role, self._in_flight[number].batch)
        self._pump(force=True)
