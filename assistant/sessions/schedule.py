"""Weekly schedules in a time zone: when each occurrence starts and ends, in UTC.

A weekly chat is held at a *local* time ("Sundays 19:30 in Sydney"), so its UTC start moves
by an hour when daylight saving starts or ends, and the local time stays. Occurrences are
computed afresh for each date with :mod:`zoneinfo`, never by adding weeks to a UTC instant.

Two local times need a rule, and these are the rules:

- **Nonexistent** (the clocks jump forward over it, e.g. 02:30 on the night summer time
  starts): the chat starts as long after the jump as the time was after the jump's start,
  so 02:30 becomes 03:30 that day. (``fold=0`` read with the offset in force before.)
- **Ambiguous** (the clocks go back and it happens twice): the first of the two, the
  earlier instant. (``fold=0``.)

The duration is elapsed time: a 90-minute chat lasts 90 minutes even across a change.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from assistant.config import ScheduleSettings

__all__ = ["WEEKDAYS", "Occurrence", "WeeklySchedule", "local_start"]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of a schedule: its bounds and the margins Presence attends around them."""

    name: str
    start: datetime
    end: datetime
    join_at: datetime
    leave_at: datetime
    timezone: str


def local_start(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of local ``at`` on ``day`` in ``zone``, by the rules in the module doc."""
    wall = datetime.combine(day, at.replace(tzinfo=None, fold=0), tzinfo=zone)
    return wall.astimezone(UTC)


@dataclass(frozen=True)
class WeeklySchedule:
    """A chat held every week on some weekdays at a local time, for a number of minutes."""

    name: str
    weekdays: frozenset[int]
    at: time
    zone: ZoneInfo
    duration: timedelta
    join_early: timedelta = timedelta(0)
    stay_after: timedelta = timedelta(0)

    @classmethod
    def from_settings(cls, settings: ScheduleSettings) -> WeeklySchedule:
        """Build one from its validated ``[[...schedules]]`` table."""
        return cls(
            name=settings.name,
            weekdays=frozenset(WEEKDAYS.index(day) for day in settings.days),
            at=settings.time,
            zone=ZoneInfo(settings.timezone),
            duration=timedelta(minutes=settings.duration),
            join_early=timedelta(minutes=settings.join_early),
            stay_after=timedelta(minutes=settings.stay_after),
        )

    def on(self, day: date) -> Occurrence:
        """The occurrence on local date ``day`` (whether or not it is one of the weekdays)."""
        start = local_start(day, self.at, self.zone)
        end = start + self.duration
        return Occurrence(
            name=self.name,
            start=start,
            end=end,
            join_at=start - self.join_early,
            leave_at=end + self.stay_after,
            timezone=self.zone.key,
        )

    def occurrences(self, since: datetime) -> Iterator[Occurrence]:
        """Occurrences in order whose attendance window (join to leave) ends after ``since``.

        The first one may already be under way; the iterator never ends.
        """
        margin = self.duration + self.join_early + self.stay_after
        day = (since - margin).astimezone(self.zone).date() - timedelta(days=1)
        while True:
            if day.weekday() in self.weekdays:
                occurrence = self.on(day)
                if occurrence.leave_at > since:
                    yield occurrence
            day += timedelta(days=1)

    def next_occurrence(self, since: datetime) -> Occurrence:
        """The first occurrence whose attendance window ends after ``since``."""
        return next(self.occurrences(since))
