"""Chat exports beyond IRC clients: Gitter/Matrix style and DiscordChatExporter plain text."""

from __future__ import annotations

from datetime import UTC, datetime

from assistant.events import MessageReceived
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
