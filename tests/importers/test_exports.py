"""Exports beyond IRC clients (Gitter/Matrix, DiscordChatExporter text, Slack); mode prefixes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from assistant.events import MemberJoined, MessageReceived
from tests.importers.test_formats import parse, said


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_gitter_matrix_style_with_a_continued_line_and_an_action() -> None:
    events, bad = parse("gitter-room.2016-11.log")
    assert bad == []
    assert said(events) == [
        ("jules", "message", "has anyone tried the new build?", at("2016-11-21 02:33:15")),
        ("kim", "message", "yes, it works\non my machine at least", at("2016-11-21 02:34:02")),
        ("jules", "action", "cheers", at("2016-11-21 02:35:40")),
        ("kim", "message", "morning", at("2016-11-22 09:00")),
    ]


def test_discord_plain_text_export_guild_channel_attachments_and_sections() -> None:
    events, bad = parse("Presence Community - general [123].txt")
    assert bad == []
    assert said(events) == [
        ("Hana", "message", "hello from the text export", at("2021-04-12 19:40")),
        (
            "ivan",
            "message",
            "a message\nover two lines\nhttps://cdn.example.com/a.png",
            at("2021-04-12 19:41"),
        ),
        ("Hana", "message", "[not a header] but the text of a pinned note", at("2021-04-12 19:42")),
        ("ivan", "message", "https://cdn.example.com/b.png", at("2021-04-12 19:44")),
    ]
    first = events[0]
    assert isinstance(first, MessageReceived)
    assert (first.platform, first.network, first.channel) == (
        "discord",
        "Presence Community",
        "#general",
    )
    assert first.actor.account == "Hana#1234"


def test_slack_day_file_names_mentions_links_threads_and_files() -> None:
    events, bad = parse("slack-export/general/2021-04-12.json")
    assert bad == [6]
    assert said(events) == [
        (
            "ann",
            "message",
            "welcome @Bo Kim! see https://example.com/guide & ask in #general",
            at("2021-04-12 19:01:00.000200"),
        ),
        ("Bo Kim", "message", "thanks, reading it now", at("2021-04-12 19:02:00.000300")),
        (
            "Bo Kim",
            "message",
            "https://files.example.com/notes.txt",
            at("2021-04-12 19:04:00.000500"),
        ),
    ]
    joined, first, reply = events[:3]
    assert isinstance(joined, MemberJoined) and joined.actor.key == "U02BO"
    assert isinstance(first, MessageReceived) and isinstance(reply, MessageReceived)
    assert (first.platform, first.network, first.channel) == ("slack", "slack-export", "#general")
    assert reply.reply_to == first.message_id == "1618254060.000200"
    assert reply.actor.key == joined.actor.key


@pytest.mark.parametrize(
    ("name", "line", "nick"),
    [
        ("#c.2021-04-12.log", "20:00 <@op> hello", "op"),
        ("#c.2021-04-12.log", "20:00 < +voiced> hello", "voiced"),
        ("#c.2021-04-12.log", "20:00 <%half> hello", "half"),
        ("irc.libera.#c.weechatlog", "2021-04-12 20:00:00\t@op\thello", "op"),
        ("irc.libera.#c.weechatlog", "2021-04-12 20:00:00\t+voiced\thello", "voiced"),
        ("#c_20210412.log", "[20:00:00] <@op> hello", "op"),
    ],
)
def test_mode_prefixes_are_not_part_of_the_nick(
    tmp_path: Path, name: str, line: str, nick: str
) -> None:
    log = tmp_path / name
    log.write_text(f"{line}\n{line}\n", encoding="utf-8")
    events, bad = parse(str(log))
    assert bad == []
    assert [e.actor.nick for e in events] == [nick, nick]


def test_a_text_under_a_rule_is_no_discord_export(tmp_path: Path) -> None:
    from assistant.importers.formats import score_formats
    from assistant.importers.reading import read_log

    minutes = tmp_path / "weekly.2021-04-12-20.00.txt"
    minutes.write_text("=" * 40 + "\n#weekly: weekly\n" + "=" * 40 + "\n\nMeeting started\n")
    scores = {log_format.name: score for score, log_format in score_formats(read_log(minutes))}
    assert scores["discord-text"] == 0.0
