"""The analyzer stage: channel messages in, stored and published analyses out, off the loop.

:meth:`Analyzer.submit` is synchronous and cheap: it turns a recorded channel message into a
plain :class:`~assistant.nlp.worker_messages.Request` and queues it. Requests leave in micro-batches
for the worker processes: a message that finds them idle leaves at once, alone; what arrives
while they are busy waits and leaves together as soon as they are done (``batch_size`` messages
at most, and never more than ``batch_wait`` seconds), so a quiet channel gets each analysis in
one message's parse time and a burst is parsed in batches. At most ``max_in_flight`` batches
per pipeline worker are outstanding: under a flood a pipeline worker parses up to three
waiting batches in one ``nlp.pipe`` (faster per message) while the fourth waits, so it is never
idle, and never holds a pile. Past that, requests wait here, up to ``backlog`` of them; more are
dropped and counted (a flood beyond what the machine can parse must not eat memory).

With ``spare_worker`` and two or more CPUs, a second pipeline process at idle priority takes
batches whenever it has fewer outstanding than the main one, so a flood is parsed on both
CPUs without ever delaying the bot. Results are stored and published in the order the lines
were said whichever worker finishes first, and a batch the spare holds longer than
``batch_wait`` while the main worker is idle is parsed by the main one too (a busy machine
may give the spare no CPU at all). A batch the main worker took back still waits in the
spare's queue, and so do the roster changes every pipeline gets: a worker is sent nothing more
while ``max_in_flight`` batches sent to it are unanswered, and the roster changes it misses
meanwhile go with the next batch it gets (once too many, as whole rosters), so a spare that
gets no CPU for days holds the bot's memory to a few batches.

Joins, parts, quits and nick changes keep each channel's roster for the pipeline worker and
reach the reply linker as system lines (:mod:`assistant.nlp.channel_rosters`); results are
stored and published by :mod:`assistant.nlp.analysis_store`. A worker that dies is restarted
(:mod:`assistant.nlp.supervision`); the batches it held are sent again once, then given up.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from assistant.events import Event, MessageAnalyzed, MessageReceived, analysis_key, irc_casefold
from assistant.nlp.analysis_store import AnalysisStore
from assistant.nlp.channel_rosters import ChannelRosters, SystemLine
from assistant.nlp.supervision import WorkerPool, WorkerSpec
from assistant.nlp.worker_messages import (
    Batch,
    Request,
    Result,
    RosterChange,
    WorkerOptions,
    explicit_links,
    usable_cpus,
)
from assistant.storage.database import Database

__all__ = ["Analyzer", "AnalyzerStats"]

log = logging.getLogger(__name__)

# Roster changes kept for a pipeline worker whose queue is full; past this many they are
# replaced by every channel's whole roster (bounded by who is present, not by how long it waits).
_HELD_CHANGES = 1000


@dataclass(slots=True)
class AnalyzerStats:
    """Counters, for logs, tests and benchmarks."""

    submitted: int = 0
    analysed: int = 0
    dropped: int = 0
    """Messages never analysed: the backlog was full, or a batch failed twice."""
    failed_batches: int = 0
    restarts: int = 0
    spare_batches: int = 0
    """Batches the spare pipeline worker parsed first."""


# The workers, by name: the pipeline, the spare pipeline (idle priority), the reply linker.
_MAIN, _SPARE, _LINKS = "analysis", "analysis-spare", "links"


@dataclass(slots=True)
class _Sent:
    batch: Batch
    messages: tuple[MessageReceived, ...]
    """The messages of its requests that are not system lines, for storing and publishing."""
    pipeline: str
    """The pipeline worker that parses it."""
    waiting: set[str]
    """The workers whose answer is still to come."""
    analyses: list[Result] | None = None
    links: list[tuple[str, ...]] | None = None
    attempts: dict[str, int] = field(default_factory=dict)
    lost: bool = False
    """The pipeline gave up on it: nothing to store, but later batches need not wait for it."""
    sent_at: float = 0.0
    """When it went to its pipeline worker (the loop's clock)."""


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
        spare_worker: bool = False,
    ) -> None:
        if batch_size < 1 or max_in_flight < 1 or backlog < 1:
            raise ValueError("batch_size, max_in_flight and backlog must be positive")
        self._store = AnalysisStore(db, publish)
        self.options = options or WorkerOptions()
        self.batch_size = batch_size
        self.batch_wait = batch_wait
        self.max_in_flight = max_in_flight
        self.backlog_limit = backlog
        self.stats = AnalyzerStats()
        # The pipeline and the reply linker each get a process: they run in parallel. With a
        # CPU to spare, a second pipeline process at idle priority takes batches too.
        self._pipelines: tuple[str, ...] = (
            (_MAIN, _SPARE) if spare_worker and usable_cpus() > 1 else (_MAIN,)
        )
        names: tuple[str, ...] = self._pipelines + ((_LINKS,) if self.options.link_replies else ())
        specs: dict[str, WorkerSpec] = {
            name: ("links" if name == _LINKS else "analysis", name == _SPARE) for name in names
        }
        self._pool = WorkerPool(
            self.options, specs, self._on_worker, self._restarted, start_timeout=start_timeout
        )
        self._closing = False
        self._backlog: deque[tuple[Request, MessageReceived | None]] = deque()
        """Messages with their event, and system lines (none), in the order they came."""
        self._rosters = ChannelRosters()
        self._in_flight: dict[int, _Sent] = {}
        self._numbers = 0
        self._timer: asyncio.TimerHandle | None = None
        self._steal_timer: asyncio.TimerHandle | None = None
        self._flushing = False
        """A stored batch released the next one: `_flush` runs again on the next turn."""
        self._idle = asyncio.Event()
        self._idle.set()
        self._last_keys: dict[tuple[str, str], str] = {}
        self._queued: Counter[str] = Counter()
        self._held: dict[str, list[RosterChange]] = {}

    @property
    def worker_pid(self) -> int | None:
        """The pipeline worker process's id (None while it is not running)."""
        return self.worker_pids.get(_MAIN)

    @property
    def worker_pids(self) -> dict[str, int]:
        """The id of each running worker process, by name: ``analysis``, ``links`` and
        ``analysis-spare`` (the spare pipeline worker, when there is one)."""
        return self._pool.pids

    @property
    def queued(self) -> dict[str, int]:
        """Per worker, the batches sent to it and not answered yet (taken-back and roster-only
        ones too): at most ``max_in_flight`` plus one roster batch, however slow it is."""
        return {name: self._queued[name] for name in self._pool.names}

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
        await self._pool.start()
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
        drained = await self.drain(timeout) if self._pool.running else False
        self._closing = True
        for timer in (self._timer, self._steal_timer):
            if timer is not None:
                timer.cancel()
        self._timer = self._steal_timer = None
        left = self.pending
        if not drained and left:
            self.stats.dropped += left
            log.warning("analysis: stopped with %d message(s) not analysed", left)
        self._idle.set()  # nothing more will be analysed: whoever waits in drain goes on
        await self._pool.stop()

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
        key = event.message_id or self._make_key(network, channel_key, event)
        request = Request(
            network, channel_key, key, author, event.text, event.timestamp, event.reply_to
        )
        self._queue(request, event)

    def _system(self, line: SystemLine, event: Event) -> None:
        if len(self._backlog) >= self.backlog_limit:
            return  # context only: losing it costs a little linking accuracy, nothing stored
        request = Request(
            line.network, line.channel, "", line.nick, line.text, event.timestamp, system=True
        )
        self._queue(request, None)

    def _queue(self, request: Request, message: MessageReceived | None) -> None:
        self._backlog.append((request, message))
        self._idle.clear()
        if len(self._backlog) >= self.batch_size or not self._in_flight:
            # Idle workers take a message at once: waiting for company only adds latency.
            self._pump(force=not self._in_flight)
        if self._backlog and self._timer is None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(self.batch_wait, self._wait_over)

    def _make_key(self, network: str, channel: str, event: MessageReceived) -> str:
        # IRC has no message ids: the author and the instant name a line, and a rare second
        # line in the same microsecond gets a suffix.
        key = analysis_key(event)
        last = self._last_keys.get((network, channel))
        if last is not None and (last == key or last.startswith(key + "#")):
            key = analysis_key(event, int(last.rpartition("#")[2]) + 1 if "#" in last else 2)
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
        if not self._pool.ready or self._closing:
            return
        room = self.max_in_flight * len(self._pipelines)
        while len(self._in_flight) < room and self._backlog:
            if len(self._backlog) < self.batch_size and not force:
                break
            take = min(self.batch_size, len(self._backlog))
            pipeline = self._least_busy()
            if pipeline is None:
                break  # every pipeline worker has its fill: the backlog waits here
            items = [self._backlog.popleft() for _ in range(take)]
            self._numbers += 1
            changes = self._rosters.take_changes()
            batch = Batch(self._numbers, changes, tuple(item[0] for item in items))
            messages = tuple(item[1] for item in items if item[1] is not None)
            waiting = {pipeline, _LINKS} if _LINKS in self._pool.names else {pipeline}
            now = asyncio.get_running_loop().time()
            self._in_flight[batch.number] = _Sent(batch, messages, pipeline, waiting, sent_at=now)
            for name in self._pipelines:
                if name != pipeline and changes:
                    self._share(name, changes)  # every pipeline keeps the rosters
            for name in waiting:
                self._send(name, batch)
        if self._rosters.has_changes and not self._backlog:
            # Nothing to carry them: send them alone so the pipelines' rosters stay current
            # (batch 0 is never tracked; its empty answer is ignored).
            changes = self._rosters.take_changes()
            for name in self._pipelines:
                self._share(name, changes)
        if len(self._pipelines) > 1:
            self._steal()
        self._check_idle()

    def _steal(self) -> None:
        """Give the main pipeline worker, when idle, a batch the spare has held too long.

        The spare runs only on CPU time nobody else wants; on a busy machine that may be
        none, and results are published in order, so a batch stuck there would hold up all
        later ones. After ``batch_wait`` the idle main worker parses it too; the first answer
        counts.
        """
        if self._steal_timer is not None:
            return  # set for the spare's oldest batch; it looks again when that one is due
        if any(_MAIN in sent.waiting for sent in self._in_flight.values()):
            return
        if self._queued[_MAIN] >= self.max_in_flight:
            return  # roster batches fill its queue; it looks again when they are answered
        loop = asyncio.get_running_loop()
        for sent in self._in_flight.values():
            if sent.pipeline != _SPARE or _SPARE not in sent.waiting:
                continue
            due = sent.sent_at + self.batch_wait - loop.time()
            if due > 0:
                self._steal_timer = loop.call_later(due, self._pump_now)
            else:
                sent.waiting.add(_MAIN)
                self._send(_MAIN, sent.batch)
            return

    def _pump_now(self) -> None:
        self._steal_timer = None
        self._pump(force=False)

    def _least_busy(self) -> str | None:
        """The pipeline worker with the fewest batches queued (the main one on a tie), or
        None when each has ``max_in_flight`` unanswered."""
        queued = self._queued
        free = [name for name in self._pipelines if queued[name] < self.max_in_flight]
        return min(free, key=lambda name: queued[name], default=None)

    def _share(self, name: str, changes: tuple[RosterChange, ...]) -> None:
        """Give pipeline worker ``name`` roster changes it does not get with a batch of its own.

        A worker with a full queue (a spare that gets no CPU) is sent nothing: they wait for
        its next batch, as whole rosters once there are too many.
        """
        if self._queued[name] < self.max_in_flight:
            self._send(name, Batch(0, changes, ()))
            return
        held = self._held.setdefault(name, [])
        held.extend(changes)
        if len(held) > _HELD_CHANGES:
            # Later changes are sent after these and only add or remove nicks: still right.
            self._held[name] = list(self._rosters.everything())

    def _send(self, name: str, batch: Batch) -> None:
        held = self._held.pop(name, None)
        if held:
            batch = Batch(batch.number, (*held, *batch.roster), batch.messages)
        self._queued[name] += 1
        self._pool.send(name, batch)

    def _check_idle(self) -> None:
        if not self._backlog and not self._in_flight:
            self._idle.set()

    # ------------------------------------------------------------------ results

    def _on_worker(self, name: str, kind: str, payload: object) -> None:
        if self._closing:
            return  # what arrives now was already counted as not analysed
        if kind == "died":
            self._worker_died(name, payload)
            return
        if kind in ("done", "failed") and self._queued[name] > 0:
            self._queued[name] -= 1
        if kind == "done":
            number, answer = cast("tuple[int, Any]", payload)
            sent = self._in_flight.get(number)
            if sent is not None and name in sent.waiting:
                if name == _LINKS:
                    sent.links = answer
                else:
                    sent.analyses = answer
                    sent.waiting.difference_update(self._pipelines)  # the first answer counts
                    self.stats.spare_batches += name == _SPARE
                self._answered(sent, name)
        elif kind == "failed":
            number, trace = cast("tuple[int, str]", payload)
            self.stats.failed_batches += 1
            log.error("analysis: a batch failed in the %s worker; skipped:\n%s", name, trace)
            sent = self._in_flight.get(number)
            if sent is not None and name in sent.waiting:
                self._give_up(sent, name)
        # The workers just freed up: what waited while they were busy goes now, as one batch.
        self._pump(force=self._timer is None or not self._in_flight)

    def _answered(self, sent: _Sent, name: str) -> None:
        sent.waiting.discard(name)
        if not self._flushing:
            self._flush()

    def _flush(self) -> None:
        """Store and publish the oldest batch if it is complete; the next one on the next turn.

        Two pipeline workers may finish out of order: results are stored and published in
        the order the messages were said, so a finished batch waits for the earlier ones.
        When one late batch releases several, each is stored in a turn of its own, so the
        loop never spends more than one batch's storing at once.
        """
        if self._closing or not self._in_flight:
            return
        first = next(iter(self._in_flight.values()))
        if first.waiting:
            return
        del self._in_flight[first.batch.number]
        if first.analyses is not None and not first.lost:
            self.stats.analysed += self._store.store(
                first.batch.analysed(), first.messages, first.analyses, first.links
            )
        if self._in_flight and not next(iter(self._in_flight.values())).waiting:
            self._flushing = True
            asyncio.get_running_loop().call_soon(self._flush_next)

    def _flush_next(self) -> None:
        """The next turn of a `_flush` run; once it ends, the freed room is filled."""
        self._flushing = False
        self._flush()
        if not self._flushing:
            self._pump(force=self._timer is None or not self._in_flight)

    def _give_up(self, sent: _Sent, name: str) -> None:
        """Do without ``name``'s answer: no links is a loss; no analysis loses the batch."""
        if name == _LINKS:
            sent.links = [explicit_links(request) for request in sent.batch.analysed()]
        elif any(other != name and other in sent.waiting for other in self._pipelines):
            sent.waiting.discard(name)  # the other pipeline worker parses it too
            return
        else:
            self.stats.dropped += len(sent.messages)
            sent.lost = True
        self._answered(sent, name)

    # ------------------------------------------------------------------ the workers

    def _worker_died(self, name: str, exitcode: object) -> None:
        if not self._pool.died(name, exitcode):
            return
        for sent in list(self._in_flight.values()):
            if name not in sent.waiting:
                continue
            sent.attempts[name] = sent.attempts.get(name, 0) + 1
            if sent.attempts[name] >= 2:
                log.error(
                    "analysis: a batch of %d message(s) was lost twice by the %s worker; skipped",
                    len(sent.messages),
                    name,
                )
                self._give_up(sent, name)

    def _restarted(self, name: str) -> None:
        """A new ``name`` worker is ready: it gets the rosters and the batches it lost."""
        self.stats.restarts += 1
        self._queued[name] = 0  # the new process's queue is empty
        self._held.pop(name, None)  # it is sent every roster below
        if name in self._pipelines:
            # A new process knows nothing: every roster first, then the batches it lost.
            self._send(name, Batch(0, self._rosters.everything(), ()))
        for sent in self._in_flight.values():
            if name in sent.waiting:
                self._send(name, sent.batch)
        self._pump(force=True)
