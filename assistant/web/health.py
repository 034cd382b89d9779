"""The Health page's live figures: plugins, connections, analysis workers, the event loop.

They are read from the running assistant's objects (``presence run`` with ``[web] enabled =
true``), on the event loop, without awaiting anything; ``presence web`` alone has none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Sequence

    from assistant.connectors.base import Connector
    from assistant.lag import LoopLagMonitor
    from assistant.nlp.stage import Analyzer
    from assistant.plugins import PluginHost

__all__ = [
    "AnalysisRow",
    "ConnectionRow",
    "LoopRow",
    "PluginRow",
    "Running",
    "analysis_rows",
    "connection_rows",
    "loop_row",
    "plugin_rows",
]


class Running(Protocol):
    """What the Health page reads of a running :class:`~assistant.app.Assistant`."""

    @property
    def connectors(self) -> Sequence[Connector]:
        """One connector per configured network."""
        ...

    @property
    def analyzer(self) -> Analyzer | None:
        """The analysis stage, None while analysis is off or could not start."""
        ...

    @property
    def lag(self) -> LoopLagMonitor:
        """The event loop's lag monitor."""
        ...


@dataclass(frozen=True)
class PluginRow:
    """One plugin's delivery figures since start-up, as the Health page shows them."""

    name: str
    handles: str
    """The event types it is given (``"every chat event"`` when it takes them all)."""
    queued: int
    shed: int
    shed_types: str
    """The missed events by type, most first (``"1200 MessageReceived"``)."""
    episodes: int
    behind: bool
    """Shedding right now: it missed events and has not caught up yet."""
    errors: int


def plugin_rows(host: PluginHost) -> list[PluginRow]:
    """Each loaded plugin's live delivery figures (queue, shed, fell behind, errors)."""
    queued = host.queued()
    rows = []
    for name, delivery in host.deliveries.items():
        handles = (
            "every chat event"
            if delivery.handles is None
            else ", ".join(kind.__name__ for kind in delivery.handles) or "no events"
        )
        rows.append(
            PluginRow(
                name=name,
                handles=handles,
                queued=queued.get(name, 0),
                shed=delivery.missed,
                shed_types=", ".join(f"{n} {k}" for k, n in delivery.missed_types.most_common()),
                episodes=len(delivery.episodes),
                behind=delivery.behind,
                errors=host.errors.get(name, 0),
            )
        )
    return rows


@dataclass(frozen=True)
class ConnectionRow:
    """One network's connection now."""

    network: str
    platform: str
    connected: bool
    lag: float | None
    """Seconds between a keepalive PING and its PONG, the latest one (IRC); None if unknown."""


def connection_rows(running: Running) -> list[ConnectionRow]:
    """Each connector: whether it is connected and its latest measured lag."""
    rows = []
    for connector in running.connectors:
        lag = getattr(connector, "lag", None)
        rows.append(
            ConnectionRow(
                network=connector.network,
                platform=connector.platform,
                connected=bool(getattr(connector, "connected", False)),
                lag=float(lag) if isinstance(lag, int | float) else None,
            )
        )
    return rows


@dataclass(frozen=True)
class AnalysisRow:
    """One analysis worker process."""

    name: str
    pid: int | None
    """Its process id; None while it is not running (starting, or being restarted)."""
    queued: int
    """Batches sent to it and not answered yet."""


@dataclass(frozen=True)
class AnalysisState:
    """The analysis stage as a whole, and its workers."""

    workers: list[AnalysisRow]
    pending: int
    """Messages submitted and not analysed yet (waiting, or in a worker)."""
    analysed: int
    dropped: int
    restarts: int
    """Worker processes started again after one died, since start-up."""


def analysis_rows(analyzer: Analyzer) -> AnalysisState:
    """The analysis workers (alive or not, batches queued) and the stage's counters."""
    pids = analyzer.worker_pids
    workers = [
        AnalysisRow(name, pids.get(name), queued) for name, queued in analyzer.queued.items()
    ]
    stats = analyzer.stats
    return AnalysisState(workers, analyzer.pending, stats.analysed, stats.dropped, stats.restarts)


@dataclass(frozen=True)
class LoopRow:
    """How late the event loop (which carries keepalives and heartbeats) wakes."""

    p99_ms: float
    max_ms: float
    samples: int
    interval: float
    """Seconds between the monitor's wake-ups."""


def loop_row(lag: LoopLagMonitor) -> LoopRow:
    """The loop lag's p99 and maximum over the monitor's recent samples."""
    return LoopRow(lag.percentile(99) * 1000, lag.max * 1000, len(lag.samples), lag.interval)
