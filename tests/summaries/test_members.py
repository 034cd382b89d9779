"""Per notable member: each notable who came gets their discussions, key lines, questions
and links.

The weekly chat of ``conftest.py`` is composed from the database as the summary is; the
key-line rules are checked on invented rows shaped as ``read_session`` returns them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from assistant.summaries.compose import compose_summary
from assistant.summaries.discussions import DiscussionMap
from assistant.summaries.html import render_html
from assistant.summaries.json import load_summary, render_json
from assistant.summaries.markdown import render_markdown
from assistant.summaries.members import member_parts
from assistant.summaries.model import AttendanceRow, Discussion, KeyLine, MemberPart, Participant

from .conftest import DARREN_Q, POST, Scene, settings

START = datetime(2024, 3, 5, 19, 0, tzinfo=UTC)


async def test_a_notables_section_lists_their_discussions_unanswered_question_and_link(
    scene: Scene,
) -> None:
    summary = await compose_summary(scene.db, scene.session_id, settings())
    (darren,) = summary.members
    assert darren.person == "Darren Rowse (darren)"
    assert darren.discussions == tuple(d.headline for d in summary.discussions)
    assert [(q.text, q.answered) for q in darren.questions] == [(DARREN_Q, False)]
    assert darren.links == (POST.split()[-1],)
    assert POST in [k.text for k in darren.key_lines]
    assert DARREN_Q not in [k.text for k in darren.key_lines]  # listed once, as a question
    assert "hi all" not in [k.text for k in darren.key_lines]

    text = render_markdown(summary)
    section = text.split("## Notable members", 1)[1].split("## Topics", 1)[0]
    assert "### ★ Darren Rowse (darren)" in section
    assert f"- 19:34 {DARREN_Q} — **no answer**" in section
    assert "Shared: <https://problogger.example/skype-interviews>" in section
    assert load_summary(render_json(summary)) == summary


def rows(lines: list[tuple[float, int, str, str]]) -> list[dict[str, Any]]:
    return [
        {
            "at": (START + timedelta(minutes=minute)).timestamp(),
            "person_id": person,
            "nick": "darren" if person == 5 else "bob",
            "text": text,
            "deleted": 0,
            "key": f"k{index}",
            "acts": acts,
        }
        for index, (minute, person, text, acts) in enumerate(lines)
    ]


def test_key_lines_are_the_most_central_of_their_own_lines_never_greetings() -> None:
    messages = rows(
        [
            (0, 5, "good evening everyone, lovely to see you all", '["greeting"]'),
            (1, 5, "the static site generator rebuilds the whole blog in a second", "[]"),
            (2, 2, "which static site generator do you use for the blog?", "[]"),
            (3, 5, "hugo, with the comments moved to a forum thread", "[]"),
            (4, 5, "my podcast hosting bill dropped after moving the feed", "[]"),
            (5, 5, "the podcast feed now validates in every directory app", "[]"),
            (6, 5, "ok", "[]"),
        ]
    )
    row = AttendanceRow(5, "darren", notable=True, watch_name="Darren", lines=6)
    discussion = Discussion(
        "static site generator",
        START,
        START + timedelta(minutes=5),
        6,
        (Participant("Darren (darren)", 5, True), Participant("bob", 1)),
    )
    mapped = DiscussionMap(
        (discussion,), {1: 0, 2: 0, 3: 0, 4: 0, 5: 0}, {1: 1.4, 2: 1.0, 3: 0.6, 4: 0.9, 5: 1.2}
    )
    (part,) = member_parts(messages, [row, AttendanceRow(2, "bob", lines=1)], mapped, [], [])
    assert part.discussions == ("static site generator",)
    assert [k.text for k in part.key_lines] == [  # the three most central, in the order said
        "the static site generator rebuilds the whole blog in a second",
        "my podcast hosting bill dropped after moving the feed",
        "the podcast feed now validates in every directory app",
    ]


def test_without_notables_the_section_says_so_and_html_escapes_what_they_said(
    scene: Scene,
) -> None:
    part = MemberPart(
        "<b>Darren</b>",
        3,
        ("<i>podcasts</i>",),
        (KeyLine(START, "<b>Darren</b>", "<script>alert('x')</script> my feed"),),
        links=("javascript:alert(1)", "https://problogger.example/feed"),
    )
    page = render_html(replace_members(part), picture=False)
    section = page.split('id="members"', 1)[1].split('id="topics"', 1)[0]
    assert "&lt;b&gt;Darren&lt;/b&gt;" in section and "&lt;i&gt;podcasts&lt;/i&gt;" in section
    assert "&lt;script&gt;" in section and "<script>" not in section
    assert 'href="javascript:' not in section
    assert '<a href="https://problogger.example/feed"' in section
    assert "None of your notable members came." in render_markdown(replace_members())


def replace_members(*parts: MemberPart) -> Any:
    from assistant.summaries.model import SessionInfo, Summary

    session = SessionInfo(
        1, "libera", "#bloggers", "Sunday chat", START, START + timedelta(hours=1)
    )
    return replace(Summary(session=session, generated_at=START), members=parts)
