"""Your part: whom the owner talked with and about what.

The weekly chat of ``conftest.py`` (Ann is the owner, Darren the notable member) is composed
from the database. The openings the owner took are the openings plugin's section
(``tests/plugins/test_openings_summary.py``): the core never reads that plugin's tables.
"""

from __future__ import annotations

from assistant.summaries.compose import compose_summary
from assistant.summaries.html import render_html
from assistant.summaries.json import load_summary, render_json
from assistant.summaries.markdown import render_markdown

from .conftest import Scene, settings, store_openings


async def test_your_part_names_whom_you_talked_with_about_what(scene: Scene) -> None:
    summary = await compose_summary(scene.db, scene.session_id, settings())
    (darren,) = [e for e in summary.exchanges if e.person == "darren"]
    assert (darren.notable, darren.owner_to_them, darren.them_to_owner) == (True, 1, 1)
    assert darren.discussions == (summary.discussions[0].headline,)

    text = render_markdown(summary)
    part = text.split("## Your part", 1)[1].split("\n## ", 1)[0]
    headline = summary.discussions[0].headline
    assert f"- ★ darren: 1 from you, 1 to you — about {headline}" in part

    page = render_html(summary, picture=False)
    mine = page.split('id="exchanges"', 1)[1].split("<h2", 1)[0]
    assert f"darren: 1 from you, 1 to you — about {headline}" in mine
    assert load_summary(render_json(summary)) == summary


async def test_the_core_reads_no_openings_even_when_the_plugins_tables_hold_some(
    scene: Scene,
) -> None:
    await store_openings(scene)
    summary = await compose_summary(scene.db, scene.session_id, settings())
    assert summary.openings is None and summary.relationship_changes is None
    text = render_markdown(summary)
    part = text.split("## Your part", 1)[1].split("\n## ", 1)[0]
    assert "★ darren: 1 from you, 1 to you" in part
    assert "Openings" not in text and "unanswered\\_question" not in text
