"""Your part: whom the owner talked with and about what, and which openings they took.

The weekly chat of ``conftest.py`` (Ann is the owner, Darren the notable member) is composed
from the database; the openings are stored in the openings plugin's own table, as the
plugin stores them, and only read here.
"""

from __future__ import annotations

from datetime import timedelta

from assistant.openings.store import MIGRATIONS
from assistant.summaries.compose import compose_summary
from assistant.summaries.html import render_html
from assistant.summaries.json import load_summary, render_json
from assistant.summaries.markdown import render_markdown

from .conftest import START, Scene, settings


async def store_openings(scene: Scene) -> None:
    await scene.db.apply_migrations("openings", MIGRATIONS)
    row = await scene.db.fetchone("SELECT person_id FROM identities WHERE nick = 'darren'")
    assert row is not None
    for number, (minutes, kind, outcome) in enumerate(
        [(4, "unanswered_question", "taken"), (7, "shared_work", "dismissed")], 1
    ):
        at = (START + timedelta(minutes=minutes)).timestamp()
        await scene.db.execute(
            "INSERT INTO openings_found (id, person_id, person, kind, network, channel, nick, "
            "message, at, found_at, score, parts, reason, angle, outcome) "
            "VALUES (?, ?, 'Darren Rowse', ?, 'libera', '#bloggers', 'darren', '', ?, ?, 1.0, "
            "'{}', 'a <b>reason</b>', '', ?)",
            (number, row[0], kind, at, at, outcome),
        )


async def test_your_part_names_whom_you_talked_with_about_what_and_the_opening_you_took(
    scene: Scene,
) -> None:
    await store_openings(scene)
    summary = await compose_summary(scene.db, scene.session_id, settings())
    (darren,) = [e for e in summary.exchanges if e.person == "darren"]
    assert (darren.notable, darren.owner_to_them, darren.them_to_owner) == (True, 1, 1)
    assert darren.discussions == (summary.discussions[0].headline,)

    text = render_markdown(summary)
    part = text.split("## Your part", 1)[1].split("\n## ", 1)[0]
    headline = summary.discussions[0].headline
    assert f"- ★ darren: 1 from you, 1 to you — about {headline}" in part
    assert "Openings you took:" in part
    assert f"- 19:34 Darren Rowse (unanswered\\_question) — in {headline}" in part
    assert "shared\\_work" not in part  # dismissed: not taken
    assert "1 missed, 0 still open." in part

    page = render_html(summary, picture=False)
    mine = page.split('id="exchanges"', 1)[1].split("<h2", 1)[0]
    assert f"darren: 1 from you, 1 to you — about {headline}" in mine
    assert "Openings you took:" in mine and "unanswered_question" in mine
    assert load_summary(render_json(summary)) == summary


async def test_without_openings_data_your_part_still_shows_your_exchanges(scene: Scene) -> None:
    summary = await compose_summary(scene.db, scene.session_id, settings())
    assert summary.openings is None
    part = render_markdown(summary).split("## Your part", 1)[1].split("\n## ", 1)[0]
    assert "★ darren: 1 from you, 1 to you" in part
    assert "Openings you took" not in part
