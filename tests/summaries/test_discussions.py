"""What was discussed: discussions built from message rows the way the analyzer stores them.

The chat lines are invented for these tests. Each row's topics, acts and links come from
the real spaCy pipeline (the one the analyzer runs), and its thread is given as the
analyzer's thread linking would store it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from spacy.language import Language

from assistant.nlp.pipeline import load_pipeline
from assistant.summaries.discussions import Speaker, build_discussions
from assistant.summaries.html import render_html
from assistant.summaries.json import load_summary, render_json
from assistant.summaries.markdown import render_markdown
from assistant.summaries.model import Discussion, KeyLine, Participant, SessionInfo, Summary

START = datetime(2024, 3, 5, 19, 0, tzinfo=UTC)
PEOPLE = {
    1: Speaker("alice"),
    2: Speaker("bob"),
    3: Speaker("carol"),
    4: Speaker("dave"),
    5: Speaker("Darren Rowse (darren)", notable=True),
    6: Speaker("identitywoman"),
    7: Speaker("kimhd"),
}
NICKS = {1: "alice", 2: "bob", 3: "carol", 4: "dave", 5: "darren", 6: "identitywoman", 7: "kimhd"}

# (minute, person, thread, text)
Line = tuple[float, int, str, str]

PING_THREAD: list[Line] = [
    (0, 1, "ping", "the server drops clients when the ping rate limit is hit"),
    (1, 2, "ping", "which ping rate limit do you mean, the one in the config file?"),
    (2, 1, "ping", "yes, the ping rate limit defaults to ten pings a minute"),
    (3, 2, "ping", "raising the ping rate limit fixed the disconnects for my bouncer"),
    (4, 1, "ping", "then the ping rate limit should scale with the number of clients"),
    (5, 2, "ping", "I will open a bug about the ping rate limit and the bouncer disconnects"),
    (6, 1, "ping", "great, link the bug about the ping rate limit here"),
    (7, 2, "ping", "done: https://bugs.example.org/1234 covers the ping rate limit"),
]
BLOG_THREAD: list[Line] = [
    (30, 3, "blog", "we are moving the blog hosting to a static site generator"),
    (31, 4, "blog", "which static site generator, hugo or jekyll?"),
    (32, 3, "blog", "hugo, the static site generator builds the blog in a second"),
    (33, 4, "blog", "the blog hosting bill should drop a lot with a static site"),
    (34, 3, "blog", "comments are the hard part of a static site generator"),
    (35, 4, "blog", "a static site generator can embed comments from a forum"),
    (36, 3, "blog", "I will try the static site generator on the staging blog"),
    (37, 4, "blog", "send the staging blog address when the static site is up"),
]


@pytest.fixture(scope="module")
def nlp() -> Language:
    """The analyzer's pipeline (its topics, acts and links are what discussions read)."""
    return load_pipeline()


def rows(nlp: Language, lines: Sequence[Line]) -> list[dict[str, Any]]:
    """Message rows as ``read_session`` returns them, analysed by the real pipeline."""
    out: list[dict[str, Any]] = []
    for index, (minute, person, thread, text) in enumerate(lines):
        doc = nlp(text)
        out.append(
            {
                "id": index + 1,
                "at": (START + timedelta(minutes=minute)).timestamp(),
                "kind": "message",
                "text": text,
                "deleted": 0,
                "person_id": person,
                "nick": NICKS[person],
                "key": f"k{index + 1}",
                "topics": json.dumps(list(doc._.assistant_topics)),
                "acts": json.dumps(list(doc._.assistant_acts)),
                "links": json.dumps(list(doc._.assistant_links)),
                "thread": thread,
                "reply_to": "[]",
            }
        )
    return out


def texts_of(lines: Sequence[Line]) -> set[str]:
    return {text for _, _, _, text in lines}


def test_two_threads_give_two_discussions_named_by_their_own_words(nlp: Language) -> None:
    found = build_discussions(rows(nlp, PING_THREAD + BLOG_THREAD), PEOPLE)

    assert len(found) == 2
    by_people = {frozenset(p.name for p in d.participants): d for d in found}
    ping = by_people[frozenset({"alice", "bob"})]
    blog = by_people[frozenset({"carol", "dave"})]
    assert "ping" in ping.headline and len(ping.headline.split()) >= 2
    assert "site" in blog.headline or "blog" in blog.headline
    assert ping.lines == len(PING_THREAD) and blog.lines == len(BLOG_THREAD)
    assert ping.links == ("https://bugs.example.org/1234",)
    assert blog.links == ()
    assert ping.started_at == START and ping.ended_at == START + timedelta(minutes=7)


def test_representative_lines_are_central_lines_of_their_own_discussion(nlp: Language) -> None:
    found = build_discussions(rows(nlp, PING_THREAD + BLOG_THREAD), PEOPLE)

    for discussion in found:
        own = PING_THREAD if "alice" in {p.name for p in discussion.participants} else BLOG_THREAD
        assert 1 <= len(discussion.key_lines) <= 2
        assert {k.text for k in discussion.key_lines} <= texts_of(own)
        assert [k.at for k in discussion.key_lines] == sorted(k.at for k in discussion.key_lines)


def test_greetings_and_thanks_are_neither_headlines_nor_key_lines(nlp: Language) -> None:
    greetings: list[Line] = [
        (-3, 3, "hello", "good evening everyone"),
        (-2, 4, "hello", "hi all, happy tuesday"),
        (-1, 3, "hello", "evening dave!"),
        (8, 1, "ping", "thanks bob, much appreciated"),
        (9, 2, "ping", "thank you alice"),
    ]
    found = build_discussions(rows(nlp, greetings + PING_THREAD), PEOPLE)

    headlines = " ".join(d.headline for d in found)
    for word in ("evening", "hello", "hi", "thanks", "tuesday", "morning"):
        assert word not in headlines.split()
    quoted = {k.text for d in found for k in d.key_lines}
    assert not quoted & texts_of(greetings)


def test_laughter_however_it_is_spelt_is_no_headline(nlp: Language) -> None:
    laughing: list[Line] = [
        (30, 3, "fun", "the power outage took the whole street down, lolol"),
        (31, 4, "fun", "lolol, a power outage on launch day"),
        (32, 3, "fun", "lolol the generator ran for ten minutes"),
        (33, 4, "fun", "lolol"),
        (34, 3, "fun", "lolol"),
        (35, 4, "fun", "lolol the generator is older than the server"),
        (36, 3, "fun", "lolol"),
        (37, 4, "fun", "lolol"),
    ]
    found = build_discussions(rows(nlp, PING_THREAD + laughing), PEOPLE)

    words = {w for d in found for w in d.headline.lower().split()}
    assert words & {"power", "outage", "generator"}
    assert "lolol" not in words


def test_a_greeting_with_content_counts_but_does_not_represent_the_discussion(
    nlp: Language,
) -> None:
    hello: list[Line] = [
        (
            -1,
            3,
            "ping",
            "hi everyone, the ping rate limit disconnects my bouncer too, "
            "the ping rate limit of the server config drops clients",
        ),
    ]
    found = build_discussions(rows(nlp, hello + PING_THREAD), PEOPLE)

    [ping] = [d for d in found if "ping" in d.headline]
    assert "carol" in {p.name for p in ping.participants}
    assert ping.key_lines and all(not k.text.startswith("hi everyone") for k in ping.key_lines)


def test_a_session_of_only_greetings_has_nothing_to_show(nlp: Language) -> None:
    greetings: list[Line] = [
        (0, 3, "a", "good evening everyone"),
        (1, 4, "a", "hi carol, evening!"),
        (2, 1, "a", "hello all"),
        (3, 2, "a", "thanks, bye!"),
    ]
    assert build_discussions(rows(nlp, greetings), PEOPLE) == ()


def test_small_talk_that_names_nothing_twice_is_no_discussion(nlp: Language) -> None:
    before: list[Line] = [
        (-40, 3, "pre", "my headset died, rebooting the laptop"),
        (-39, 4, "pre", "can someone share the dial-in number?"),
        (-38, 3, "pre", "found it in the calendar invite"),
        (-37, 4, "pre", "the weather here is lovely today"),
    ]
    found = build_discussions(rows(nlp, before + PING_THREAD), PEOPLE)

    assert [d.lines for d in found] == [len(PING_THREAD)]


def test_queue_and_presence_commands_take_part_in_no_discussion(nlp: Language) -> None:
    commands: list[Line] = [
        (0.5, 3, "ping", "q+"),
        (1.5, 4, "ping", "q?"),
        (2.5, 1, "ping", "ack carol"),
        (3.5, 3, "ping", "q-"),
        (4.5, 4, "ping", "present+"),
    ]
    found = build_discussions(rows(nlp, PING_THREAD + commands), PEOPLE)

    assert len(found) == 1
    (discussion,) = found
    assert discussion.lines == len(PING_THREAD)
    assert {p.name for p in discussion.participants} == {"alice", "bob"}
    assert not {"q+", "q-", "q?", "ack", "present+"} & set(discussion.headline.split())


def test_a_meetbot_topic_heads_what_follows_it(nlp: Language) -> None:
    topic: list[Line] = [(29, 5, "chair", "#topic Moving the blog to a new host")]
    found = build_discussions(rows(nlp, PING_THREAD + topic + BLOG_THREAD), PEOPLE)

    headed = [d for d in found if d.heading]
    assert len(headed) == 1
    (blog,) = headed
    assert blog.headline == "Moving the blog to a new host"
    assert blog.lines == len(BLOG_THREAD) + 1
    assert {p.name for p in blog.participants} == {"Darren Rowse (darren)", "carol", "dave"}
    others = [d for d in found if not d.heading]
    assert [d.lines for d in others] == [len(PING_THREAD)]


def test_a_line_that_only_names_the_subject_heads_its_discussion(nlp: Language) -> None:
    # A scribed meeting without #topic: the chair names the item on a line of its own, then the
    # talk is about the release notes it contains.
    meeting: list[Line] = [
        (0, 5, "m", "darren: Action items"),
        (1, 1, "m", "alice: the release notes for the spec still need a reviewer"),
        (2, 2, "m", "bob: I can review the release notes this week"),
        (3, 1, "m", "alice: the release notes also list the new test suite"),
        (4, 2, "m", "bob: the test suite still fails on windows"),
        (5, 5, "m", "darren: that was the last one, thanks"),
    ]
    found = build_discussions(rows(nlp, meeting), PEOPLE)

    assert [d.headline for d in found] == ["Action items"]


# A scribed call in one reply thread: the chair moves through the standing items.
CALL: list[Line] = [
    (0, 5, "call", "darren: welcome everyone, the agenda is in the mailing list post"),
    (1, 5, "call", "darren: Anyone new to the call?"),
    (2, 1, "call", "alice: hi, I'm Alice from Perth, I build garden sensors"),
    (3, 2, "call", "bob: I'm Bob, I maintain the irrigation controller firmware"),
    (4, 3, "call", "carol: Carol here, I write the garden sensor documentation"),
    (5, 5, "call", "darren: Announcements and reminders"),
    (6, 1, "call", "alice: the sensor meetup moved to the library on Friday"),
    (7, 2, "call", "bob: the firmware release candidate is out for testing"),
    (8, 5, "call", "darren: any other announcements?"),
    (9, 3, "call", "carol: the documentation sprint starts next Monday"),
    (10, 5, "call", "darren: Action items"),
    (11, 2, "call", "bob: the flaky firmware test is fixed, closing that one"),
    (12, 1, "call", "alice: the sensor calibration guide still needs a reviewer"),
    (13, 3, "call", "carol: I can review the sensor calibration guide"),
]


def test_a_chairs_standing_agenda_items_start_their_own_discussions(nlp: Language) -> None:
    found = build_discussions(rows(nlp, CALL), PEOPLE)

    by_start = sorted(found, key=lambda d: d.started_at)
    assert [d.headline for d in by_start] == [
        "Introductions",  # "anyone new to the call?" opens a round of introductions
        "Announcements and reminders",
        "Action items",
    ]
    # Asking for more of the same ("any other announcements?") does not start another.
    assert [d.lines for d in by_start] == [4, 5, 4]
    assert not any(d.heading for d in found)  # named by what was said, not by a #topic


# The subject of the day after the standing items, in the same scribed thread.
DASHBOARD_TALK: list[Line] = [
    (16 + i, [5, 1, 2, 4][i % 4], "call", text)
    for i, text in enumerate(
        [
            "darren: today's main topic is the soil moisture dashboard prototype",
            "alice: the soil moisture dashboard reads every probe once a minute",
            "bob: the soil moisture dashboard should show the irrigation schedule too",
            "dave: can the soil moisture dashboard export a weekly chart?",
            "darren: a weekly chart export is planned for the soil moisture dashboard",
            "alice: the moisture probes send their readings over the mesh radio",
            "bob: the mesh radio drops readings when the moisture probes are far apart",
            "dave: a repeater near the far beds would keep the mesh radio stable",
            "darren: the soil moisture dashboard flags a probe that stops reporting",
            "alice: the dashboard prototype runs on a spare laptop in the shed",
            "bob: the shed laptop sleeps at night, so the dashboard prototype misses data",
            "dave: a small always-on board could host the soil moisture dashboard",
            "darren: let's try the soil moisture dashboard on a board next month",
            "alice: I'll write down the dashboard prototype setup for the board",
            "bob: the irrigation schedule view can wait for the board version",
            "dave: the weekly chart export matters most to the allotment members",
            "darren: agreed, the soil moisture dashboard demo is next call",
            "alice: the moisture probes' battery level belongs on the dashboard too",
            "bob: battery level is in every probe reading already",
            "dave: then the soil moisture dashboard can warn before a probe dies",
        ]
    )
]


MORE_ACTIONS: list[Line] = [
    (14, 4, "call", "dave: the library booking for the meetup is confirmed, closing it"),
    (14.5, 5, "call", "darren: the review of the firmware changelog is still open"),
    (15, 2, "call", "bob: I'll finish the firmware changelog review this week"),
    (15.5, 1, "call", "alice: the sensor calibration guide review can close after carol's pass"),
]


def test_the_talk_after_a_standing_item_is_a_discussion_of_its_own(nlp: Language) -> None:
    found = build_discussions(rows(nlp, CALL + MORE_ACTIONS + DASHBOARD_TALK), PEOPLE)

    by_start = sorted(found, key=lambda d: d.started_at)
    headlines = [d.headline for d in by_start]
    assert headlines[:3] == ["Introductions", "Announcements and reminders", "Action items"]
    # The action items stay the few lines they were; the day's subject is named for itself.
    assert by_start[2].lines < 10
    assert any("dashboard" in h or "moisture" in h for h in headlines[3:])


def test_a_participant_named_by_the_start_of_their_nick_is_no_headline(nlp: Language) -> None:
    talk: list[Line] = [
        (0, 1, "t", "so Carolyn found the bug in the probes"),
        (1, 2, "t", "Carolyn wrote the patch for the probes last night"),
        (2, 3, "t", "the probes look fine now, I tested them"),
        (3, 1, "t", "ask Carolyn about the firmware too"),
        (4, 2, "t", "I think Carolyn knows the firmware best"),
        (5, 3, "t", "yes, the firmware comes next week"),
    ]
    messages = rows(nlp, talk)
    for message in messages:
        if message["person_id"] == 3:
            message["nick"] = "carolyn_w"
    [found] = build_discussions(messages, PEOPLE)

    assert found.headline == "probes"  # carolyn_w is "Carolyn", however often she is named


def test_a_headline_is_written_as_people_wrote_it_not_as_lemmas(nlp: Language) -> None:
    talk: list[Line] = [
        (0, 1, "t", "the LEI issuers publish their metadata as JSON"),
        (1, 2, "t", "which LEI issuers publish metadata today?"),
        (2, 1, "t", "two LEI issuers do, the metadata lists their roles"),
        (3, 2, "t", "Metadata from LEI issuers should be signed"),
        (4, 1, "t", "yes, signed metadata, and the LEI issuers rotate keys"),
    ]
    [found] = build_discussions(rows(nlp, talk), PEOPLE)

    # Stored as lemmas ("lei issuer", "meta datum"); shown as said: acronyms in capitals,
    # a word capitalised only at the start of a line in lower case.
    assert found.headline in {"LEI issuers", "metadata"}


def test_a_link_to_the_announcements_page_starts_the_announcements(nlp: Language) -> None:
    call = [
        *CALL[:5],
        (5, 5, "call", "https://garden.example.org/community/announcements/"),
        *CALL[6:8],
    ]
    found = build_discussions(rows(nlp, call), PEOPLE)

    by_start = sorted(found, key=lambda d: d.started_at)
    assert [d.headline for d in by_start] == ["Introductions", "announcements"]
    assert by_start[1].links == ("https://garden.example.org/community/announcements/",)


def test_people_saying_where_they_work_before_any_other_item_are_the_introductions(
    nlp: Language,
) -> None:
    unnamed: list[Line] = [
        (0, 5, "call", "darren: welcome everyone, the agenda is in the mailing list post"),
        (1, 1, "call", "alice: hi, I work at the garden co-op in Perth, on soil sensors"),
        (2, 2, "call", "bob: I'm with the irrigation project, I maintain its firmware"),
        (3, 3, "call", "carol: happy to re-introduce myself, I write the sensor docs"),
        *CALL[5:],
        # Later in the meeting, the same words are talk about the work, not introductions.
        (14, 4, "call", "dave: I work at the library, the sensor meetup room is booked"),
    ]
    found = build_discussions(rows(nlp, unnamed), PEOPLE)

    by_start = sorted(found, key=lambda d: d.started_at)
    assert [d.headline for d in by_start] == [
        "Introductions",
        "Announcements and reminders",
        "Action items",
    ]
    assert by_start[0].lines == 3


def test_a_scribe_naming_people_and_where_they_come_from_starts_the_introductions(
    nlp: Language,
) -> None:
    scribed: list[Line] = [
        (0, 5, "call", "darren: welcome everyone, the agenda is in the mailing list post"),
        (1, 4, "call", "Alice Smith from the Perth Garden Co-op"),
        (2, 4, "call", "Bob Jones, Irrigation Project"),
        (3, 4, "call", "carol: I'm Carol Lee from Sensor Docs"),
        *CALL[5:],
        # One person named with where they come from, later on, is talk.
        (14, 4, "call", "Erin Park from the library booked the sensor meetup room"),
    ]
    found = build_discussions(rows(nlp, scribed), PEOPLE)

    by_start = sorted(found, key=lambda d: d.started_at)
    assert [d.headline for d in by_start][:3] == [
        "Introductions",
        "Announcements and reminders",
        "Action items",
    ]
    assert by_start[0].lines == 3


def test_one_name_with_an_organisation_is_no_round_of_introductions(nlp: Language) -> None:
    talk: list[Line] = [
        (0, 4, "t", "Erin Park from the library booked the sensor meetup room"),
        (1, 1, "t", "alice: the sensor meetup needs a projector for the calibration demo"),
        (2, 2, "t", "bob: the library has a projector, the sensor meetup can use it"),
        (3, 3, "t", "carol: I will bring the calibration demo sensors to the meetup"),
        # Two such lines far apart are not a round either.
        (30, 4, "t", "Frank Hill from the co-op brings the calibration sensors"),
        (31, 1, "t", "alice: the calibration sensors need fresh batteries"),
    ]
    found = build_discussions(rows(nlp, talk), PEOPLE)

    assert "Introductions" not in [d.headline for d in found]


def test_dates_and_events_after_the_introductions_are_the_announcements(nlp: Language) -> None:
    unnamed: list[Line] = [
        *CALL[:5],
        (5, 5, "call", "darren: the sensor meetup is next week, sign up on the wiki page"),
        (6, 1, "call", "alice: and the early bird deadline for the garden conference is Friday"),
        (7, 2, "call", "bob: the firmware release candidate is out for testing"),
        *CALL[10:],
    ]
    found = build_discussions(rows(nlp, unnamed), PEOPLE)

    by_start = sorted(found, key=lambda d: d.started_at)
    assert [d.headline for d in by_start] == ["Introductions", "Announcements", "Action items"]
    assert by_start[0].lines == 4 and by_start[1].lines == 3
    # Where a line names the announcements, dates said before it are not announcements.
    named = build_discussions(rows(nlp, [*CALL[:5], *unnamed[5:7], *CALL[5:]]), PEOPLE)
    assert [d.headline for d in sorted(named, key=lambda d: d.started_at)][:2] == [
        "Introductions",
        "Announcements and reminders",
    ]


def test_a_newcomer_saying_so_starts_the_introductions(nlp: Language) -> None:
    call: list[Line] = [
        CALL[0],
        (1, 1, "call", "alice: first time caller, glad to be here, I build soil sensors"),
        (2, 2, "call", "bob: I maintain the irrigation controller firmware"),
        (3, 5, "call", "darren: a quick reminder about the sensor meetup on Friday"),
        *CALL[6:8],
        *CALL[10:],
    ]
    found = build_discussions(rows(nlp, call), PEOPLE)

    by_start = sorted(found, key=lambda d: d.started_at)
    assert [d.headline.lower() for d in by_start] == ["introductions", "reminder", "action items"]


def test_a_misspelt_agenda_item_still_starts_it(nlp: Language) -> None:
    call = [CALL[0], (1, 5, "call", "darren: reitroductions?"), *CALL[2:]]
    found = build_discussions(rows(nlp, call), PEOPLE)

    by_start = sorted(found, key=lambda d: d.started_at)
    assert by_start[0].headline.lower() == "reintroductions"
    assert by_start[0].lines >= 3


def test_a_link_to_the_issues_labelled_as_actions_starts_the_action_items(
    nlp: Language,
) -> None:
    issues = "https://tracker.example.org/garden/issues?q=is%3Aopen+label%3A%22action%3A+review%22"
    call = [*CALL[:8], (10, 5, "call", issues), *CALL[11:]]
    found = build_discussions(rows(nlp, call), PEOPLE)

    by_start = sorted(found, key=lambda d: d.started_at)
    assert [d.headline for d in by_start][-1] == "Action items"
    assert by_start[-1].links == (issues,)
    # Any other label filter is just a link.
    bugs = issues.replace("action", "bug")
    found = build_discussions(rows(nlp, [*CALL[:8], (10, 5, "call", bugs), *CALL[11:]]), PEOPLE)
    assert "Action items" not in [d.headline for d in found]


def test_a_long_line_that_opens_with_an_agenda_word_is_talk(nlp: Language) -> None:
    talk: list[Line] = [
        (0, 1, "t", "alice: the sensor calibration guide needs a reviewer before the release"),
        (1, 2, "t", "bob: I can review the sensor calibration guide tomorrow"),
        (2, 1, "t", "alice: great, the sensor calibration guide is in the docs folder"),
        (3, 2, "t", "bob: Action items are listed at the end of the sensor calibration guide"),
        (4, 1, "t", "alice: the sensor calibration guide also covers the humidity sensor"),
    ]
    found = build_discussions(rows(nlp, talk), PEOPLE)

    assert len(found) == 1
    assert "calibration" in found[0].headline or "sensor" in found[0].headline


def test_commands_to_a_bot_take_part_in_no_discussion(nlp: Language) -> None:
    commands: list[Line] = [
        (0.5, 3, "ping", "voip: mute 38dd"),
        (1.5, 4, "ping", "zakim, who is here?"),
    ]
    found = build_discussions(rows(nlp, PING_THREAD + commands), PEOPLE)

    assert [d.lines for d in found] == [len(PING_THREAD)]
    assert not {"voip", "mute", "zakim"} & set(found[0].headline.split())


def test_discussions_with_a_notable_member_come_first_then_by_people_times_lines(
    nlp: Language,
) -> None:
    darren_joins: list[Line] = [
        (38, 5, "blog", "hugo worked well for my blog too"),
    ]
    short_blog = BLOG_THREAD[:4] + darren_joins
    found = build_discussions(rows(nlp, PING_THREAD + short_blog), PEOPLE)

    assert len(found) == 2
    assert found[0].participants[0] == Participant("Darren Rowse (darren)", 1, notable=True)
    assert found[1].lines == len(PING_THREAD)


def test_small_side_threads_merge_into_a_handful_of_discussions(nlp: Language) -> None:
    # An hour of chat: the two threads, each answered in many one-line side threads.
    chat: list[Line] = []
    for hour_part, (minute, person, _, text) in enumerate(PING_THREAD + BLOG_THREAD):
        for repeat in range(4):
            chat.append((minute + repeat * 7.5 + hour_part % 2, person, f"t{len(chat)}", text))
    chat.sort()
    found = build_discussions(rows(nlp, chat), PEOPLE)

    assert 2 <= len(found) <= 8
    assert sum(d.lines for d in found) == len(chat)


def summary_with(discussion: Discussion) -> Summary:
    session = SessionInfo(
        1, "libera", "#bloggers", "Sunday chat", START, START + timedelta(hours=1)
    )
    return Summary(session=session, generated_at=START, discussions=(discussion,))


HOSTILE = Discussion(
    headline="<b>ping</b> rate limit",
    started_at=START,
    ended_at=START + timedelta(minutes=12),
    lines=9,
    participants=(Participant("darren", 4, notable=True), Participant("bob", 5)),
    links=("https://bugs.example.org/1234", "javascript:alert(1)"),
    key_lines=(KeyLine(START, "bob", "<script>alert('x')</script> the ping rate limit"),),
)


def test_markdown_shows_what_was_discussed_escaped() -> None:
    text = render_markdown(summary_with(HOSTILE))

    section = text.split("## What was discussed", 1)[1].split("## Topics", 1)[0]
    assert "\\<b\\>ping\\</b\\> rate limit" in section
    assert "★ darren (4), bob (5)" in section
    assert "9 lines" in section and "12 min" in section
    assert "<https://bugs.example.org/1234>" in section
    assert "\\<script\\>" in section and "<script>" not in section


def test_html_shows_each_discussion_with_its_people_and_lines_escaped() -> None:
    page = render_html(summary_with(HOSTILE), picture=False)

    assert "What was discussed" in page
    assert "&lt;b&gt;ping&lt;/b&gt; rate limit" in page
    assert "&lt;script&gt;" in page and "<script>" not in page
    assert '<a href="https://bugs.example.org/1234"' in page
    assert 'href="javascript:' not in page


def test_json_keeps_the_discussions_through_a_round_trip() -> None:
    summary = summary_with(HOSTILE)
    assert load_summary(render_json(summary)) == summary


def test_a_name_a_scribe_writes_before_a_colon_is_no_headline(nlp: Language) -> None:
    # Darren scribes: "Tim:" is who spoke (Tim is not in the channel), and people go on to
    # talk about Tim; without knowing it is a name, "tim" would be the headline.
    scribed: list[Line] = [
        (0, 5, "s", "Tim: the soil sensor reads wrong values after rain"),
        (1, 1, "s", "alice: I asked Tim about it, Tim knows the rain gauge"),
        (2, 5, "s", "Tim: the firmware needs a calibration step"),
        (3, 2, "s", "bob: Tim could share his notes, Tim wrote the driver"),
        (4, 1, "s", "alice: thanks Tim, Tim and I will test it tomorrow"),
    ]
    found = build_discussions(rows(nlp, scribed), PEOPLE)

    assert [d.headline for d in found] == ["rain gauge"]


def test_action_items_talked_about_after_the_announcements_are_their_own_item(
    nlp: Language,
) -> None:
    # Nobody names the move to the action items: the chair just starts talking about them.
    call: list[Line] = [
        *CALL[:10],
        (10, 5, "call", "darren: getting up to speed as chair, I found a lot of open action items"),
        *CALL[11:],
    ]
    found = build_discussions(rows(nlp, call), PEOPLE)

    by_start = sorted(found, key=lambda d: d.started_at)
    assert [d.headline for d in by_start] == [
        "Introductions",
        "Announcements and reminders",
        "Action items",
    ]
    assert by_start[1].lines == 5 and by_start[2].lines == 4


def test_a_hyphenated_name_on_a_line_of_its_own_heads_its_discussion(nlp: Language) -> None:
    # The scribe notes the talk's title alone; the talk says as much about one of its parts.
    talk: list[Line] = [
        (0, 1, "t", "alice: ... CBOR-LD"),
        (1, 1, "t", "alice: ... the compression dictionary comes from the JSON-LD context"),
        (2, 2, "t", "bob: does the compression dictionary need to be shared in advance?"),
        (3, 1, "t", "alice: ... no, CBOR-LD builds it from the context itself"),
        (4, 2, "t", "bob: is CBOR-LD a W3C spec yet?"),
        (5, 1, "t", "alice: ... yes, and the compression dictionary makes QR codes possible"),
        (6, 2, "t", "bob: the compression dictionary is clever"),
    ]
    found = build_discussions(rows(nlp, talk), PEOPLE)

    assert [d.headline for d in found] == ["CBOR-LD"]


def test_a_longer_phrase_said_nearly_as_often_names_the_discussion(nlp: Language) -> None:
    thread: list[Line] = [
        (0, 1, "r", "the resolver task force meets on Thursdays now"),
        (1, 2, "r", "who chairs the resolver task force this quarter?"),
        (2, 1, "r", "markus chairs the resolver task force, the task force has a new charter"),
        (3, 2, "r", "does the resolver task force cover the http binding?"),
        (4, 1, "r", "yes, the resolver task force covers the binding and the task force repo"),
        (5, 2, "r", "I sent the slides to the task force"),
        (6, 1, "r", "thanks, I will ask the task force"),
        (7, 2, "r", "and the resolver task force wants more test vectors"),
    ]
    found = build_discussions(rows(nlp, thread), PEOPLE)

    assert [d.headline for d in found] == ["resolver task force"]


def test_short_talk_before_a_meetings_first_standing_item_is_no_discussion(
    nlp: Language,
) -> None:
    logistics: list[Line] = [
        (-9, 1, "z", "alice: is the zoom link in the calendar invite the right one?"),
        (-8, 2, "z", "bob: the zoom link changed last week, use the one on the wiki"),
        (-7, 1, "z", "alice: the wiki zoom link asks me for a passcode"),
        (-6, 3, "z", "carol: the passcode for the zoom link is in the mailing list post"),
        (-5, 1, "z", "alice: found it, the zoom link works now"),
    ]
    found = build_discussions(rows(nlp, [*logistics, *CALL]), PEOPLE)

    assert sorted(d.headline for d in found) == [
        "Action items",
        "Announcements and reminders",
        "Introductions",
    ]
    # Without a standing item it is a chat, and the same talk is a discussion.
    chat = build_discussions(rows(nlp, [*logistics, *BLOG_THREAD]), PEOPLE)
    assert [d.headline for d in chat] == ["static site generator", "zoom link"]


def test_a_correction_of_an_earlier_line_takes_part_in_no_discussion(nlp: Language) -> None:
    corrected = [*PING_THREAD, (8, 2, "ping", "s/bug about the ping rate limit/ping rate bug/")]
    found = build_discussions(rows(nlp, corrected), PEOPLE)

    assert [(d.headline, d.lines) for d in found] == [("ping rate limit", len(PING_THREAD))]
    assert not any(k.text.startswith("s/") for d in found for k in d.key_lines)


IDENTITY_THREAD: list[Line] = [
    (0, 6, "id", "my talk is about digital identity and the wallets that hold it"),
    (1, 1, "id", "which digital identity wallets did you look at?"),
    (2, 6, "id", "three digital identity wallets, and none lets you carry a pseudonym"),
    (3, 1, "id", "a pseudonym is still a digital identity, just a narrow one"),
    (4, 7, "id", "Kim here: the draft on digital identity needs that section"),
    (5, 6, "id", "I will write the section on Digital Identity and pseudonyms"),
    (6, 1, "id", "Kim can review the digital identity section after that"),
    (7, 7, "id", "happy to review the digital identity section, as Kim said"),
]


def test_a_subject_that_starts_a_nick_names_a_discussion_and_a_name_does_not(
    nlp: Language,
) -> None:
    # "identity" starts identitywoman's nick, "Kim" kimhd's; "Identity" is written
    # capitalised once but in lower case all along (a subject), "Kim" only capitalised.
    found = build_discussions(rows(nlp, IDENTITY_THREAD), PEOPLE)

    assert len(found) == 1
    assert "identity" in found[0].headline.lower()
    assert "kim" not in found[0].headline.lower()
