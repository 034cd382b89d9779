"""Composing a summary from a recorded session: who came, what was said, what is left open."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import pytest

from assistant.storage.database import Database
from assistant.summaries.compose import (
    SessionNotFound,
    build_summary,
    compose_summary,
    find_session,
    read_session,
)

from .conftest import BOB_Q, DARREN_Q, POST, SCRIPT, Scene, record_scene, settings


async def test_attendance_lists_notable_members_first_with_exact_lines(scene: Scene) -> None:
    summary = await compose_summary(scene.db, scene.session_id, settings())
    rows = summary.attendance
    assert rows[0].label == "Darren Rowse (darren)"
    assert rows[0].notable
    assert [(r.name, r.lines) for r in rows] == [
        ("darren", 4),
        ("carol", 2),
        ("ann", 1),
        ("bob", 1),
        ("zed", 0),
    ]
    assert "presence" not in {r.name for r in rows}
    by_name = {r.name: r for r in rows}
    assert by_name["ann"].is_owner
    assert by_name["bob"].left_at is not None and by_name["darren"].left_at is None
    assert by_name["zed"].minutes_present == 30.0
    assert by_name["darren"].minutes_present == 29.0
    assert summary.messages == 8


async def test_topics_questions_links_and_owner_exchanges(scene: Scene) -> None:
    summary = await compose_summary(scene.db, scene.session_id, settings())
    assert summary.topics[0].topic == "Skype"
    assert summary.topics[0].count == 3
    assert [m.person for m in summary.member_topics] == ["Darren Rowse (darren)"]
    assert summary.member_topics[0].topics[0].topic == "Skype"
    assert [(q.asker, q.text, q.notable) for q in summary.unanswered] == [
        ("darren", DARREN_Q, True),
        ("carol", SCRIPT, False),  # not analysed: a line ending in "?" is a question
    ]
    assert BOB_Q not in {q.text for q in summary.unanswered}  # carol answered it
    assert [(link.person, link.url) for link in summary.links] == [("darren", POST.split()[-1])]
    assert [(e.person, e.owner_to_them, e.them_to_owner) for e in summary.exchanges] == [
        ("darren", 1, 1)
    ]
    follow_ups = [f.text for f in summary.follow_ups]
    assert any(DARREN_Q in text for text in follow_ups)
    assert any(POST.split()[-1] in text for text in follow_ups)


async def test_queue_and_bot_commands_and_corrections_are_no_topics(scene: Scene) -> None:
    data = await scene.db.run_in_thread(
        lambda conn: read_session(conn, scene.session_id, settings())
    )
    said = next(m for m in data["messages"] if m["nick"] == "carol")
    for number, (text, topic) in enumerate(
        [("q+", "q+"), ("ack darren", "ack"), ("voip: mute 301", "voip"), ("s/skype/zoom/", "zoom")]
        * 5
    ):
        data["messages"].append(
            {**said, "id": 1000 + number, "text": text, "topics": json.dumps([topic])}
        )

    summary = build_summary(data, settings())

    assert [t.topic for t in summary.topics][:1] == ["Skype"]
    assert not {"q+", "ack", "voip", "zoom"} & {t.topic for t in summary.topics}


async def test_participants_names_greetings_and_regrets_are_no_topics(scene: Scene) -> None:
    data = await scene.db.run_in_thread(
        lambda conn: read_session(conn, scene.session_id, settings())
    )
    said = next(m for m in data["messages"] if m["nick"] == "carol")
    lines = [
        ("thanks darren, that helped", ["darren"]),  # a nick
        ("Rowse has a point there", ["rowse"]),  # a word of a member's name
        ("Katryna: we shipped the wallet", ["katryna", "wallet"]),  # a scribe's "Name:"
        ("Katryna: and the docs for hosting", ["katryna", "hosting"]),
        ("regrets+ zed", ["regrets+"]),  # W3C's bot command
        ("evening all!", ["evening"]),  # a greeting
        ("good morning from Perth", ["good morning", "perth"]),
    ]
    for number, (text, topics) in enumerate(lines * 2):
        data["messages"].append(
            {**said, "id": 1000 + number, "text": text, "topics": json.dumps(topics)}
        )

    summary = build_summary(data, settings())

    topics = {t.topic for t in summary.topics}
    assert not {"darren", "rowse", "katryna", "regrets+", "evening", "good morning"} & topics
    assert {"Skype", "wallet", "hosting", "Perth"} <= topics


async def test_topics_are_shown_as_written_not_as_lemmas(scene: Scene) -> None:
    data = await scene.db.run_in_thread(
        lambda conn: read_session(conn, scene.session_id, settings())
    )
    said = next(m for m in data["messages"] if m["nick"] == "carol")
    lines = [
        ("the data is in the sheet", ["datum"]),
        ("more data from the ZKP demo", ["datum", "zkp"]),
        ("I will edit the editors' draft", ["editor", "zkp"]),
        ("the editors agreed on the ZKP section", ["editor", "zkp"]),
    ]
    for number, (text, topics) in enumerate(lines):
        data["messages"].append(
            {**said, "id": 1000 + number, "text": text, "topics": json.dumps(topics)}
        )

    summary = build_summary(data, settings())

    topics = {t.topic: t.count for t in summary.topics}
    assert topics["data"] == 2 and "datum" not in topics
    assert topics["ZKP"] == 3  # nobody wrote it in lower case
    assert topics["editors"] == 2  # "edit" is another word


async def test_a_word_said_once_is_no_topic_but_a_phrase_said_once_is(scene: Scene) -> None:
    data = await scene.db.run_in_thread(
        lambda conn: read_session(conn, scene.session_id, settings())
    )
    said = next(m for m in data["messages"] if m["nick"] == "carol")
    lines = [
        ("time for a cuppa", ["cuppa"]),  # small talk, once
        ("I record on a Rode PodMic", ["rode podmic"]),
        ("the budget is tight", ["budget"]),
        ("the budget for the mic, I mean", ["budget"]),
    ]
    for number, (text, topics) in enumerate(lines):
        data["messages"].append(
            {**said, "id": 1000 + number, "text": text, "topics": json.dumps(topics)}
        )

    summary = build_summary(data, settings())

    topics = {t.topic: t.count for t in summary.topics}
    assert "cuppa" not in topics
    assert topics["Rode PodMic"] == 1
    assert topics["budget"] == 2


async def test_session_times_are_shown_in_the_sessions_time_zone(scene: Scene) -> None:
    summary = await compose_summary(scene.db, scene.session_id, settings(timezone="UTC"))
    assert summary.session.timezone == "Australia/Sydney"  # the session's own zone wins
    assert summary.session.title == "Aussie bloggers"


async def test_unanalysed_chat_falls_back_to_plain_rules(
    open_database: Callable[..., Awaitable[Database]],
) -> None:
    async with await open_database(flush_interval=0.01) as db:
        session_id = await record_scene(db, analysed=False)
        summary = await compose_summary(db, session_id, settings())
    unanswered = {q.text for q in summary.unanswered}
    # "bob: use feedburner" answers bob by addressing him; Darren's question stays open.
    assert unanswered == {DARREN_Q, SCRIPT}
    assert [link.url for link in summary.links] == [POST.split()[-1]]


async def test_the_latest_session_is_found_and_a_missing_one_is_explained(scene: Scene) -> None:
    found = await scene.db.run_in_thread(lambda conn: find_session(conn))
    assert found == scene.session_id
    with pytest.raises(SessionNotFound, match="--last"):
        await compose_summary(scene.db, 999, settings())
    with pytest.raises(SessionNotFound, match="no session recorded in #nosuch yet"):
        await scene.db.run_in_thread(lambda conn: find_session(conn, "#nosuch"))


async def test_a_database_without_sessions_says_how_they_are_recorded(
    open_database: Callable[..., Awaitable[Database]],
) -> None:
    async with await open_database() as empty:
        with pytest.raises(SessionNotFound, match="no session recorded yet"):
            await empty.run_in_thread(lambda conn: find_session(conn))
