"""A chat that used MeetBot commands gets MeetBot-style minutes with exact line counts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from assistant.recorder import Recorder
from assistant.sessions.store import close_session, open_session
from assistant.storage.database import Database
from assistant.summaries.compose import compose_summary
from assistant.summaries.deliver import write_files
from assistant.summaries.markdown import render_markdown
from assistant.summaries.minutes import render_minutes
from assistant.testing.factories import ChatScript

from .conftest import CHANNEL, END, NET, START, settings


async def test_minutes_list_topics_actions_by_person_and_exact_lines(
    open_database: Callable[..., Awaitable[Database]], tmp_path: Path
) -> None:
    async with await open_database(flush_interval=0.01) as db:
        recorder = Recorder(db)
        chat = ChatScript(NET, start=START, step=timedelta(minutes=1), sink=recorder.record)
        ann = chat.who("ann", account="ann")
        chat.said("bob", "early chatter before the meeting", CHANNEL)
        chat.said("bob", "#startmeeting Weekly bloggers", CHANNEL)
        chat.said("bob", "#topic Podcasting gear", CHANNEL)
        chat.said("darren", "I use a Rode mic", CHANNEL)
        chat.said("darren", "#info Rode Podcaster is a good USB mic", CHANNEL)
        chat.said(ann, "#action ann to write up the mic comparison", CHANNEL)
        chat.said("darren", "nods", CHANNEL, kind="action")
        chat.said("bob", "#agreed everyone tries one mic", CHANNEL)
        chat.said("bob", "#action someone books the next guest", CHANNEL)
        chat.said("bob", "#endmeeting", CHANNEL)
        chat.said("darren", "bye", CHANNEL)
        await db.flush()
        session_id = await db.transaction(
            lambda conn: open_session(
                conn,
                network=NET,
                platform="irc",
                channel=CHANNEL,
                name="Weekly",
                origin="adhoc",
                started_at=START.timestamp(),
            )
        )
        await db.transaction(lambda conn: close_session(conn, session_id, END.timestamp()))
        summary = await compose_summary(db, session_id, settings(timezone="UTC"))
    assert summary.minutes is not None
    text = render_minutes(summary)
    assert "#bloggers: Weekly bloggers" in text
    assert "Meeting started by bob at 08:32:00 UTC." in text
    assert "* Podcasting gear  (bob, 08:33:00)" in text
    assert "  * Rode Podcaster is a good USB mic  (darren, 08:35:00)" in text
    assert "  * AGREED: everyone tries one mic  (bob, 08:38:00)" in text
    people = text.split("People present (lines said)\n---------------------------\n")[1]
    assert people.split() == ["*", "bob", "(5)", "*", "darren", "(3)", "*", "ann", "(1)"]
    actions = text.split("Action items, by person")[1].split("People present")[0]
    assert "* ann\n  * ann to write up the mic comparison" in actions
    assert "* **UNASSIGNED**\n  * someone books the next guest" in actions
    assert "Action: ann to write up the mic comparison" in [f.text for f in summary.follow_ups]
    assert "## Meeting minutes" in render_markdown(summary)
    names = sorted(p.name for p in write_files(summary, tmp_path, ["md", "minutes"]))
    stem = "2024-01-07_libera_bloggers_s1"
    assert names == [f"{stem}.md", f"{stem}.minutes.txt"]
