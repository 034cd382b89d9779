"""What each plugin is given: the types it handles, lifecycle events always, and what it missed."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime, timedelta

import pytest

from assistant import (
    Connected,
    Database,
    Event,
    MemberJoined,
    MessageReceived,
    OpeningFound,
    Plugin,
    PluginContext,
    PluginFellBehind,
    SessionEnded,
    SessionStarted,
    Settings,
    hookimpl,
)
from assistant.delivery import Delivery, Shedding
from assistant.plugins import PluginError, PluginHost
from assistant.summaries.gaps import GAPS_TITLE, gaps_section
from assistant.summaries.model import SessionInfo, Summary
from assistant.testing.database import temporary_database
from assistant.testing.factories import ChatScript

WHEN = datetime(2024, 5, 5, 9, 30, tzinfo=UTC)
chat = ChatScript(start=WHEN)


def said(text: str) -> MessageReceived:
    return chat.said("alice", text, channel="#chan")


def session(kind: type[SessionStarted | SessionEnded], number: int) -> Event:
    return kind(
        platform="irc", network="libera", timestamp=WHEN, channel="#chan", session_id=number
    )


async def nowhere(network: str, target: str, text: str) -> None:
    """A send callable for tests that do not look at what is sent."""


@pytest.fixture
async def db() -> AsyncIterator[Database]:
    async with temporary_database() as database:
        yield database


async def started(db: Database, classes: Mapping[str, type[Plugin]], **kwargs: int) -> PluginHost:
    host = PluginHost(Settings(), db, nowhere, plugin_classes=classes, **kwargs)
    await host.start()
    return host


async def until(condition: object, turns: int = 2000) -> None:
    """Give the loop turns until ``condition()`` holds (a bounded number of them)."""
    for _ in range(turns):
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.001)
    raise AssertionError("condition not met")


class Gated(Plugin):
    """Keeps what it is given; handles nothing until its gate opens (a deliberately slow plugin)."""

    def __init__(self, ctx: PluginContext) -> None:
        super().__init__(ctx)
        self.gate = asyncio.Event()
        self.events: list[Event] = []

    @hookimpl
    async def assistant_event(self, event: Event) -> None:
        await self.gate.wait()
        self.events.append(event)


class Told(Gated):
    """A gated plugin that also wants to hear when it fell behind."""

    handles = (Event, PluginFellBehind)


class Sessions(Plugin):
    """Handles session ends only, read from its annotation."""

    def __init__(self, ctx: PluginContext) -> None:
        super().__init__(ctx)
        self.events: list[Event] = []

    @hookimpl
    def assistant_event(self, event: SessionEnded | SessionStarted) -> None:
        self.events.append(event)


class Declared(Plugin):
    """Handles what it declares, whatever its annotation says."""

    handles = (MemberJoined,)

    def __init__(self, ctx: PluginContext) -> None:
        super().__init__(ctx)
        self.events: list[Event] = []

    @hookimpl
    def assistant_event(self, event: Event) -> None:
        self.events.append(event)


# --- which types a plugin is given -----------------------------------------------------


async def test_a_plugin_is_given_only_the_types_its_handler_names(db: Database) -> None:
    host = await started(db, {"sessions": Sessions, "declared": Declared})
    sessions, declared = host.instance("sessions"), host.instance("declared")
    assert isinstance(sessions, Sessions) and isinstance(declared, Declared)
    arrived = chat.joined("bob", "#chan")
    published = [session(SessionStarted, 1), said("hi"), arrived, session(SessionEnded, 1)]
    for event in published:
        host.publish(event)
    await host.stop()
    assert sessions.events == [published[0], published[3]]
    assert declared.events == [arrived]
    assert host.deliveries["sessions"].handles == (SessionEnded, SessionStarted)
    assert sessions.ctx.delivery is host.deliveries["sessions"]


async def test_a_handler_annotated_with_something_else_than_events_is_refused(
    db: Database,
) -> None:
    class Confused(Plugin):
        @hookimpl
        def assistant_event(self, event: str) -> None:
            pass

    with pytest.raises(PluginError, match=r"plugin 'confused': assistant_event: .*handles"):
        await started(db, {"confused": Confused})


# --- what is never shed ----------------------------------------------------------------


async def test_lifecycle_events_are_queued_in_order_when_the_queue_is_full(db: Database) -> None:
    host = await started(db, {"gated": Gated}, queue_size=3)
    gated = host.instance("gated")
    assert isinstance(gated, Gated)
    lines = [said(f"line {i}") for i in range(6)]
    began, ended = session(SessionStarted, 7), session(SessionEnded, 7)
    connected = Connected(platform="irc", network="libera", timestamp=WHEN, nick="presence")
    for event in [*lines[:3], began, lines[3], connected, lines[4], ended, lines[5]]:
        host.publish(event)
    assert host.shed == Counter({"gated": 3})
    gated.gate.set()
    await host.stop()
    assert gated.events == [*lines[:3], began, connected, ended]
    assert gated.ctx.delivery.missed_types == Counter({"MessageReceived": 3})


async def test_a_plugin_may_mark_more_types_it_must_be_given(db: Database) -> None:
    class Keen(Gated):
        must_deliver = (OpeningFound,)

    host = await started(db, {"keen": Keen}, queue_size=1)
    keen = host.instance("keen")
    assert isinstance(keen, Keen)
    found = OpeningFound(
        platform="irc",
        network="libera",
        timestamp=WHEN,
        channel="#chan",
        kind="question",
        person="bob",
        score=0.9,
        reason="bob asked the room",
    )
    for event in [said("one"), said("two"), found]:
        host.publish(event)
    keen.gate.set()
    await host.stop()
    assert [type(e).__name__ for e in keen.events] == ["MessageReceived", "OpeningFound"]
    assert keen.ctx.delivery.missed == 1


async def test_a_stuck_plugin_sheds_even_lifecycle_events_past_twice_the_bound(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    host = await started(db, {"gated": Gated}, queue_size=1)
    gated = host.instance("gated")
    assert isinstance(gated, Gated)
    for number in range(4):
        host.publish(session(SessionEnded, number))
    assert gated.ctx.delivery.missed_types == Counter({"SessionEnded": 2})
    assert "plugin gated seems stuck" in caplog.text
    gated.gate.set()
    await host.stop()


# --- what a plugin learns when it falls behind ------------------------------------------


async def test_shedding_is_one_warning_per_episode_and_the_plugin_is_told_once_caught_up(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="assistant.plugins")
    host = await started(db, {"told": Told, "gated": Gated}, queue_size=3)
    told, gated = host.instance("told"), host.instance("gated")
    assert isinstance(told, Told) and isinstance(gated, Gated)
    for episode in range(2):
        lines = [said(f"episode {episode} line {i}") for i in range(20)]
        for line in lines:
            host.publish(line)
        assert told.ctx.delivery.behind
        told.gate.set()
        gated.gate.set()
        await until(lambda: not told.ctx.delivery.behind and not gated.ctx.delivery.behind)
        told.gate.clear()
        gated.gate.clear()
    told.gate.set()
    gated.gate.set()
    await host.stop()

    notes = [e for e in told.events if isinstance(e, PluginFellBehind)]
    assert [(n.plugin, n.missed, n.types) for n in notes] == [
        ("told", 17, (("MessageReceived", 17),))
    ] * 2
    assert told.events[3] is notes[0]  # after the three it was given, before anything newer
    assert not any(isinstance(e, PluginFellBehind) for e in gated.events)
    assert told.ctx.delivery.missed == gated.ctx.delivery.missed == 34
    assert [len(told.ctx.delivery.episodes), told.ctx.delivery.episodes[0].caught_up] == [2, True]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert sum("plugin told cannot keep up" in w for w in warnings) == 2
    assert sum("plugin gated cannot keep up" in w for w in warnings) == 2
    assert "plugin told caught up; it missed 17 event(s) (17 MessageReceived)" in caplog.text


# --- what the summary says ---------------------------------------------------------------


def summary_of(channel: str, start: datetime, end: datetime) -> Summary:
    info = SessionInfo(
        id=1,
        network="libera",
        channel=channel,
        name="Weekly",
        started_at=start,
        ended_at=end,
        timezone="Australia/Sydney",
    )
    return Summary(session=info, generated_at=end)


def delivery_missing(*events: Event) -> Delivery:
    episode = Shedding()
    for event in events:
        episode.add(event)
    delivery = Delivery(missed=episode.missed)
    delivery.episodes.append(episode)
    return delivery


def test_the_summary_of_a_session_with_a_gap_says_which_plugin_skipped_how_many() -> None:
    lines = [
        chat.said("ann", "here", channel="#Chan", at=WHEN + timedelta(minutes=i)) for i in (0, 5)
    ]
    lines += [chat.said("ann", "elsewhere", channel="#other", at=WHEN)]
    deliveries = {"openings": delivery_missing(*lines), "seen": Delivery()}
    during = summary_of("#chan", WHEN - timedelta(hours=1), WHEN + timedelta(hours=1))
    section = gaps_section(during, deliveries)
    assert section is not None and section.title == GAPS_TITLE
    assert section.items == (
        "openings could not keep up and skipped 2 events of this channel (19:30-19:35); "
        "what it added may be incomplete.",
    )
    before = summary_of("#chan", WHEN - timedelta(hours=3), WHEN - timedelta(hours=2))
    assert gaps_section(before, deliveries) is None
    assert gaps_section(summary_of("#third", WHEN, WHEN), deliveries) is None
