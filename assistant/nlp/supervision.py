"""The analyzer's worker processes, by name: started together, restarted when one dies, stopped.

A :class:`WorkerPool` knows nothing of batches: it hands every message from a process to
``on_message(name, kind, payload)``, tells the analyzer through it when a process died
(``kind`` ``"died"``), and calls ``on_restarted(name)`` once a replacement is ready, so the
analyzer can send it what the dead one held. A process that does not start is tried again
after 0.5, 2, 10, then every 30 seconds, until it starts or the pool is stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping

from assistant.nlp.worker import AnalysisWorker, WorkerDied
from assistant.nlp.worker_messages import Batch, Role, WorkerOptions

__all__ = ["WorkerPool", "WorkerSpec"]

log = logging.getLogger(__name__)

_RESTART_DELAYS = (0.5, 2.0, 10.0, 30.0)

WorkerSpec = tuple[Role, bool]
"""What one named worker process does, and whether it runs at idle priority (a spare)."""


class WorkerPool:
    """Starts, restarts and stops the named worker processes of one analyzer."""

    def __init__(
        self,
        options: WorkerOptions,
        specs: Mapping[str, WorkerSpec],
        on_message: Callable[[str, str, object], None],
        on_restarted: Callable[[str], None],
        *,
        start_timeout: float = 120.0,
    ) -> None:
        self.options = options
        self.names = tuple(specs)
        self._specs = dict(specs)
        self._on_message = on_message
        self._on_restarted = on_restarted
        self._start_timeout = start_timeout
        self._workers: dict[str, AnalysisWorker] = {}
        self._restarting: dict[str, asyncio.Task[None]] = {}
        self._closing = False

    @property
    def pids(self) -> dict[str, int]:
        """The id of each running worker process, by name."""
        return {
            name: pid for name, worker in self._workers.items() if (pid := worker.pid) is not None
        }

    @property
    def ready(self) -> bool:
        """Every worker is running and none is being restarted."""
        return len(self._workers) == len(self.names) and not self._restarting

    @property
    def running(self) -> bool:
        """Some worker is running or being restarted."""
        return bool(self._workers or self._restarting)

    async def start(self) -> None:
        """Start every worker process and wait until each is ready.

        Raises:
            WorkerDied: a pipeline could not be loaded (the message says why).
        """
        try:
            await asyncio.gather(*(self._start_worker(name) for name in self.names))
        except BaseException:
            await self._stop_workers()
            raise

    def send(self, name: str, batch: Batch) -> None:
        """Queue ``batch`` for worker ``name``; a failure is logged, never raised."""
        try:
            self._workers[name].send(batch)
        except Exception:
            log.exception("analysis: cannot send a batch to the %s worker", name)

    def died(self, name: str, exitcode: object) -> bool:
        """Worker ``name`` ended by itself: restart it. False when that is already under way."""
        if self._closing or name in self._restarting:
            return False
        log.error("analysis: the %s worker died (exit code %s); restarting it", name, exitcode)
        dead = self._workers.pop(name, None)
        self._restarting[name] = asyncio.create_task(
            self._restart(name, dead), name=f"analysis-restart-{name}"
        )
        return True

    async def stop(self) -> None:
        """Give up the restarts under way, then end every worker process."""
        self._closing = True
        for task in list(self._restarting.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._stop_workers()

    async def _stop_workers(self) -> None:
        workers = list(self._workers.values())
        self._workers.clear()
        await asyncio.gather(*(worker.stop(timeout=5) for worker in workers))

    async def _start_worker(self, name: str) -> None:
        role, spare = self._specs[name]
        worker = AnalysisWorker(
            self.options,
            lambda kind, payload: self._on_message(name, kind, payload),
            role=role,
            spare=spare,
        )
        await worker.start(timeout=self._start_timeout)
        self._workers[name] = worker
        log.info("analysis: %s worker %s ready", name, worker.pid)

    async def _restart(self, name: str, dead: AnalysisWorker | None) -> None:
        if dead is not None:
            with contextlib.suppress(Exception):
                await dead.stop(timeout=1)
        attempt = 0
        try:
            while not self._closing:
                try:
                    await self._start_worker(name)
                except (WorkerDied, TimeoutError, OSError) as exc:
                    delay = _RESTART_DELAYS[min(attempt, len(_RESTART_DELAYS) - 1)]
                    log.error(
                        "analysis: the %s worker did not start (%s); again in %.1f s",
                        name,
                        exc,
                        delay,
                    )
                    attempt += 1
                    await asyncio.sleep(delay)
                    continue
                break
            else:
                return
        finally:
            del self._restarting[name]
        self._on_restarted(name)
