"""The openings plugin's summary sections: the chat's openings and the relationships that moved.

The weekly chat of ``tests/summaries/conftest.py`` (Ann is the owner, Darren the notable
member) is recorded into a real SQLite file; the openings are stored in the plugin's own
table as the plugin stores them, and the summary is composed with the plugin running.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from assistant_openings import OpeningsPlugin
from assistant_openings.ledger import LedgerLine
from assistant_openings.store import OpeningsStore

from assistant.plugins import PluginHost
from assistant.storage.database import Database
from assistant.summaries.compose import compose_summary
from assistant.summaries.html import render_html
from assistant.summaries.json import load_summary, render_json
from assistant.summaries.markdown import render_markdown
from assistant.summaries.model import Summary
from tests.summaries.conftest import START, Scene, record_scene, settings, store_openings


@pytest.fixture
async def scene(tmp_path: Path) -> AsyncIterator[Scene]:
    """The weekly chat, analysed, recorded into a fresh database file."""
    path = tmp_path / "presence.sqlite3"
    async with await Database.open(path, flush_interval=0.01) as db:
        yield Scene(db, await record_scene(db))


async def _no_send(network: str, target: str, text: str) -> None:
    """Nothing is sent."""


async def _composed(scene: Scene) -> Summary:
    config = settings()
    host = PluginHost(config, scene.db, _no_send, plugin_classes={"openings": OpeningsPlugin})
    await host.start()
    try:
        return await compose_summary(scene.db, scene.session_id, config, call=host.call)
    finally:
        await host.stop()


async def test_the_openings_section_lists_each_with_its_outcome_and_the_one_you_took(
    scene: Scene,
) -> None:
    await store_openings(scene)
    summary = await _composed(scene)
    [section] = summary.sections
    assert (section.title, section.plugin) == ("Openings", "openings")
    headline = summary.discussions[0].headline
    assert section.text == "You took 1 of them. 1 missed, 0 still open."
    assert section.items == (
        f"19:34 taken — Darren Rowse (unanswered_question): a <b>reason</b> — in {headline}",
        f"19:37 missed — Darren Rowse (shared_work): a <b>reason</b> — in {headline}",
    )

    text = render_markdown(summary)
    openings = text.split("## Openings", 1)[1].split("\n## ", 1)[0]
    assert "You took 1 of them. 1 missed, 0 still open." in openings
    assert (
        f"- 19:34 taken — Darren Rowse (unanswered\\_question): a \\<b\\>reason\\</b\\> — in "
        f"{headline}" in openings
    )
    page = render_html(summary, picture=False)
    assert "a &lt;b&gt;reason&lt;/b&gt;" in page and "<b>reason" not in page
    assert load_summary(render_json(summary)) == summary


async def test_another_owners_openings_and_exchanges_stay_out_of_the_summary(
    scene: Scene,
) -> None:
    await store_openings(scene)
    row = await scene.db.fetchone("SELECT person_id FROM identities WHERE nick = 'darren'")
    assert row is not None
    other = OpeningsStore(scene.db, "Zed")  # another instance's owner, sharing the database
    line = LedgerLine(START + timedelta(minutes=8), True, True, True, "#bloggers")
    await other.add_exchange("Darren Rowse", int(row[0]), line)
    await scene.db.execute("UPDATE openings_found SET owner = 'Zed' WHERE id = 2")
    summary = await _composed(scene)
    [section] = summary.sections  # no Relationships: Ann exchanged nothing
    assert (section.title, section.text) == ("Openings", "You took 1 of them.")
    assert [item.split(" — ")[0] for item in section.items] == ["19:34 taken"]


async def test_without_openings_the_section_says_none_were_surfaced(scene: Scene) -> None:
    summary = await _composed(scene)
    [section] = summary.sections
    assert (section.title, section.text, section.items) == (
        "Openings",
        "No openings were surfaced.",
        (),
    )


async def test_a_relationship_that_moved_in_the_session_shows_its_stages(scene: Scene) -> None:
    row = await scene.db.fetchone("SELECT person_id FROM identities WHERE nick = 'darren'")
    assert row is not None
    store = OpeningsStore(scene.db, settings().owner.history_key)
    await scene.db.apply_migrations("plugin:openings", OpeningsPlugin.migrations)
    long_ago = datetime(2023, 12, 1, 9, 0, tzinfo=UTC)
    await store.add_exchange(
        "Darren Rowse", int(row[0]), LedgerLine(long_ago, True, False, True, "#bloggers")
    )
    for minutes, to_owner in ((8, False), (9, True)):
        at = START + timedelta(minutes=minutes)
        line = LedgerLine(at, to_owner, True, not to_owner, "#bloggers")  # replies both ways
        await store.add_exchange("Darren Rowse", int(row[0]), line)
    summary = await _composed(scene)
    relationships = [s for s in summary.sections if s.title == "Relationships"]
    assert [s.items for s in relationships] == [
        ("Darren Rowse: noticed → exchanged (2 exchanges this session)",)
    ]
