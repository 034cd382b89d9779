"""The one writer: every write to the database goes through a single ordered queue.

Callers queue plain ``(sql, params)`` operations; a background task commits them in
batches, one transaction per batch, run as a single call on the backend's own thread
(:class:`~assistant.storage.backend.Backend`; aiosqlite's for SQLite) so that
a batch costs one thread hop rather than one per statement. Consecutive operations with the
same SQL become one ``executemany``.

Why one task owns every write: a transaction half-done when its awaiting coroutine is
cancelled (shutdown, a timed-out command) would wedge the connection. Callers of
:meth:`~BatchWriter.flush` and :meth:`~BatchWriter.run` only await futures, so cancelling
them never interrupts a transaction.

Bounded loss: ``batch_size`` is the most operations ever left uncommitted. A batch (one
transaction) holds at most half of them, so that the next half can fill while one commits;
it is due when that many are pending or ``flush_interval`` has passed. Once a batch is due
the writer's thread commits batch after batch until nothing is pending, without waiting
for the event loop between them.

Backpressure without blocking the loop: whatever takes in a flood (the recorder, for the
connectors) awaits :meth:`BatchWriter.room` (or :meth:`BatchWriter.put`) before it queues,
which suspends it, and only it, while ``batch_size`` operations are uncommitted. The
connector awaiting the recorder then reads no further, so a flood goes at the disk's pace
instead of piling up in memory, while keepalives, timers and other connectors go on
running. A crash (even ``kill -9``) therefore loses at most ``batch_size`` operations (plus
the few writes of the one event queued after the wait), SQLite's WAL making each batch
all-or-nothing. :meth:`BatchWriter.submit` never waits: it is for writes that follow from
what was let in (analyses, openings) or for code that paces itself (importers, replays).
Exception, visible in :attr:`BatchWriter.stalls`: a batch that takes longer than
``STALL_LIMIT`` seconds to commit (a disk that stalls, a lock held by another program) stops
holding writes back until it is done.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import Counter, deque
from collections.abc import Callable
from typing import Any, TypeVar

from assistant.storage.backend import Backend, Op, Params

__all__ = ["STALL_LIMIT", "BatchWriter", "Op", "Params", "StorageError"]

log = logging.getLogger(__name__)

T = TypeVar("T")

STALL_LIMIT = 1.0
"""Seconds :meth:`BatchWriter.room` holds a caller back waiting for one batch to commit."""


class StorageError(Exception):
    """The database could not be written; the unwritten operations stay queued for a retry."""


class BatchWriter:
    """The one writer: ops are queued in order and committed in batches by one task.

    A batch of at most ``batch_size // 2`` ops (the ``chunk``) is committed in ONE
    transaction as soon as that many ops are pending, on a short timer
    (``flush_interval``), on :meth:`flush`, and at :meth:`close`. Exclusive work
    (:meth:`run`) is ordered after everything submitted before it. A crash loses at most
    ``batch_size`` ops, never corrupts.

    The batches are written on the backend's thread (:meth:`Backend.run`, aiosqlite's for
    SQLite); ``_lock`` guards what that thread and the loop share (the pending ops, the
    sequence numbers, the counters).
    """

    def __init__(
        self,
        backend: Backend[Any],
        *,
        batch_size: int = 2000,
        flush_interval: float = 0.25,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if flush_interval <= 0:
            raise ValueError("flush_interval must be positive")
        self._backend = backend
        self.batch_size = batch_size
        self.chunk = max(1, batch_size // 2)
        """The most operations in one transaction; a batch is due when this many are pending."""
        self.flush_interval = flush_interval
        self._lock = threading.Lock()
        self._pending: list[Op] = []
        # Sequence numbers: _pending[0] is op number _taken; ops before _done are committed
        # (or dropped); _submitted counts every op ever submitted (the loop's alone).
        self._taken = 0
        self._done = 0
        self._submitted = 0
        # Ops at or after _barrier wait for the first job; None when no job is queued.
        self._barrier: int | None = None
        self._stalled = False  # the batch in flight exceeded STALL_LIMIT: stop holding back
        self._jobs: deque[tuple[int, Callable[[Any], Any], asyncio.Future[Any]]]
        self._jobs = deque()
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._room_waiters: list[asyncio.Future[None]] = []
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self.batches = 0
        """Transactions committed by the writer (each batch is one)."""
        self.batch_sizes: Counter[int] = Counter()
        """Batches committed, by how many operations each held (at most ``chunk``)."""
        self.committed = 0
        """Operations committed, in submission order."""
        self.dropped = 0
        """Operations dropped because the database rejected them (each is logged)."""
        self.most_uncommitted = 0
        """The most operations ever submitted and not yet committed: what a crash would lose."""
        self.stalls = 0
        """Times :meth:`room` gave up waiting after ``STALL_LIMIT`` seconds (each is logged)."""

    @property
    def pending(self) -> int:
        """Operations queued and not yet handed to a transaction."""
        return len(self._pending)

    def start(self) -> None:
        """Start the writer task on the running loop (called by ``Database.open``)."""
        if self._task is None:
            self._loop = asyncio.get_running_loop()
            self._task = self._loop.create_task(self._run(), name="storage-writer")

    @property
    def full(self) -> bool:
        """True while ``batch_size`` ops are uncommitted: :meth:`room` would wait."""
        return self._submitted - self._done >= self.batch_size and not self._stalled

    def submit(self, op: Op) -> None:
        """Queue one write; never waits, never touches the database.

        For writes that follow from an event already let in, and for callers that pace
        themselves; what takes in a flood awaits :meth:`room` first (or uses :meth:`put`).

        Raises:
            RuntimeError: the writer is closed (a write after shutdown is a bug, not data to drop).
        """
        if self._closed:
            raise RuntimeError("the database writer is closed")
        with self._lock:
            pending = self._pending
            pending.append(op)
            self._submitted += 1
            uncommitted = self._submitted - self._done
        if uncommitted > self.most_uncommitted:
            self.most_uncommitted = uncommitted
        if len(pending) >= self.chunk:
            self._wake.set()

    async def put(self, op: Op) -> None:
        """Queue one write once there is room for it (see :meth:`room`)."""
        if self.full:
            await self.room()
        self.submit(op)

    async def room(self) -> None:
        """Return once fewer than ``batch_size`` ops are uncommitted; wait without blocking.

        Only the awaiting task is held back: the loop goes on running everything else.
        A batch that takes over ``STALL_LIMIT`` seconds to commit lets writes through until
        it is done (counted in :attr:`stalls` and logged), as does a writer that is closed
        or not running (:meth:`submit` then says what is wrong).
        """
        while self.full:
            if self._closed or self._task is None or self._task.done():
                return
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            # No wake-up needed: with this much uncommitted a batch is due or in flight.
            self._room_waiters.append(future)
            try:
                async with asyncio.timeout(STALL_LIMIT):
                    await future
            except TimeoutError:
                if self.full:
                    self._stalled = True
                    self.stalls += 1
                    log.warning(
                        "storage: a batch took over %.1f s to commit; writes are not held back "
                        "until it is done",
                        STALL_LIMIT,
                    )
                return

    async def flush(self) -> None:
        """Return once every op submitted before this call is committed.

        Raises:
            StorageError: the database cannot be written right now (the ops stay queued).
        """
        target = self._submitted
        if self._done >= target:
            return
        self._check_running()
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((target, future))
        self._wake.set()
        await future

    async def run(self, work: Callable[[Any], T]) -> T:
        """Run ``work(conn)`` on the database thread as the writer, after all pending ops.

        ``work`` owns its transaction (begin, commit or roll back); nothing else writes
        while it runs. Used for immediate writes, migrations and deletions.
        """
        self._check_running()
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        with self._lock:
            if not self._jobs:
                self._barrier = self._submitted
            self._jobs.append((self._submitted, work, future))
        self._wake.set()
        return await future

    async def close(self) -> None:
        """Commit everything still queued and stop the writer task (idempotent).

        Raises:
            StorageError: the last operations could not be written (they are lost, and logged).
        """
        self._closed = True
        if self._task is None:
            return
        self._wake.set()
        # Shielded: a cancelled close must not abandon a transaction half-way.
        await asyncio.shield(self._task)

    def _check_running(self) -> None:
        if self._task is None or self._task.done():
            raise RuntimeError("the database writer is not running")

    async def _run(self) -> None:
        failures = 0
        while True:
            if not self._wake.is_set():
                try:
                    async with asyncio.timeout(self.flush_interval):
                        await self._wake.wait()
                except TimeoutError:
                    pass
            self._wake.clear()
            try:
                await self._cycle()
            except StorageError as exc:
                failures += 1
                self._fail_waiters(exc)
                if self._closed:
                    log.error("storage: %d writes lost at close: %s", len(self._pending), exc)
                    raise
                log.log(
                    logging.ERROR if failures == 1 else logging.DEBUG,
                    "storage: cannot write (%s); %d writes kept for retry",
                    exc,
                    len(self._pending),
                )
                continue
            if failures:
                log.info("storage: writing again after %d failed attempts", failures)
                failures = 0
            if self._closed and not self._pending and not self._jobs:
                return
            if len(self._pending) >= self.chunk:
                self._wake.set()

    async def _cycle(self) -> None:
        """Write pending ops and run queued jobs in submission order."""
        while self._jobs:
            await self._drain()  # stops at the first job's position
            with self._lock:
                _, work, future = self._jobs.popleft()
                self._barrier = self._jobs[0][0] if self._jobs else None
            if future.done():  # the caller gave up before the job started
                continue
            # The caller may be cancelled while its job runs: the job is done anyway, and
            # its result has nowhere to go (setting it would kill the writer task).
            try:
                result = await self._backend.run(work)
            except Exception as exc:
                if not future.done():
                    future.set_exception(exc)
            else:
                if not future.done():
                    future.set_result(result)
        await self._drain()

    async def _drain(self) -> None:
        """Commit pending ops, up to the first job, in batches of at most ``chunk`` ops."""
        with self._lock:
            if not self._pending or self._barrier == self._taken:
                return
        try:
            await self._backend.run(self._commit_batches)
        except Exception as exc:
            raise StorageError(f"{type(exc).__name__}: {exc}") from exc
        finally:
            self._resolve_waiters()

    def _commit_batches(self, conn: Any) -> None:
        """On the database thread: commit batch after batch until none is left to take."""
        loop = self._loop
        assert loop is not None
        while True:
            with self._lock:
                count = min(self.chunk, len(self._pending))
                if self._barrier is not None:
                    count = min(count, self._barrier - self._taken)
                if count <= 0:
                    return
                batch = self._pending[:count]
                del self._pending[:count]
                self._taken += count
            try:
                dropped = self._backend.write_batch(conn, batch)
            except BaseException:
                # Nothing of this batch was committed: put it back, in order, for a retry.
                with self._lock:
                    self._pending[:0] = batch
                    self._taken -= count
                raise
            for (sql, params), error in dropped:
                log.error(
                    "storage: dropped a write the database rejected (%s): %s %r", error, sql, params
                )
            with self._lock:
                self._done += count
                self.batches += 1
                self.batch_sizes[count] += 1
                self.committed += count - len(dropped)
                self.dropped += len(dropped)
                self._stalled = False
            if self._waiters or self._room_waiters:
                loop.call_soon_threadsafe(self._resolve_waiters)

    def _resolve_waiters(self) -> None:
        # Waiters for room check again themselves: waking them all is simplest and cheap.
        room_waiters, self._room_waiters = self._room_waiters, []
        for room in room_waiters:
            if not room.done():
                room.set_result(None)
        done, waiting = self._done, []
        for target, future in self._waiters:
            if target <= done:
                if not future.done():
                    future.set_result(None)
            else:
                waiting.append((target, future))
        self._waiters = waiting

    def _fail_waiters(self, exc: StorageError) -> None:
        waiters, self._waiters = self._waiters, []
        with self._lock:
            jobs, self._jobs = self._jobs, deque()
            self._barrier = None
        for future in [f for _, f in waiters] + [f for _, _, f in jobs]:
            if not future.done():
                future.set_exception(exc)
