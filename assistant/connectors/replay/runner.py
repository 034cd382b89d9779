"""``presence replay``: chat logs played through the real assistant to rebuild history.

The real :class:`~assistant.app.Assistant` runs with the configured database, analyzer and
plugins, played the logs' events in file order by :class:`~assistant.replay.Replay`, the
one replay driver, on a :class:`~assistant.clock.ReplayClock` (the session tracker's and the
plugins' time). Before each event the clock moves to the event's time,
after the analysis has caught up with what came before, and the tracker does what fell due
by then (a schedule's start or end, an ad-hoc chat gone quiet), so sessions, openings and
summaries come out as they would have live. After the last line the clock runs on until
the sessions under way have ended. ``speed`` paces the events at N times the log's time.

Messages are recorded as live ones (not backfill), and each recorded event leaves the same
digest ``presence import`` leaves, so replaying a log (or one imported before) into the same
database adds nothing twice.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.config import Settings
from assistant.connectors.replay.translate import ReplayError, read_replay
from assistant.events import ChannelEvent, Event, MessageReceived, NickChanged
from assistant.importers.digests import digest as digest_of
from assistant.importers.digests import identity_digest, known_digests, message_digest
from assistant.importers.importer import DEFAULT_NETWORK, _base_key
from assistant.sessions.queries import SessionSummary, recent_sessions
from assistant.storage.database import Database

if TYPE_CHECKING:
    from assistant.replay import Replay

__all__ = ["ReplayOptions", "ReplayResult", "replay_logs"]

_RUN_OUT_STEPS = 10_000  # bound on the steps taken after the last line
_LAST_SESSION = "SELECT coalesce(max(id), 0) FROM sessions"
_OPEN_UNTIL = "SELECT max(planned_end) FROM sessions WHERE status = 'active' AND id > ?"


@dataclass(frozen=True, slots=True)
class ReplayOptions:
    """What the user told ``presence replay`` (None: detect or derive it)."""

    format: str = "auto"
    network: str | None = None
    channel: str | None = None
    day: date | None = None
    zone: tzinfo = UTC
    speed: float | None = None
    """Play at this many times the log's own pace; None: as fast as possible."""


@dataclass
class ReplayResult:
    """What a replay rebuilt."""

    events: int = 0
    played: int = 0
    duplicates: int = 0
    first: datetime | None = None
    last: datetime | None = None
    seconds: float = 0.0
    """Wall-clock time of the whole replay (reading, starting, playing, summaries)."""
    play_seconds: float = 0.0
    """Wall-clock time from the first event played to the last."""
    sessions: list[SessionSummary] = field(default_factory=list)
    openings: list[dict[str, Any]] = field(default_factory=list)
    delivered: list[str] = field(default_factory=list)
    """What the summaries did, a line each (``wrote PATH``, ``sent to the owner``, ...)."""


def default_network(settings: Settings, platform: str) -> str:
    """The configured network of ``platform`` when there is just one, else ``imported``.

    Schedules and channel settings then apply to the replayed log; several networks (or
    none) give the name ``presence import`` records under, so the two dedupe each other.
    """
    names = [name for name, net in settings.networks.items() if net.platform == platform]
    return names[0] if len(names) == 1 else DEFAULT_NETWORK


def read_events(
    settings: Settings, paths: Sequence[Path], options: ReplayOptions
) -> list[list[Event]]:
    """The events of each of ``paths``, in file order.

    Raises:
        ReplayError: a file cannot be read, its format is unknown, or it has no date.
    """
    files: list[list[Event]] = []
    for path in paths:
        found = list(
            read_replay(
                path,
                log_format=options.format,
                network=options.network or DEFAULT_NETWORK,
                channel=options.channel,
                day=options.day,
                zone=options.zone,
            )
        )
        if found and options.network is None:
            network = default_network(settings, found[0].platform)
            if network != DEFAULT_NETWORK:
                found = [
                    dataclasses.replace(e, network=network) if e.network == DEFAULT_NETWORK else e
                    for e in found
                ]
        files.append(found)
    return files


def _digests(events: Sequence[Event]) -> list[str | None]:
    """The digest ``presence import`` gives each event of one file (None: not keyed)."""
    counts: Counter[str] = Counter()
    digests: list[str | None] = []
    for event in events:
        key = _base_key(event)
        if key is None:
            digests.append(None)
            continue
        counts[key] += 1
        digests.append(digest_of(key, counts[key]))
    return digests


async def _known(db: Database, events: Sequence[Event], digests: Sequence[str | None]) -> set[str]:
    pairs = [
        (event.timestamp.timestamp(), digest)
        for event, digest in zip(events, digests, strict=True)
        if digest is not None
    ]
    return await known_digests(db, pairs)


async def replay_logs(
    settings: Settings, paths: Sequence[Path], options: ReplayOptions
) -> ReplayResult:
    """Replay ``paths`` through the real assistant into the configured database.

    Raises:
        ReplayError: a log cannot be read or replayed.
    """
    from assistant.replay import Replay

    started = time.monotonic()
    files = await asyncio.to_thread(read_events, settings, paths, options)
    events = [event for found in files for event in found]
    result = ReplayResult(events=len(events))
    if not events:
        raise ReplayError(f"{', '.join(map(str, paths))}: no lines to replay")
    digests = [digest for found in files for digest in _digests(found)]
    async with await Database.open_settings(settings) as db:
        known = await _known(db, events, digests)
        row = await db.fetchone(_LAST_SESSION)
        last_session = int(row[0]) if row is not None else 0
    playing: list[Event] = []
    keys: dict[int, str] = {}
    for event, digest in zip(events, digests, strict=True):
        if digest is not None and digest in known:
            result.duplicates += 1
            continue
        if digest is not None:
            known.add(digest)  # the same line in an overlapping log named after it
            keys[id(event)] = digest
        playing.append(event)
    result.played = len(playing)
    if not playing:
        result.seconds = time.monotonic() - started
        return result
    result.first = min(e.timestamp for e in playing)
    result.last = max(e.timestamp for e in playing)

    wall_start = time.monotonic()
    log_start = playing[0].timestamp

    async def advance(when: datetime) -> None:
        """Move the shared clock to ``when`` and do what fell due by then."""
        if not replay.clock.move_to(when):
            return
        assistant = replay.assistant
        due = assistant.sessions.next_due()
        if due is not None and due <= when:
            await assistant.db.flush()
            await assistant.sessions.run_due()

    async def before(event: Event) -> None:
        if options.speed is not None:
            offset = (event.timestamp - log_start).total_seconds() / options.speed
            wait = wall_start + offset - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        if event.timestamp > replay.clock.now():
            await replay.settle()
            await advance(event.timestamp)

    def after(event: Event) -> None:
        assistant = replay.assistant
        digest = keys.get(id(event))
        if digest is None or not isinstance(event, ChannelEvent | NickChanged):
            return
        if assistant.recorder.skips(event.actor):
            return  # not recorded (ignored, opted out): no row for a digest to refer to
        at = event.timestamp.timestamp()
        submit = assistant.db.writer.submit
        if isinstance(event, MessageReceived):
            submit(message_digest(assistant.db, digest, at))
        else:
            submit(identity_digest(digest, event.network, event.actor.key, at))

    replay = Replay(
        settings,
        playing,
        start=playing[0].timestamp - timedelta(seconds=1),
        network=playing[0].network,
        platform=playing[0].platform,
        before=before,
        after=after,
        flush=True,
    )
    async with replay:
        wall_start = time.monotonic()
        await replay.play()  # and what the last lines start, before time runs on
        result.play_seconds = replay.play_seconds
        await _run_out(replay, result.last, last_session, settings)
        findings = await replay.findings()
        result.openings = findings.get("openings", [])
        for delivery in findings.get("summaries", []):
            result.delivered.extend(str(line) for line in delivery.get("delivered", []))
    async with await Database.open_settings(settings) as db:
        found = await recent_sessions(db, limit=1_000_000)
    result.sessions = sorted((s for s in found if s.id > last_session), key=lambda s: s.id)
    result.seconds = time.monotonic() - started
    return result


async def _run_out(replay: Replay, last: datetime, last_session: int, settings: Settings) -> None:
    """Let the log's time run on after its last line until the sessions under way end.

    An ad-hoc session ends once it has been quiet for ``quiet_minutes``; a scheduled one at
    its planned end. Nothing later is played: no session starts from time alone.
    """
    assistant, clock = replay.assistant, replay.clock
    limit = last + timedelta(minutes=settings.sessions.quiet_minutes, seconds=1)
    await assistant.db.flush()
    for _ in range(_RUN_OUT_STEPS):
        row = await assistant.db.fetchone(_OPEN_UNTIL, (last_session,))
        if row is not None and row[0] is not None:
            limit = max(limit, datetime.fromtimestamp(row[0], UTC))
        due = assistant.sessions.next_due()
        if due is None or due > limit:
            break
        clock.move_to(due)
        await assistant.sessions.run_due()
        if assistant.sessions.next_due() == due:
            break  # nothing was due after all: do not spin
    clock.move_to(limit)
    await assistant.sessions.run_due()
