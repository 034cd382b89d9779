"""Pidgin/Finch/Adium logs, and ``[HH:MM:SS]`` wherever ``[HH:MM]`` is read."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from assistant.events import MemberJoined, MemberLeft, NickChanged, TopicChanged
from assistant.importers.importer import channel_from_name
from assistant.testing.cli import run_presence
from tests.importers.test_formats import FIXTURES, parse, said

PIDGIN = FIXTURES / "pidgin" / "#presence.chat"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_pidgin_12_hour_log_with_header_dated_lines_and_a_continued_message() -> None:
    events, bad = parse("pidgin/#presence.chat/2005-01-01.160000-0500EST.txt")
    assert bad == []
    assert said(events) == [
        ("alice", "message", "hello everyone", at("2005-01-01 16:00:09")),
        ("bob", "action", "waves", at("2005-01-01 16:01:11")),
        (
            "carol",
            "message",
            "a long thought\nthat goes on over a second line",
            at("2005-01-01 16:02"),
        ),
        ("bobby", "message", "almost midnight", at("2005-01-01 23:59:59")),
        ("alice", "message", "happy new day", at("2005-01-02 00:00:10")),
    ]
    joined = next(e for e in events if isinstance(e, MemberJoined))
    assert joined.actor.userhost == "~alice@example.org"
    nick = next(e for e in events if isinstance(e, NickChanged))
    assert (nick.actor.nick, nick.new_nick) == ("bob", "bobby")
    topic = next(e for e in events if isinstance(e, TopicChanged))
    assert topic.topic == "New year chat"
    left = next(e for e in events if isinstance(e, MemberLeft))
    assert (left.actor.nick, left.kind, left.reason) == ("carol", "quit", "Read error")


def test_pidgin_html_log_is_read_like_its_text() -> None:
    events, bad = parse("pidgin/#presence.chat/2005-01-03.160000-0500EST.html")
    assert bad == []
    assert said(events) == [
        ("alice", "message", "fish & chips?", at("2005-01-03 16:00:09")),
        ("bob", "action", "waves", at("2005-01-03 16:00:20")),
        ("dave", "message", "yes <3", at("2005-01-03 16:00:30")),
    ]


def test_pidgin_chat_folder_names_the_channel() -> None:
    assert channel_from_name(PIDGIN / "2005-01-01.160000-0500EST.txt") == "#presence"


def test_an_undated_24_hour_pidgin_log_crosses_midnight(tmp_path: Path) -> None:
    log = tmp_path / "2019-06-30.log"
    log.write_text(
        "(23:59:00) erin: late\n(00:00:30) frank: later\n(00:01:00) Erin Smith: an alias\n",
        encoding="utf-8",
    )
    events, bad = parse(str(log))
    assert bad == []
    assert said(events) == [
        ("erin", "message", "late", at("2019-06-30 23:59")),
        ("frank", "message", "later", at("2019-07-01 00:00:30")),
        ("Erin Smith", "message", "an alias", at("2019-07-01 00:01")),
    ]


def test_ubuntu_raw_lines_with_seconds_import(tmp_path: Path) -> None:
    log = tmp_path / "2010-05-06.raw.txt"
    log.write_text(
        "[23:59:58] <ann> anyone here?\n=== bo has joined #ubuntu\n[00:00:03] <bo> ann: yes\n",
        encoding="utf-8",
    )
    events, bad = parse(str(log), "ubuntu")
    assert bad == []
    assert said(events) == [
        ("ann", "message", "anyone here?", at("2010-05-06 23:59:58")),
        ("bo", "message", "ann: yes", at("2010-05-07 00:00:03")),
    ]


def test_presence_eval_replies_reads_times_with_seconds(tmp_path: Path) -> None:
    raw = tmp_path / "2010-05-06.raw.txt"
    raw.write_text(
        "".join(f"[10:{i // 60:02d}:{i % 60:02d}] <n{i % 3}> line {i}?\n" for i in range(1002)),
        encoding="utf-8",
    )
    (tmp_path / "2010-05-06.annotation.txt").write_text(
        "1000 1000 -\n1001 1000 -\n", encoding="utf-8"
    )
    result = run_presence("eval", "replies", str(raw), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("replies: precision=")
