"""Decisions and actions: lines that decide, assign or agree, with their authors.

The chat lines are invented for these tests; rows are shaped as ``read_session`` returns
them, without an analysis (the plain rules apply).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from assistant.summaries.decisions import build_decisions
from assistant.summaries.discussions import DiscussionMap, Speaker
from assistant.summaries.html import render_html
from assistant.summaries.json import load_summary, render_json
from assistant.summaries.markdown import render_markdown
from assistant.summaries.model import Decision, KeyLine, SessionInfo, Summary

START = datetime(2024, 3, 5, 19, 0, tzinfo=UTC)
NICKS = {1: "alice", 2: "bob", 3: "carol", 5: "darren"}
SPEAKERS = {
    1: Speaker("alice"),
    2: Speaker("bob"),
    3: Speaker("carol"),
    5: Speaker("Darren Rowse (darren)", notable=True),
}


def rows(lines: list[tuple[float, int, str]]) -> list[dict[str, Any]]:
    return [
        {
            "at": (START + timedelta(minutes=minute)).timestamp(),
            "person_id": person,
            "nick": NICKS[person],
            "text": text,
            "deleted": 0,
            "key": None,
        }
        for minute, person, text in lines
    ]


def decided(lines: list[tuple[float, int, str]]) -> list[Decision]:
    return list(build_decisions(rows(lines), SPEAKERS, DiscussionMap(), 1.0))


def test_taking_care_of_something_is_an_action_by_its_author() -> None:
    found = decided(
        [
            (0, 1, "the docs still describe the old installer"),
            (1, 5, "I'll take care of the docs"),
            (2, 2, "I will send the draft tomorrow"),
        ]
    )
    assert [(d.kind, d.person, d.assignee, d.notable) for d in found] == [
        ("action", "Darren Rowse (darren)", "Darren Rowse (darren)", True),
        ("action", "bob", "bob", False),
    ]
    assert found[0].text == "I'll take care of the docs"


def test_an_action_item_names_whom_it_assigns() -> None:
    found = decided([(0, 1, "action: bob to update the docs"), (1, 3, "the weather is lovely")])
    assert [(d.kind, d.person, d.assignee) for d in found] == [("action", "alice", "bob")]


def test_a_bare_plus_one_with_nothing_proposed_before_is_no_decision() -> None:
    assert decided([(0, 1, "+1")]) == []
    assert decided([(0, 1, "the site is so slow lately"), (1, 2, "+1"), (2, 3, "agreed")]) == []


def test_a_plus_one_after_a_proposal_agrees_with_it_and_says_which() -> None:
    proposal = "shall we move the chat to Thursdays?"
    found = decided([(0, 1, proposal), (1, 2, "+1"), (2, 3, "agreed")])
    assert [(d.kind, d.person) for d in found] == [("agreement", "bob"), ("agreement", "carol")]
    assert all(d.agrees_with is not None for d in found)
    assert {(d.agrees_with.person, d.agrees_with.text) for d in found if d.agrees_with} == {
        ("alice", proposal)
    }


def test_decisions_are_told_by_their_words_and_procedure_decides_nothing() -> None:
    found = decided(
        [
            (0, 1, "let's start"),
            (1, 2, "+1"),
            (2, 1, "let's move the meetup to the library"),
            (3, 3, "resolved: the registry moves to GitHub"),
            (4, 2, "we agreed to keep the RSS feed"),
            (5, 1, "+1 from me, merging"),
            (6, 3, "I'll be there"),
        ]
    )
    assert [(d.kind, d.text) for d in found] == [
        ("decision", "let's move the meetup to the library"),
        ("decision", "resolved: the registry moves to GitHub"),
        ("decision", "we agreed to keep the RSS feed"),
        ("decision", "+1 from me, merging"),
    ]


def test_meetbot_items_are_left_to_the_minutes() -> None:
    found = decided(
        [
            (0, 1, "#startmeeting weekly"),
            (1, 1, "#action bob to update the docs"),
            (2, 2, "action: bob to update the docs"),
            (3, 1, "#agreed we ship on Friday"),
            (4, 3, "I'll write the release notes"),
        ]
    )
    assert [(d.kind, d.person, d.text) for d in found] == [
        ("action", "carol", "I'll write the release notes")
    ]


HOSTILE = Decision(
    at=START,
    person="bob",
    kind="agreement",
    text="+1 <script>alert('x')</script>",
    agrees_with=KeyLine(START, "darren", "shall we use <b>Hugo</b>?"),
    discussion="static site",
)


def summary_with(*decisions: Decision) -> Summary:
    session = SessionInfo(
        1, "libera", "#bloggers", "Sunday chat", START, START + timedelta(hours=1)
    )
    return Summary(session=session, generated_at=START, decisions=decisions)


def test_markdown_html_and_json_show_the_decisions_escaped() -> None:
    action = Decision(START, "Darren Rowse (darren)", "action", "I'll fix the feed", True, "Darren")
    summary = summary_with(action, HOSTILE)
    text = render_markdown(summary)
    section = text.split("## Decisions and actions", 1)[1].split("## Links shared", 1)[0]
    assert "**action** for Darren — ★ **Darren Rowse (darren)**: I'll fix the feed" in section
    assert "agrees with darren: “shall we use \\<b\\>Hugo\\</b\\>?”" in section
    assert "<script>" not in section and "_(static site)_" in section
    page = render_html(summary, picture=False)
    assert "Decisions and actions" in page
    assert "&lt;script&gt;" in page and "<script>" not in page
    assert "shall we use &lt;b&gt;Hugo&lt;/b&gt;?" in page
    assert load_summary(render_json(summary)) == summary


def test_an_empty_section_says_nothing_was_decided() -> None:
    text = render_markdown(summary_with())
    assert "## Decisions and actions\n\nNothing was decided or assigned in the chat." in text
