"""Weekly schedules keep their local time across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from assistant.sessions.schedule import WeeklySchedule

SUNDAY = 6


def weekly(at: time, zone: str, minutes: int = 90) -> WeeklySchedule:
    return WeeklySchedule(
        name="chat",
        weekdays=frozenset({SUNDAY}),
        at=at,
        zone=ZoneInfo(zone),
        duration=timedelta(minutes=minutes),
        join_early=timedelta(minutes=10),
        stay_after=timedelta(minutes=15),
    )


@pytest.mark.parametrize(
    ("zone", "before", "after", "utc_before", "utc_after"),
    [
        # Sydney: summer time ends on the first Sunday of April, starts on the first of October.
        ("Australia/Sydney", date(2026, 3, 29), date(2026, 4, 5), (8, 30), (9, 30)),
        ("Australia/Sydney", date(2026, 9, 27), date(2026, 10, 4), (9, 30), (8, 30)),
        # London: summer time starts on the last Sunday of March, ends on the last of October.
        ("Europe/London", date(2026, 3, 22), date(2026, 3, 29), (19, 30), (18, 30)),
        ("Europe/London", date(2026, 10, 18), date(2026, 10, 25), (18, 30), (19, 30)),
    ],
)
def test_the_utc_start_moves_by_an_hour_and_the_local_time_stays(
    zone: str,
    before: date,
    after: date,
    utc_before: tuple[int, int],
    utc_after: tuple[int, int],
) -> None:
    schedule = weekly(time(19, 30), zone)
    first, second = schedule.on(before), schedule.on(after)
    assert (first.start.hour, first.start.minute) == utc_before
    assert (second.start.hour, second.start.minute) == utc_after
    for occurrence in (first, second):
        local = occurrence.start.astimezone(ZoneInfo(zone))
        assert (local.hour, local.minute) == (19, 30)
        assert occurrence.end - occurrence.start == timedelta(minutes=90)
        assert occurrence.start - occurrence.join_at == timedelta(minutes=10)
        assert occurrence.leave_at - occurrence.end == timedelta(minutes=15)
    # A week apart in local time is a week plus or minus an hour in elapsed time.
    assert abs((second.start - first.start) - timedelta(days=7)) == timedelta(hours=1)


def test_occurrences_run_on_through_the_change() -> None:
    schedule = weekly(time(19, 30), "Australia/Sydney")
    found = schedule.occurrences(datetime(2026, 3, 23, tzinfo=UTC))
    starts = [next(found).start for _ in range(3)]
    assert starts == [
        datetime(2026, 3, 29, 8, 30, tzinfo=UTC),
        datetime(2026, 4, 5, 9, 30, tzinfo=UTC),
        datetime(2026, 4, 12, 9, 30, tzinfo=UTC),
    ]


def test_an_occurrence_under_way_is_the_next_one_until_presence_leaves() -> None:
    schedule = weekly(time(19, 30), "Europe/London")
    during = datetime(2026, 1, 4, 20, 0, tzinfo=UTC)
    assert schedule.next_occurrence(during).start == datetime(2026, 1, 4, 19, 30, tzinfo=UTC)
    after_leaving = datetime(2026, 1, 4, 21, 15, tzinfo=UTC)
    assert schedule.next_occurrence(after_leaving).start == datetime(
        2026, 1, 11, 19, 30, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("zone", "day", "at", "expected_local"),
    [
        # The clocks jump 02:00 -> 03:00: 02:30 does not exist; it becomes 03:30.
        ("Australia/Sydney", date(2026, 10, 4), time(2, 30), time(3, 30)),
        # The clocks jump 01:00 -> 02:00: 01:30 does not exist; it becomes 02:30.
        ("Europe/London", date(2026, 3, 29), time(1, 30), time(2, 30)),
    ],
)
def test_a_nonexistent_local_time_starts_as_long_after_the_jump(
    zone: str, day: date, at: time, expected_local: time
) -> None:
    occurrence = weekly(at, zone).on(day)
    local = occurrence.start.astimezone(ZoneInfo(zone))
    assert (local.date(), local.time()) == (day, expected_local)


def test_an_ambiguous_local_time_is_the_first_of_the_two() -> None:
    # London 2026-10-25: 01:30 happens at 00:30 UTC (BST) and again at 01:30 UTC (GMT).
    occurrence = weekly(time(1, 30), "Europe/London").on(date(2026, 10, 25))
    assert occurrence.start == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
