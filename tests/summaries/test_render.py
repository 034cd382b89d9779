"""Rendering: Markdown with every section, HTML that escapes chat text with its picture, JSON."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import replace

from assistant.summaries.compose import compose_summary
from assistant.summaries.html import render_html
from assistant.summaries.json import SchemaError, load_summary, render_json
from assistant.summaries.markdown import render_markdown
from assistant.summaries.model import SummarySection

from .conftest import DARREN_Q, SCRIPT, Scene, settings

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


async def test_markdown_has_every_section_in_the_sessions_time_zone(scene: Scene) -> None:
    summary = await compose_summary(scene.db, scene.session_id, settings())
    text = render_markdown(summary)
    for heading in (
        "## Attendance",
        "## Topics",
        "### Notable members' topics",
        "## Still open",
        "## Decisions and actions",
        "## Links shared",
        "## Your part",
        "## Follow-ups",
    ):
        assert f"\n{heading}\n" in text
    assert "| Darren Rowse (darren) | ★ | 19:31 | stayed | 29 min | 4 |" in text
    assert "Sun 7 Jan 2024 19:30-20:00 AEDT" in text  # 08:30 UTC is 19:30 in Sydney
    assert "anyone interviewing over Skype these days?" in text
    assert "<script>" not in text  # escaped: no viewer turns chat text into HTML


async def test_html_escapes_chat_text_and_embeds_the_timeline_picture(scene: Scene) -> None:
    summary = await compose_summary(scene.db, scene.session_id, settings())
    page = render_html(summary)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; friends" in page
    assert SCRIPT not in page
    found = re.search(r'<img class="timeline"[^>]* src="data:image/png;base64,([^"]+)"', page)
    assert found is not None
    png = base64.b64decode(found.group(1), validate=True)
    assert png.startswith(PNG_SIGNATURE)
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width > 400 and height > 100
    assert DARREN_Q in page
    assert '<a href="https://problogger.example/skype-interviews"' in page


async def test_html_of_a_section_with_markup_shows_it_as_text(scene: Scene) -> None:
    summary = await compose_summary(scene.db, scene.session_id, settings())
    summary = replace(
        summary,
        sections=(SummarySection("<i>Mine</i>", ("<img src=x onerror=alert(1)>",), plugin="p"),),
    )
    page = render_html(summary)
    assert "&lt;i&gt;Mine&lt;/i&gt;" in page
    assert "<img src=x" not in page


async def test_json_round_trips_to_the_same_summary(scene: Scene) -> None:
    summary = await compose_summary(scene.db, scene.session_id, settings())
    summary = replace(summary, sections=(SummarySection("Extra", ("one", "two"), "why", "p"),))
    document = render_json(summary)
    data = json.loads(document)
    assert data["schema"] == "presence.summary/1"
    assert data["attendance"][0]["name"] == "darren"
    assert data["session"]["started_at"] == "2024-01-07T08:30:00+00:00"
    assert load_summary(document) == summary


def test_a_document_of_another_schema_is_refused_with_a_hint() -> None:
    try:
        load_summary('{"schema": "something/2"}')
    except SchemaError as exc:
        assert "presence summary --format json" in str(exc)
    else:
        raise AssertionError("no SchemaError")
