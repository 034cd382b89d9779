"""The pre-chat brief: who usually comes, what was left open, what notable members talk about."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from assistant_summaries import SummariesPlugin

from assistant.clock import SystemClock
from assistant.config import parse_settings
from assistant.plugins import PluginHost
from assistant.storage.database import Database
from assistant.summaries.brief import compose_brief, render_brief, upcoming_briefs
from assistant.summaries.compose import compose_summary
from assistant.testing.database import temporary_database

from .conftest import CHANNEL, DARREN_Q, NET, SCRIPT, SETTINGS, START, record_scene, settings

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

SCHEDULED = {
    **SETTINGS,
    "networks": {
        NET: {
            "nick": "presence",
            "channels": [
                {
                    "name": CHANNEL,
                    "schedules": [
                        {
                            "name": "Aussie bloggers",
                            "days": ["sunday"],
                            "time": "19:30",
                            "timezone": "Australia/Sydney",
                            "duration": 30,
                        }
                    ],
                }
            ],
        }
    },
}


async def test_the_brief_names_regulars_open_questions_and_notable_topics(
    open_database: Callable[..., Awaitable[Database]],
) -> None:
    async with await open_database(flush_interval=0.01) as db:
        await record_scene(db)
        await record_scene(db, weeks_later=1)
        brief = await compose_brief(
            db,
            settings(),
            network=NET,
            channel=CHANNEL,
            starts_at=START + timedelta(weeks=2),
            name="Aussie bloggers",
            timezone="Australia/Sydney",
        )
    assert brief.sessions_seen == 2
    first = brief.regulars[0]
    assert (first.name, first.notable, first.attended, first.of) == (
        "Darren Rowse (darren)",
        True,
        2,
        2,
    )
    assert first.usual_arrival == "19:31"
    assert "presence" not in {r.name for r in brief.regulars}
    assert [q.text for q in brief.open_questions] == [DARREN_Q, SCRIPT]
    assert brief.member_topics[0].topics[0].topic == "skype"
    text = render_brief(brief)
    assert text.startswith("Before Aussie bloggers (#bloggers on libera) at Sun 21 Jan 19:30 AEDT")
    assert "- ★ Darren Rowse (darren): 2 of 2, usually arrives 19:31" in text
    assert f"- darren: {DARREN_Q}" in text
    assert "- Darren Rowse (darren): skype" in text


async def test_the_brief_marks_the_members_the_notability_ranking_adds_as_the_summary_does(
    open_database: Callable[..., Awaitable[Database]],
) -> None:
    ranked = settings(notable_top=3)  # Darren is watched; the ranking adds the top three
    async with await open_database(flush_interval=0.01) as db:
        await record_scene(db)
        session = await record_scene(db, weeks_later=1)
        summary = await compose_summary(db, session, ranked)
        brief = await compose_brief(
            db,
            ranked,
            network=NET,
            channel=CHANNEL,
            starts_at=START + timedelta(weeks=2),
            name="Aussie bloggers",
            timezone="Australia/Sydney",
        )
    in_summary = {row.label for row in summary.attendance if row.notable}
    assert len(in_summary) > 1  # more than Darren
    assert {r.name for r in brief.regulars if r.notable} == in_summary
    text = render_brief(brief)
    assert all(f"- ★ {name}: " in text for name in in_summary)


def test_a_brief_is_due_before_the_next_scheduled_chat() -> None:
    config = parse_settings(SCHEDULED)
    saturday = datetime(2024, 1, 13, 9, 0, tzinfo=UTC)  # Sat 20:00 in Sydney
    (due,) = upcoming_briefs(config, saturday)
    assert due.starts_at == datetime(2024, 1, 14, 8, 30, tzinfo=UTC)  # Sun 19:30 in Sydney
    assert due.at == due.starts_at - timedelta(minutes=15)
    just_before = due.starts_at - timedelta(minutes=5)
    assert upcoming_briefs(config, just_before)[0].at == just_before  # late start: due now
    under_way = due.starts_at + timedelta(minutes=5)
    assert upcoming_briefs(config, under_way)[0].starts_at == due.starts_at + timedelta(weeks=1)
    assert (
        upcoming_briefs(
            config.model_copy(update={"summaries": settings(brief_before=0).summaries}), saturday
        )
        == []
    )


async def test_the_plugin_delivers_the_brief_to_the_owner_and_the_folder(
    open_database: Callable[..., Awaitable[Database]], tmp_path: Path
) -> None:
    folder = tmp_path / "briefs"
    data = {**SCHEDULED, "summaries": {"folder": str(folder), "deliver_to_owner": True}}
    config = parse_settings(data)
    sent: list[tuple[str, str, str]] = []

    async def send(network: str, target: str, text: str) -> None:
        sent.append((network, target, text))

    async with await open_database(flush_interval=0.01) as db:
        await record_scene(db)
        host = PluginHost(config, db, send, plugin_classes={"summaries": SummariesPlugin})
        await host.start()
        plugin = host.instance("summaries")
        assert isinstance(plugin, SummariesPlugin)
        (due,) = upcoming_briefs(config, START + timedelta(days=6))
        done = await plugin.deliver_brief(due)
        await host.stop()
    assert os.listdir(folder) == ["2024-01-14_libera_bloggers_brief.md"]
    assert "sent to the owner (ann)" in done
    assert sent[0][1] == "ann" and sent[0][2].startswith("Before Aussie bloggers")


async def test_on_the_live_clock_a_due_brief_goes_out_by_itself(tmp_path: Path) -> None:
    # A chat every day two hours from now, briefed up to a day ahead: due at start-up.
    at = (datetime.now(UTC) + timedelta(hours=2)).strftime("%H:%M")
    daily = {"name": "Daily", "days": list(DAYS), "time": at, "timezone": "UTC", "duration": 30}
    networks = {NET: {"nick": "presence", "channels": [{"name": CHANNEL, "schedules": [daily]}]}}
    summaries = {"folder": str(tmp_path), "brief_before": 24 * 60, "deliver_to_owner": True}
    config = parse_settings({**SETTINGS, "networks": networks, "summaries": summaries})
    sent = asyncio.Event()

    async def send(network: str, target: str, text: str) -> None:
        assert text.startswith("Before Daily")
        sent.set()

    async with temporary_database(flush_interval=0.01) as db:
        await record_scene(db)
        host = PluginHost(
            config, db, send, plugin_classes={"summaries": SummariesPlugin}, clock=SystemClock()
        )
        await host.start()
        await sent.wait()  # the plugin's own loop, on the clock, delivers it
        await host.stop()
    (written,) = os.listdir(tmp_path)
    assert written.endswith(f"_{NET}_bloggers_brief.md")
    assert (tmp_path / written).read_text(encoding="utf-8").startswith("Before Daily")
