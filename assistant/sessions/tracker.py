"""The session tracker: starts and ends sessions, and joins and leaves channels on schedule.

It is fed every live event (:meth:`SessionTracker.observe`, synchronous, after the recorder)
and wakes on its own :class:`~assistant.clock.Clock` when something is due: a join
``join_early`` before a scheduled start, the start, the end, the leave ``stay_after`` later,
an ad-hoc session going quiet. Sessions come from three sources:

- weekly schedules in the config (``[[networks.NAME.channels.schedules]]``);
- a platform's scheduled events (``EventScheduled``: scheduled → upcoming, active → start,
  completed → end, cancelled → cancelled); an event with no channel (an external location)
  has nothing to attend and is not a session;
- bursts of activity in always-on channels (:mod:`~assistant.sessions.detector`).

A scheduled session or an active event takes precedence: it ends an ad-hoc session running in
its channel (at its own start) and no ad-hoc session starts there while it runs. Each session
is published as ``SessionStarted`` and, with its attendance stored, ``SessionEnded``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from assistant.clock import Clock, SystemClock
from assistant.config import Settings
from assistant.events import (
    Event,
    EventScheduled,
    MessageReceived,
    SessionEnded,
    SessionStarted,
    irc_casefold,
)
from assistant.sessions import store
from assistant.sessions.detector import Burst, BurstDetector, BurstRule
from assistant.sessions.schedule import Occurrence, WeeklySchedule
from assistant.storage.database import Database

__all__ = ["ChannelAction", "SessionTracker"]

log = logging.getLogger(__name__)

ChannelAction = Callable[[str, str], Awaitable[None]]
"""Join or leave ``channel`` on ``network``: ``action(network, channel)``."""

Where = tuple[str, str]  # (network, case-folded channel)

# Presence no longer sees a channel it left: who was still there is unknown from then on.
_CLOSE_STAYS = (
    "UPDATE presence_intervals SET left_at = ?, left_kind = 'disconnected', "
    "left_reason = 'Presence left the channel' WHERE left_at IS NULL AND channel_id = "
    "(SELECT c.id FROM channels AS c JOIN networks AS n ON n.id = c.network_id "
    "WHERE n.name = ? AND c.key = ?)"
)
_LAST_LINE = (
    "SELECT max(m.at) FROM messages AS m JOIN channels AS c ON c.id = m.channel_id "
    "JOIN networks AS n ON n.id = c.network_id "
    "WHERE n.name = ? AND c.key = ? AND m.at >= ? AND m.at <= ?"
)


@dataclass
class _Planned:
    """One configured schedule in one channel, and how far its current occurrence has got."""

    network: str
    platform: str
    channel: str
    join_on_schedule: bool
    schedule: WeeklySchedule
    occurrence: Occurrence | None = None
    joined: bool = False
    session_id: int | None = None
    done: bool = False  # the session was recorded (or skipped, when it was already over)

    @property
    def where(self) -> Where:
        return self.network, irc_casefold(self.channel)


@dataclass
class _Running:
    """A session under way, as the tracker needs it for the end."""

    id: int
    network: str
    platform: str
    channel: str
    name: str


def _ts(when: datetime) -> float:
    return when.timestamp()


def _time(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


class SessionTracker:
    """Follows schedules, platform events and activity; stores sessions and publishes them."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        publish: Callable[[Event], None],
        *,
        clock: Clock | None = None,
        join: ChannelAction | None = None,
        part: ChannelAction | None = None,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self._db = db
        self._publish = publish
        self._join = join
        self._part = part
        options = settings.sessions
        self._adhoc = options.adhoc
        self._detector = BurstDetector(
            BurstRule(
                lines=options.burst_lines,
                speakers=options.burst_speakers,
                window=timedelta(minutes=options.burst_minutes),
                quiet=timedelta(minutes=options.quiet_minutes),
            )
        )
        self._planned: list[_Planned] = []
        self._no_adhoc: set[Where] = set()
        self._platforms = {name: net.platform for name, net in settings.networks.items()}
        for network, net in settings.networks.items():
            for channel in net.channels:
                if channel.join_on_schedule:
                    self._no_adhoc.add((network, irc_casefold(channel.name)))
                for schedule in channel.schedules:
                    self._planned.append(
                        _Planned(
                            network=network,
                            platform=net.platform,
                            channel=channel.name,
                            join_on_schedule=channel.join_on_schedule,
                            schedule=WeeklySchedule.from_settings(schedule),
                        )
                    )
        self._scheduled: dict[Where, _Running] = {}  # schedule and event sessions under way
        self._adhoc_running: dict[Where, _Running] = {}
        self._pending: list[Callable[[], Awaitable[None]]] = []
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Pick up sessions a previous run left open, then follow time in a task of its own."""
        await self._recover()
        self._task = asyncio.create_task(self._loop(), name="sessions")

    async def stop(self) -> None:
        """Stop following time; sessions under way stay open and are picked up on restart."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.run_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("sessions: error while starting or ending a session")
                await asyncio.sleep(1.0)  # what failed is still due: do not spin on it
            await self.clock.sleep_until(self.next_due(), self._wake)

    # --- input --------------------------------------------------------------------------------

    def observe(self, event: Event) -> None:
        """Take a live event (after it was recorded); never awaits."""
        if isinstance(event, MessageReceived):
            self._line(event)
        elif isinstance(event, EventScheduled):
            self._pending.append(lambda: self._platform_event(event))
            self._wake.set()

    def _line(self, event: MessageReceived) -> None:
        if event.channel is None or event.backfill or not self._adhoc:
            return
        where = (event.network, irc_casefold(event.channel))
        if where in self._no_adhoc or where in self._scheduled:
            return
        burst = self._detector.line(where, event.actor.key, event.timestamp)
        if burst is not None:
            channel, platform = event.channel, event.platform
            started = burst.started_at
            self._pending.append(lambda: self._start_adhoc(where, channel, platform, started))
            self._wake.set()
        elif self._detector.active(where) is not None:
            self._wake.set()  # the quiet deadline moved

    # --- time ---------------------------------------------------------------------------------

    def next_due(self) -> datetime | None:
        """When the tracker next has something to do, unless an event comes first."""
        due = [self._detector.quiet_at()]
        now = self.clock.now()
        for planned in self._planned:
            occurrence = planned.occurrence or planned.schedule.next_occurrence(now)
            if planned.join_on_schedule and not planned.joined and occurrence.join_at > now:
                due.append(occurrence.join_at)
            if not planned.done:
                due.append(occurrence.end if planned.session_id is not None else occurrence.start)
            due.append(occurrence.leave_at)
        return min((when for when in due if when is not None), default=None)

    async def run_due(self) -> None:
        """Do everything that is due at the clock's time: pending work, schedules, quiet ends."""
        async with self._lock:
            pending, self._pending = self._pending, []
            for work in pending:
                await work()
            now = self.clock.now()
            for planned in self._planned:
                await self._follow(planned, now)
            for where, burst in self._detector.ended(now):
                running = self._adhoc_running.pop(where, None)
                if running is not None:
                    await self._end(running, burst.last_line_at)

    async def _follow(self, planned: _Planned, now: datetime) -> None:
        """Take one schedule through every step that is due by ``now``."""
        while True:
            occurrence = planned.occurrence
            if occurrence is None:
                occurrence = planned.occurrence = planned.schedule.next_occurrence(now)
                # Already over when first seen (Presence was not running): nothing to record.
                planned.done = occurrence.end <= now
            wants_in = occurrence.join_at <= now < occurrence.leave_at
            if planned.join_on_schedule and not planned.joined and wants_in:
                await self._channel_action(self._join, planned.network, planned.channel)
                planned.joined = True
            if not planned.done and planned.session_id is None and now >= occurrence.start:
                await self._start_scheduled(planned, occurrence)
            if not planned.done and planned.session_id is not None and now >= occurrence.end:
                running = self._scheduled.pop(planned.where, None)
                if running is not None:
                    await self._end(running, occurrence.end)
                self._detector.reset(planned.where)
                planned.done = True
            if now < occurrence.leave_at:
                return
            if planned.joined and planned.join_on_schedule:
                await self._leave(planned.network, planned.channel, occurrence.leave_at)
            planned.occurrence = planned.schedule.next_occurrence(occurrence.leave_at)
            planned.joined = False
            planned.session_id = None
            planned.done = False

    # --- starting and ending ------------------------------------------------------------------

    async def _start_scheduled(self, planned: _Planned, occurrence: Occurrence) -> None:
        where = planned.where
        await self._yield_adhoc(where, occurrence.start)
        running = self._scheduled.get(where)
        if running is None:
            session_id = await self._db.transaction(
                lambda conn: store.open_session(
                    conn,
                    network=planned.network,
                    platform=planned.platform,
                    channel=planned.channel,
                    name=occurrence.name,
                    origin="schedule",
                    series=occurrence.name,
                    timezone=occurrence.timezone,
                    started_at=_ts(occurrence.start),
                    planned_start=_ts(occurrence.start),
                    planned_end=_ts(occurrence.end),
                )
            )
            running = _Running(
                session_id, planned.network, planned.platform, planned.channel, occurrence.name
            )
            self._scheduled[where] = running
            self._announce_start(running, occurrence.start)
        planned.session_id = running.id

    async def _start_adhoc(self, where: Where, channel: str, platform: str, at: datetime) -> None:
        if where in self._scheduled or where in self._adhoc_running:
            return
        network = where[0]
        name = f"{channel} (ad hoc)"
        session_id = await self._db.transaction(
            lambda conn: store.open_session(
                conn,
                network=network,
                platform=platform,
                channel=channel,
                name=name,
                origin="adhoc",
                series=None,
                started_at=_ts(at),
            )
        )
        running = _Running(session_id, network, platform, channel, name)
        self._adhoc_running[where] = running
        self._announce_start(running, at)

    async def _yield_adhoc(self, where: Where, at: datetime) -> None:
        """End an ad-hoc session in ``where``: a scheduled one starts there at ``at``."""
        burst = self._detector.stop(where)
        running = self._adhoc_running.pop(where, None)
        if running is not None:
            last = burst.last_line_at if burst is not None else at
            await self._end(running, min(last, at))  # at its last line, as if quiet

    async def _end(self, running: _Running, at: datetime, status: str = "ended") -> None:
        count = await self._db.transaction(
            lambda conn: store.close_session(conn, running.id, _ts(at), status)
        )
        log.info(
            "sessions: %s in %s on %s ended: %d attended",
            running.name,
            running.channel,
            running.network,
            count,
        )
        self._publish(
            SessionEnded(
                platform=running.platform,
                network=running.network,
                timestamp=at,
                channel=running.channel,
                session_id=running.id,
                name=running.name,
            )
        )

    def _announce_start(self, running: _Running, at: datetime) -> None:
        log.info("sessions: %s in %s on %s started", running.name, running.channel, running.network)
        self._publish(
            SessionStarted(
                platform=running.platform,
                network=running.network,
                timestamp=at,
                channel=running.channel,
                session_id=running.id,
                name=running.name,
            )
        )

    async def _channel_action(
        self, action: ChannelAction | None, network: str, channel: str
    ) -> None:
        if action is None:
            return
        try:
            await action(network, channel)
        except Exception:
            log.exception("sessions: cannot join or leave %s on %s", channel, network)

    async def _leave(self, network: str, channel: str, at: datetime) -> None:
        if any(
            p.network == network
            and irc_casefold(p.channel) == irc_casefold(channel)
            and p.occurrence is not None
            and p.occurrence.join_at <= self.clock.now() < p.occurrence.leave_at
            and p.joined
            for p in self._planned
        ):
            return  # another of the channel's schedules still wants Presence there
        await self._channel_action(self._part, network, channel)
        await self._db.execute(_CLOSE_STAYS, (_ts(at), network, irc_casefold(channel)))

    # --- platform events ----------------------------------------------------------------------

    async def _platform_event(self, event: EventScheduled) -> None:
        if event.channel is None:
            log.debug("sessions: event %r has no channel to attend; not a session", event.name)
            return
        network, channel, status = event.network, event.channel, event.status
        where = (network, irc_casefold(channel))
        found = await self._db.run_in_thread(
            lambda conn: store.find_event_session(conn, network, event.event_id)
        )
        start = _ts(event.starts_at)
        end = None if event.ends_at is None else _ts(event.ends_at)
        if found is None or found.status in ("ended", "cancelled"):
            if status not in ("scheduled", "active") or found is not None:
                return
            initial = "upcoming" if status == "scheduled" else "active"
            started = start if status == "scheduled" else _ts(event.timestamp)
            session_id = await self._db.transaction(
                lambda conn: store.open_session(
                    conn,
                    network=network,
                    platform=event.platform,
                    channel=channel,
                    name=event.name,
                    origin="event",
                    series=event.name,
                    event_id=event.event_id,
                    status=initial,
                    started_at=started,
                    planned_start=start,
                    planned_end=end,
                )
            )
            if status == "active":
                await self._activate(where, session_id, event)
            return
        session_id = found.id
        if status == "scheduled" and found.status == "upcoming":
            await self._db.transaction(
                lambda conn: store.set_status(
                    conn,
                    session_id,
                    "upcoming",
                    started_at=start,
                    name=event.name,
                    planned_start=start,
                    planned_end=end,
                )
            )
        elif status == "active" and found.status == "upcoming":
            at = _ts(event.timestamp)
            await self._db.transaction(
                lambda conn: store.set_status(conn, session_id, "active", started_at=at)
            )
            await self._activate(where, session_id, event)
        elif status in ("completed", "cancelled") and found.status == "active":
            running = self._scheduled.pop(where, None)
            if running is None or running.id != session_id:
                running = _Running(session_id, network, event.platform, channel, event.name)
            await self._end(running, event.timestamp)
            self._detector.reset(where)
        elif status in ("completed", "cancelled") and found.status == "upcoming":
            await self._db.transaction(lambda conn: store.set_status(conn, session_id, "cancelled"))

    async def _activate(self, where: Where, session_id: int, event: EventScheduled) -> None:
        assert event.channel is not None
        await self._yield_adhoc(where, event.timestamp)
        running = _Running(session_id, event.network, event.platform, event.channel, event.name)
        self._scheduled[where] = running
        self._announce_start(running, event.timestamp)

    # --- restart ------------------------------------------------------------------------------

    async def _recover(self) -> None:
        """Adopt the sessions a previous run left open, or end them where they ended."""
        now = self.clock.now()
        for planned in self._planned:
            planned.occurrence = planned.schedule.next_occurrence(now)
            planned.done = planned.occurrence.end <= now
        rows = await self._db.run_in_thread(store.open_sessions)
        for row in rows:
            where = (row.network, irc_casefold(row.channel))
            running = _Running(row.id, row.network, row.platform, row.channel, row.name)
            if row.origin == "event":
                if row.status == "active":
                    self._scheduled[where] = running
                continue
            current = next(
                (
                    p
                    for p in self._planned
                    if p.where == where
                    and p.occurrence is not None
                    and p.schedule.name == row.series
                    and _ts(p.occurrence.start) == row.started_at
                    and p.occurrence.end > now
                ),
                None,
            )
            if row.origin == "schedule" and current is not None:
                current.session_id = row.id
                self._scheduled[where] = running
                continue
            end = await self._recovered_end(row, now)
            if row.origin == "adhoc" and self._resumable(where, end, now):
                # Not quiet yet (a crash, a quick restart): the same chat goes on as one session.
                self._adhoc_running[where] = running
                self._detector.resume(where, Burst(_time(row.started_at), end))
                continue
            await self._end(running, end)

    def _resumable(self, where: Where, last_line: datetime, now: datetime) -> bool:
        """True when an ad-hoc session left open may go on: recent, and nothing else there."""
        return (
            self._adhoc
            and where not in self._no_adhoc
            and where not in self._scheduled
            and where not in self._adhoc_running
            and now - last_line < self._detector.rule.quiet
        )

    async def _recovered_end(self, row: store.SessionRow, now: datetime) -> datetime:
        if row.planned_end is not None:
            return _time(min(row.planned_end, _ts(now)))
        last = await self._db.fetchone(
            _LAST_LINE, (row.network, irc_casefold(row.channel), row.started_at, _ts(now))
        )
        value = last[0] if last is not None and last[0] is not None else row.started_at
        return _time(float(value))
