"""Sessions as the owner sees them: scheduled chats with their attendance, ad-hoc bursts,
Discord scheduled events, and the weekly time staying put across daylight-saving changes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from assistant.config import Settings, parse_settings
from assistant.events import EventScheduled
from assistant.sessions.queries import person_attendance, recent_sessions
from assistant.storage.people import forget_person, person_id_for

Harness = Any  # conftest's Harness: .chat, .at(), .started, .ended, .actions, .rows(), .db
Track = Callable[..., Awaitable[Harness]]
NET = "libera"
SYDNEY = ZoneInfo("Australia/Sydney")


def settings_with(channels: list[dict[str, Any]], **sessions: Any) -> Settings:
    return parse_settings({"networks": {NET: {"channels": channels}}, "sessions": sessions})


def bloggers(join_on_schedule: bool = True) -> Settings:
    schedule = {
        "name": "Aussie bloggers",
        "days": ["Sunday"],
        "time": "19:30",
        "timezone": "Australia/Sydney",
        "duration": 90,
        "join_early": 10,
        "stay_after": 15,
    }
    channel = {"name": "#bloggers", "join_on_schedule": join_on_schedule, "schedules": [schedule]}
    return settings_with([channel])


def sydney(day: int, hour: int, minute: int, month: int = 2) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SYDNEY).astimezone(UTC)


async def test_a_scheduled_chat_records_who_came_when_and_what_they_said(track: Track) -> None:
    h = await track(bloggers(), sydney(1, 18, 0))
    chat = h.chat
    await h.at(sydney(1, 19, 20))
    assert h.actions == [("join", "#bloggers", sydney(1, 19, 20))]
    # In the roster when Presence joined; says nothing all evening.
    chat.joined("carol", "#bloggers", already_present=True, at=sydney(1, 19, 20))
    chat.joined("eve", "#bloggers", at=sydney(1, 19, 21))  # leaves before it starts
    chat.left("eve", "#bloggers", at=sydney(1, 19, 25))
    await h.at(sydney(1, 19, 30))
    assert [(e.name, e.channel, e.timestamp) for e in h.started] == [
        ("Aussie bloggers", "#bloggers", sydney(1, 19, 30))
    ]
    chat.joined("alice", "#bloggers", at=sydney(1, 19, 35))
    chat.said("alice", "hi all", "#bloggers", at=sydney(1, 19, 36))
    chat.joined("bob", "#bloggers", at=sydney(1, 19, 40))
    chat.nick_changed("bob", "bobby", at=sydney(1, 20, 0))
    chat.said("bobby", "back as bobby", "#bloggers", at=sydney(1, 20, 5))
    chat.joined("dave", "#bloggers", at=sydney(1, 20, 30))  # late
    chat.said("dave", "sorry I'm late", "#bloggers", at=sydney(1, 20, 31))
    chat.said("alice", "bye, early start tomorrow", "#bloggers", at=sydney(1, 20, 44))
    chat.left("alice", "#bloggers", at=sydney(1, 20, 45))  # early
    await h.at(sydney(1, 21, 0))
    assert [(e.name, e.session_id, e.timestamp) for e in h.ended] == [
        ("Aussie bloggers", h.started[0].session_id, sydney(1, 21, 0))
    ]
    assert len(h.actions) == 1  # still there for stay_after
    await h.at(sydney(1, 21, 15))
    assert h.actions[-1] == ("part", "#bloggers", sydney(1, 21, 15))

    rows = await h.rows(
        "SELECT i.nick, a.arrived_at, a.left_at, a.present_seconds, a.lines, "
        "a.already_present, f.text, l.text FROM session_attendance AS a "
        "JOIN identities AS i ON i.person_id = a.person_id "
        "LEFT JOIN messages AS f ON f.id = a.first_message_id "
        "LEFT JOIN messages AS l ON l.id = a.last_message_id "
        "WHERE i.nick IN ('alice', 'bob', 'carol', 'dave', 'eve') ORDER BY i.nick"
    )
    ts = lambda d, h, m: sydney(d, h, m).timestamp()  # noqa: E731
    assert rows == [
        ("alice", ts(1, 19, 35), ts(1, 20, 45), 70 * 60.0, 2, 0, "hi all",
         "bye, early start tomorrow"),
        ("bob", ts(1, 19, 40), None, 80 * 60.0, 1, 0, "back as bobby", "back as bobby"),
        ("carol", ts(1, 19, 30), None, 90 * 60.0, 0, 1, None, None),
        ("dave", ts(1, 20, 30), None, 30 * 60.0, 1, 0, "sorry I'm late", "sorry I'm late"),
    ]  # fmt: skip

    # The owner's questions: the session with its head count, and bob under his old nick.
    [summary] = await recent_sessions(h.db)
    assert (summary.name, summary.attendees, summary.lines, summary.origin) == (
        "Aussie bloggers", 4, 4, "schedule",
    )  # fmt: skip
    bob = await person_id_for(h.db, NET, "bob")
    assert bob is not None
    [record] = await person_attendance(h.db, bob)
    assert record.sentence() == "1 of the last 1; usually arrives 19:40, stays 80 min"


async def test_the_weekly_chat_stays_at_1930_sydney_time_when_summer_time_ends(
    track: Track,
) -> None:
    h = await track(bloggers(join_on_schedule=False), sydney(29, 12, 0, month=3))
    for day, month in ((29, 3), (5, 4)):
        start = sydney(day, 19, 30, month)
        await h.at(start)
        h.chat.joined("alice", "#bloggers", at=start + timedelta(minutes=5))
        h.chat.said("alice", "evening", "#bloggers", at=start + timedelta(minutes=6))
        h.chat.left("alice", "#bloggers", at=start + timedelta(minutes=80))
        await h.at(start + timedelta(minutes=90))
    assert [e.timestamp for e in h.started] == [
        datetime(2026, 3, 29, 8, 30, tzinfo=UTC),
        datetime(2026, 4, 5, 9, 30, tzinfo=UTC),
    ]
    assert h.actions == []  # always there: nothing to join or leave
    alice = await person_id_for(h.db, NET, "alice")
    assert alice is not None
    [record] = await person_attendance(h.db, alice)
    assert record.sentence() == "2 of the last 2; usually arrives 19:35, stays 75 min"


def line(h: Harness, nick: str, at: datetime) -> None:
    h.chat.said(nick, f"{nick} says something", "#general", at=at)


async def test_a_burst_of_talk_starts_an_ad_hoc_session_and_quiet_ends_it(track: Track) -> None:
    start = datetime(2026, 5, 6, 12, 0, tzinfo=UTC)
    h = await track(settings_with([{"name": "#general"}]), start)
    t = start + timedelta(minutes=1)
    for i in range(8):  # 8 lines from 3 people within 4 minutes
        line(h, ("ann", "ben", "cat")[i % 3], t + timedelta(seconds=30 * i))
        await h.tracker.run_due()
    assert [(e.channel, e.timestamp) for e in h.started] == [("#general", t)]
    last = t + timedelta(minutes=10)
    line(h, "ann", last)
    await h.at(last + timedelta(minutes=19))
    assert h.ended == []
    await h.at(last + timedelta(minutes=20))
    assert [(e.session_id, e.timestamp) for e in h.ended] == [(h.started[0].session_id, last)]
    [summary] = await recent_sessions(h.db)
    assert (summary.origin, summary.attendees, summary.lines) == ("adhoc", 3, 9)


async def test_chatter_below_the_threshold_starts_no_session(track: Track) -> None:
    start = datetime(2026, 5, 6, 12, 0, tzinfo=UTC)
    h = await track(settings_with([{"name": "#general"}]), start)
    t = start
    for _ in range(10):  # two people talking a lot
        t += timedelta(seconds=20)
        line(h, "ann" if t.second % 40 else "ben", t)
    t += timedelta(hours=1)
    for i in range(7):  # three people, one line short
        line(h, ("ann", "ben", "cat")[i % 3], t + timedelta(seconds=i))
    t += timedelta(hours=1)
    for i in range(8):  # enough lines and people, but spread over an hour
        line(h, ("ann", "ben", "cat")[i % 3], t + timedelta(minutes=9 * i))
    await h.at(t + timedelta(hours=3))
    assert h.started == [] and h.ended == []
    assert await recent_sessions(h.db) == []


async def test_a_scheduled_session_takes_over_from_an_ad_hoc_one(track: Track) -> None:
    settings = bloggers(join_on_schedule=False)
    h = await track(settings, sydney(1, 19, 0))
    for i in range(8):
        line_at = sydney(1, 19, 20) + timedelta(seconds=10 * i)
        h.chat.said(("ann", "ben", "cat")[i % 3], "early talk", "#bloggers", at=line_at)
    await h.tracker.run_due()
    assert [e.name for e in h.started] == ["#bloggers (ad hoc)"]
    await h.at(sydney(1, 19, 30))
    assert [e.name for e in h.started] == ["#bloggers (ad hoc)", "Aussie bloggers"]
    assert [(e.name, e.timestamp) for e in h.ended] == [
        ("#bloggers (ad hoc)", sydney(1, 19, 20) + timedelta(seconds=70))
    ]
    for i in range(8):  # a burst during the scheduled chat is part of it
        h.chat.said(("ann", "ben", "cat")[i % 3], "talk", "#bloggers", at=sydney(1, 19, 40))
    await h.at(sydney(1, 21, 0))
    assert [e.name for e in h.ended] == ["#bloggers (ad hoc)", "Aussie bloggers"]
    assert len(h.started) == 2


def discord_event(status: str, at: datetime, event_id: str = "901", **extra: Any) -> EventScheduled:
    fields: dict[str, Any] = {
        "platform": "discord",
        "network": "guild",
        "timestamp": at,
        "event_id": event_id,
        "name": "Office hours",
        "channel": "Stage",
        "starts_at": datetime(2026, 6, 3, 17, 0, tzinfo=UTC),
        "status": status,
    }
    return EventScheduled(**(fields | extra))


async def test_a_discord_scheduled_event_becomes_a_session(track: Track) -> None:
    start = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    h = await track(settings_with([]), start)
    h.tracker.observe(discord_event("scheduled", start))
    await h.tracker.run_due()
    assert await h.rows("SELECT name, status, origin FROM sessions") == [
        ("Office hours", "upcoming", "event")
    ]
    assert h.started == [] and await recent_sessions(h.db) == []  # upcoming: not yet a session

    opened = datetime(2026, 6, 3, 17, 2, tzinfo=UTC)
    await h.at(opened)
    h.tracker.observe(discord_event("active", opened))
    await h.tracker.run_due()
    assert [(e.name, e.channel, e.timestamp) for e in h.started] == [
        ("Office hours", "Stage", opened)
    ]
    closed = datetime(2026, 6, 3, 18, 0, tzinfo=UTC)
    await h.at(closed)
    h.tracker.observe(discord_event("completed", closed))
    await h.tracker.run_due()
    assert [(e.name, e.timestamp) for e in h.ended] == [("Office hours", closed)]
    [summary] = await recent_sessions(h.db)
    assert (summary.status, summary.started, summary.ended) == ("ended", opened, closed)


async def test_a_cancelled_discord_event_is_no_session(track: Track) -> None:
    start = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    h = await track(settings_with([]), start)
    h.tracker.observe(discord_event("scheduled", start, event_id="77"))
    h.tracker.observe(discord_event("cancelled", start + timedelta(hours=1), event_id="77"))
    h.tracker.observe(discord_event("scheduled", start, event_id="78", channel=None))
    await h.tracker.run_due()
    assert await h.rows("SELECT event_id, status FROM sessions") == [("77", "cancelled")]
    assert h.started == [] and h.ended == []


async def test_forgetting_a_person_removes_their_attendance_and_words(track: Track) -> None:
    h = await track(bloggers(join_on_schedule=False), sydney(1, 19, 0))
    await h.at(sydney(1, 19, 30))
    h.chat.joined("alice", "#bloggers", at=sydney(1, 19, 31))
    h.chat.said("alice", "my home address is 12 Secret St", "#bloggers", at=sydney(1, 19, 32))
    h.chat.joined("bob", "#bloggers", at=sydney(1, 19, 33))
    h.chat.said("bob", "hello alice", "#bloggers", at=sydney(1, 19, 34))
    await h.at(sydney(1, 21, 0))
    alice = await person_id_for(h.db, NET, "alice")
    assert alice is not None
    await forget_person(h.db, alice)
    [summary] = await recent_sessions(h.db)
    assert (summary.attendees, summary.lines) == (1, 1)
    rows = await h.rows(
        "SELECT m.text FROM session_attendance AS a JOIN messages AS m "
        "ON m.id IN (a.first_message_id, a.last_message_id)"
    )
    assert rows == [("hello alice",)]
    assert await h.rows("SELECT count(*) FROM messages WHERE text LIKE '%Secret St%'") == [(0,)]


async def test_a_restart_during_a_chat_picks_the_session_up(track: Track) -> None:
    first = await track(bloggers(join_on_schedule=False), sydney(1, 19, 0))
    await first.at(sydney(1, 19, 30))
    [began] = first.started
    await first.tracker.stop()
    # Presence comes back at 20:00: the same session goes on and ends at 21:00.
    again = await track(bloggers(join_on_schedule=False), sydney(1, 20, 0))
    await again.at(sydney(1, 20, 30))
    assert again.started == []
    await again.at(sydney(1, 21, 0))
    assert [(e.session_id, e.timestamp) for e in again.ended] == [
        (began.session_id, sydney(1, 21, 0))
    ]
    assert await again.rows("SELECT status FROM sessions") == [("ended",)]


async def test_a_session_left_open_by_a_crash_ends_when_it_ended(track: Track) -> None:
    start = datetime(2026, 5, 6, 12, 0, tzinfo=UTC)
    first = await track(settings_with([{"name": "#general"}]), start)
    for i in range(8):
        line(first, ("ann", "ben", "cat")[i % 3], start + timedelta(seconds=i))
    await first.tracker.run_due()
    await first.tracker.stop()  # the quiet end never came
    again = await track(settings_with([{"name": "#general"}]), start + timedelta(days=1))
    assert [e.timestamp for e in again.ended] == [start + timedelta(seconds=7)]


async def test_an_ad_hoc_chat_that_spans_a_crash_and_a_quick_restart_is_one_session(
    track: Track,
) -> None:
    start = datetime(2026, 5, 6, 12, 0, tzinfo=UTC)
    first = await track(settings_with([{"name": "#general"}]), start)
    for i in range(8):
        line(first, ("ann", "ben", "cat")[i % 3], start + timedelta(seconds=i))
    await first.tracker.run_due()
    [began] = first.started
    await first.tracker.stop()  # killed: nothing ended the session
    back = start + timedelta(minutes=2)
    again = await track(settings_with([{"name": "#general"}]), back)
    assert again.ended == []
    for i in range(3):
        line(again, ("ann", "ben")[i % 2], back + timedelta(seconds=i))
    await again.tracker.run_due()
    assert again.started == []
    await again.at(back + timedelta(minutes=30))  # quiet for 20 minutes after its last line
    assert [(e.session_id, e.timestamp) for e in again.ended] == [
        (began.session_id, back + timedelta(seconds=2))
    ]
    assert await again.rows("SELECT count(*) FROM sessions") == [(1,)]


async def test_presence_started_during_the_chat_joins_at_once(track: Track) -> None:
    h = await track(bloggers(), sydney(1, 20, 0))
    await h.tracker.run_due()
    assert h.actions == [("join", "#bloggers", sydney(1, 20, 0))]
    assert [e.timestamp for e in h.started] == [sydney(1, 19, 30)]
    await h.at(sydney(1, 21, 15))
    assert h.actions[-1] == ("part", "#bloggers", sydney(1, 21, 15))
    # Next Sunday again, on time.
    await h.at(sydney(8, 19, 20))
    assert h.actions[-1] == ("join", "#bloggers", sydney(8, 19, 20))


async def test_a_week_presence_slept_through_is_not_joined_late(track: Track) -> None:
    h = await track(bloggers(), sydney(1, 12, 0))
    await h.at(sydney(1, 23, 0))  # the clock jumped past the whole chat
    assert ("join", "#bloggers", sydney(1, 23, 0)) not in h.actions
    assert not any(action == "part" for action, _, _ in h.actions)
