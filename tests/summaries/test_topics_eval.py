"""``presence eval topics``: gold topics from human minutes, hidden from Presence, then matched."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from assistant.nlp.pipeline import load_pipeline
from assistant.summaries.gold_topics import GoldError, find_minuted_meetings, w3c_gold
from assistant.summaries.model import Question
from assistant.summaries.open_check import check_open_questions
from assistant.summaries.topic_match import ContentLemmas, matches
from assistant.summaries.topics_eval import score_headlines
from assistant.testing.cli import run_presence

FIXTURES = Path(__file__).parent / "fixtures" / "topics"
W3C = FIXTURES / "w3c" / "2020-04-07"
MEETBOT = FIXTURES / "meetbot" / "spec_meeting.2021-03-15-19.01.log.txt"


@pytest.fixture(scope="module")
def lemmas() -> ContentLemmas:
    return ContentLemmas(load_pipeline())


def test_w3c_gold_is_the_minutes_topics_list_and_the_scribes_topic_lines_are_hidden() -> None:
    [meeting] = find_minuted_meetings([W3C])
    assert meeting.kind == "w3c"
    assert meeting.gold == (
        "Introductions & Reintroductions",
        "Announcements & Reminders",
        "Progress on Action Items",
        "Charter and Process Updates",
    )
    assert meeting.removed == 4
    assert not re.search(r"\t(sub)?topic\s*:", meeting.cleaned, re.IGNORECASE)
    kept = (W3C / "irc.log").read_text(encoding="utf-8").count("\n") - meeting.removed
    assert meeting.cleaned.count("\n") == kept  # nothing else was dropped


def test_a_scribes_echo_of_the_chairs_topic_line_is_hidden_too(tmp_path: Path) -> None:
    log = (
        "[2021-02-02T17:00:00.000Z]\t<sam>\tTopic: Welcome\n"
        "[2021-02-02T17:01:00.000Z]\t<sam>\tpat: Topic: Garden plans\n"
        "[2021-02-02T17:02:00.000Z]\t<sam>\tpat: the next topic: is it the shed?\n"
        "[2021-02-02T17:03:00.000Z]\t<sam>\tlee: topic ideas are welcome\n"
        "[2021-02-02T17:04:00.000Z]\t<sam>\t... topic: Seed swap\n"
        "[2021-02-02T17:05:00.000Z]\t<sam>\tTopipc: Compost\n"
        "[2021-02-02T17:06:00.000Z]\t<sam>\tpat: the tropic plants need shade: mine died\n"
    )
    (tmp_path / "irc.log").write_text(log, encoding="utf-8")
    minutes = "Topics:\n  1. Welcome\n  2. Garden plans\nScribe:\n"
    (tmp_path / "email.log").write_text(minutes, encoding="utf-8")
    [meeting] = find_minuted_meetings([tmp_path])
    assert meeting.removed == 4
    assert not {"Garden", "Seed", "Compost"} & set(meeting.cleaned.split())
    assert "the next topic: is it the shed?" in meeting.cleaned
    assert "topic ideas are welcome" in meeting.cleaned
    assert "the tropic plants need shade: mine died" in meeting.cleaned


def test_a_wrapped_w3c_topic_title_is_read_whole() -> None:
    minutes = "Topics:\n  1. A topic whose title is long\n     enough to wrap\n  2. Next\nScribe:\n"
    assert w3c_gold(minutes) == ("A topic whose title is long enough to wrap", "Next")


def test_meetbot_gold_is_the_chairs_topic_lines_and_item_words_are_cut() -> None:
    [meeting] = find_minuted_meetings([MEETBOT])
    assert meeting.kind == "meetbot"
    assert meeting.gold == (
        "Update closing fee requirement for anchor outputs",
        "Discuss implementation priorities for 2021",
    )
    assert "> #topic" not in meeting.cleaned  # (the bot's list of commands names it still)
    assert "<t-bast> t-bast to add a tlv to signal accepted feerate bounds" in meeting.cleaned
    assert "#action t-bast" not in meeting.cleaned
    assert "#startmeeting Spec Meeting" in meeting.cleaned  # other commands stay


def test_folders_are_searched_down_and_a_folder_without_minutes_is_an_error(
    tmp_path: Path,
) -> None:
    assert [m.kind for m in find_minuted_meetings([FIXTURES])] == ["w3c", "meetbot"]
    (tmp_path / "irc.log").write_text("no minutes beside it\n", encoding="utf-8")
    with pytest.raises(GoldError, match="no meeting with minutes here"):
        find_minuted_meetings([tmp_path])
    with pytest.raises(GoldError, match="no such file or folder"):
        find_minuted_meetings([tmp_path / "missing"])


@pytest.mark.parametrize(
    ("headline", "gold", "expected"),
    [
        ("dns", "DNS addresses in node_announcement", True),  # 1 of 1+3: Dice 0.5
        ("introductions", "Introductions & Reintroductions", True),  # lemmas, any case
        ("action items", "Progress on Action Items", True),
        ("fee", "Update closing fee requirement for anchor outputs", False),  # 1 of 1+6
        ("spec", "Moving to a new org", False),
        ("q+", "Announcements & Reminders", False),  # no content word at all
    ],
)
def test_the_matching_rule(lemmas: ContentLemmas, headline: str, gold: str, expected: bool) -> None:
    head, topic = lemmas.of([headline, gold])
    assert matches(head, topic) is expected


def test_each_gold_topic_takes_its_best_headline_and_precision_counts_every_match(
    lemmas: ContentLemmas,
) -> None:
    score = score_headlines(
        "m",
        ["DNS addresses in node_announcement", "Dust exposure", "Moving to a new org"],
        ["dns", "ping", "dust", "dust exposure"],
        lemmas,
    )
    assert score.found_by == ("dns", "dust exposure", None)
    assert (score.found, score.matched, score.unmatched) == (
        2,
        frozenset({"dns", "dust", "dust exposure"}),
        ("ping",),
    )


def test_the_command_replays_both_kinds_of_meeting_and_prints_the_figures(
    tmp_path: Path,
) -> None:
    done = run_presence("eval", "topics", "--open", FIXTURES, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    last = re.fullmatch(
        r"topics: recall=(\d+\.\d) precision=(\d+\.\d) discussions=(\d+) gold=6 meetings=2",
        lines[-1],
    )
    assert last is not None, lines[-1]
    assert int(last.group(3)) > 0, "the replayed meetings produced no headlines"
    for gold in ("Charter and Process Updates", "Discuss implementation priorities for 2021"):
        assert gold in done.stdout
    # The per-meeting tables add up to the last line.
    found = sum(int(n) for n in re.findall(r": (\d+)/\d+ found", done.stdout))
    assert float(last.group(1)) == pytest.approx(round(100 * found / 6, 1))
    assert "session(s)" in done.stdout and " 0 session(s)" not in done.stdout
    for meeting in ("2020-04-07", "spec_meeting.2021-03-15-19.01"):
        assert re.search(
            rf"^{re.escape(meeting)}: \d+ question\(s\) listed as still open over \d+\.\d h$",
            done.stdout,
            re.MULTILINE,
        )


def test_the_command_explains_a_path_without_meetings(tmp_path: Path) -> None:
    done = run_presence("eval", "topics", tmp_path, cwd=tmp_path)
    assert done.returncode == 2
    assert "no meeting with minutes here" in done.stderr


def row(index: int, nick: str, text: str, reply_to: list[str] | None = None) -> dict[str, object]:
    return {
        "at": 1_600_000_000.0 + 60 * index,
        "nick": nick,
        "text": text,
        "key": f"k{index}",
        "reply_to": None if reply_to is None else json.dumps(reply_to),
    }


def test_an_open_question_is_shown_with_the_next_line_in_its_thread() -> None:
    messages = [
        row(0, "ann", "who runs the podcast workshop?"),
        row(1, "bob", "unrelated: anyone seen the new spec?"),
        row(2, "ann", "it was last week I think", ["k0"]),  # the asker again
        row(3, "cat", "bob: dan does, ask him", ["k2"]),  # another speaker, same thread
        row(4, "dan", "is the spec final?"),
    ]
    asked = [
        Question(datetime.fromtimestamp(float(m["at"]), UTC), str(m["nick"]), str(m["text"]))
        for m in (messages[0], messages[4])
    ]
    first, last = check_open_questions(messages, asked)
    assert (first.answer_by, first.answer_text) == ("cat", "bob: dan does, ask him")
    assert last.answer_at is None  # nothing came after it in its thread
