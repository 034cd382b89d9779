"""DiscordChatExporter's HTML export: found by its content, read into messages and joins."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.events import MemberJoined, MessageReceived
from assistant.importers.formats import detect_format, format_named
from assistant.importers.importer import ImportOptions, LogImporter
from assistant.importers.reading import LogFile, read_log
from assistant.importers.scene import BadLine, LogCalendar, Scene
from assistant.recorder import Recorder
from assistant.testing.database import temporary_database

FIXTURES = Path(__file__).parent / "fixtures"
EXPORT = FIXTURES / "Presence Community - Text Channels - general [123].html"
HTML = format_named("discord-html")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_an_html_export_is_recognised_by_its_content_even_renamed(tmp_path: Path) -> None:
    renamed = tmp_path / "export.txt"
    renamed.write_bytes(EXPORT.read_bytes())
    found = detect_format(read_log(renamed))
    assert found is not None and found.name == "discord-html"
    page = tmp_path / "page.html"
    page.write_text("<!DOCTYPE html>\n<html><body><p>(04:01:11 PM) not a chat</p></body></html>\n")
    assert HTML.detect(read_log(page)) == 0.0


def test_messages_carry_author_tag_time_text_reply_and_attachment() -> None:
    scene = Scene("", "", "discord")
    parsed = list(HTML.read(read_log(EXPORT), scene, LogCalendar(None, UTC)))
    assert [number for number, _ in parsed] == [27, 44, 58, 77]  # each message's first line
    events = [event for _, found in parsed if not isinstance(found, BadLine) for event in found]
    assert (scene.network, scene.channel) == ("Presence Community", "#general")
    first, second, joined, reply = events
    assert isinstance(first, MessageReceived) and isinstance(second, MessageReceived)
    assert (first.actor.nick, first.actor.account, first.actor.user_id) == (
        "Alice",
        "alice#1234",
        "111",
    )
    # Markup is gone, entities decoded, <br> a line break, an emoji its character; "(edited)"
    # is no part of what she said.
    assert first.text == "hello everyone <3\nsecond line \U0001f642"
    assert (first.timestamp, first.message_id) == (at("2021-04-12T20:05"), "1001")
    # The group's second message has no header: her name, and its own time from the title.
    assert (second.actor.nick, second.timestamp) == ("Alice", at("2021-04-12T20:07"))
    assert second.text == "see the notes at https://example.org/notes"
    assert isinstance(joined, MemberJoined) and joined.actor.nick == "carol"
    assert joined.actor.account is None  # #0000 is no tag
    assert isinstance(reply, MessageReceived)
    assert (reply.actor.nick, reply.reply_to, reply.message_id) == ("Bobby", "1001", "1004")
    assert reply.text == "hi @Alice, the logs: https://cdn.example.org/attachments/log.txt"


OLD_EXPORT = """<!DOCTYPE html>
<html><body>
<div class="chatlog">
<div class="chatlog__message-group">
  <div class="chatlog__messages">
    <span class="chatlog__author-name" title="dee#0042" data-user-id="44">dee</span>
    <span class="chatlog__timestamp">12-Apr-21 09:15 PM</span>
    <div class="chatlog__message" data-message-id="7">
      <div class="chatlog__content"><div class="markdown">
        <span class="preserve-whitespace">first</span></div></div>
    </div>
    <div class="chatlog__message" data-message-id="8">
      <div class="chatlog__content"><div class="markdown">
        <span class="preserve-whitespace">second</span></div></div>
    </div>
  </div>
</div>
</div>
</body></html>"""


def test_an_older_export_with_one_header_per_group_is_read_alike() -> None:
    log = LogFile(Path("old.html"), OLD_EXPORT.splitlines())
    assert HTML.detect(log) == 1.0
    parsed = list(HTML.read(log, Scene("g", "#c", "discord"), LogCalendar(None, UTC)))
    said = [
        (e.actor.nick, e.actor.account, e.text, e.timestamp, e.message_id)
        for _, found in parsed
        if not isinstance(found, BadLine)
        for e in found
        if isinstance(e, MessageReceived)
    ]
    assert said == [
        ("dee", "dee#0042", "first", at("2021-04-12T21:15"), "7"),
        ("dee", "dee#0042", "second", at("2021-04-12T21:15"), "8"),
    ]


def test_a_message_without_author_or_time_is_a_bad_line_with_its_line() -> None:
    lines = [
        "<!DOCTYPE html>",
        '<div class="chatlog"><div class="chatlog__message-group">',
        '<div class="chatlog__message-container" data-message-id="9">',
        '<div class="chatlog__content">orphan</div></div></div></div>',
    ]
    parsed = list(
        HTML.read(
            LogFile(Path("x.html"), lines), Scene("g", "#c", "discord"), LogCalendar(None, UTC)
        )
    )
    ((number, problem),) = parsed
    assert number == 3 and isinstance(problem, BadLine)
    assert "without an author" in str(problem)


async def test_an_html_export_is_imported_under_its_guild_and_channel() -> None:
    async with temporary_database() as db:
        report = await LogImporter(db, Recorder(db), ImportOptions()).import_file(EXPORT)
        assert (report.format, report.network, report.channel) == (
            "discord-html",
            "Presence Community",
            "#general",
        )
        assert (report.recorded, report.bad_lines) == (4, 0)
        rows = await db.fetchall(
            "SELECT i.nick, m.text FROM messages AS m JOIN identities AS i "
            "ON i.id = m.identity_id ORDER BY m.at"
        )
        assert [row[0] for row in rows] == ["Alice", "Alice", "Bobby"]
        again = await LogImporter(db, Recorder(db), ImportOptions()).import_file(EXPORT)
        assert again.skipped.startswith("already imported")


FRAGMENTS = st.sampled_from(
    [
        '<div class="chatlog__message-group">',
        '<div class="chatlog__message-container" data-message-id="5">',
        '<div class="chatlog__message" data-message-id="6">',
        '<span class="chatlog__author" title="a#0001" data-user-id="1">',
        '<span class="chatlog__author-name">',
        '<span class="chatlog__timestamp">',
        '<div class="chatlog__short-timestamp" title="99/99/2021 8:07 PM">',
        '<div class="chatlog__content">',
        '<span class="chatlog__system-notification-content">',
        '<div class="chatlog__reply"><span onclick="scrollToMessage(event, \'1\')">',
        '<div class="chatlog__attachment"><a href="u">',
        '<div class="preamble__entry">',
        "</div>",
        "</span>",
        "</a>",
        "<br>",
        "<br/>",
        '<img class="chatlog__emoji" alt="x">',
        "04/12/2021 8:05 PM",
        "joined the server.",
        "&amp;",
        "&#xD800;",
        "<!--",
        "<![CDATA[",
        "<script>",
    ]
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    lines=st.lists(
        st.lists(
            st.one_of(FRAGMENTS, st.text(st.characters(exclude_characters="\r\n"), max_size=20)),
            max_size=8,
        ).map("".join),
        max_size=12,
    )
)
def test_generated_html_never_raises(lines: list[str]) -> None:
    lines = ["<!DOCTYPE html>", *lines]
    for number, found in HTML.read(
        LogFile(Path("g.html"), lines), Scene("", "", "discord"), LogCalendar(None, UTC)
    ):
        assert 1 <= number <= len(lines)
        if isinstance(found, BadLine):
            assert str(found) and "\n" not in str(found)
