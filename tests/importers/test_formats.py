"""Each log format read from a realistic sample: times, actions, joins, quits, nick changes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from assistant.events import (
    Event,
    MemberJoined,
    MemberLeft,
    MessageReceived,
    NickChanged,
    TopicChanged,
)
from assistant.importers.formats import detect_format, format_named
from assistant.importers.importer import channel_from_name
from assistant.importers.reading import read_log
from assistant.importers.scene import BadLine, LogCalendar, Scene, date_from_name

FIXTURES = Path(__file__).parent / "fixtures"

SAMPLES = {
    "#presence.2021-04-12.log": "irssi",
    "irc.libera.#presence.weechatlog": "weechat",
    "#presence_20210412.log": "znc",
    "libera-#presence.log": "hexchat",
    "weekly.2021-04-12-20.00.log.txt": "meetbot",
    "2005-01-02.raw.txt": "ubuntu",
    "irc.log": "w3c",
    "Presence Community - Text Channels - general [123].json": "discord-json",
    "Presence Community - general [123].csv": "discord-csv",
    "Presence Community - general [123].txt": "discord-text",
    "gitter-room.2016-11.log": "gitter",
    "slack-export/general/2021-04-12.json": "slack",
    "pidgin/#presence.chat/2005-01-01.160000-0500EST.txt": "pidgin",
    "pidgin/#presence.chat/2005-01-03.160000-0500EST.html": "pidgin",
}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def parse(name: str, format_name: str | None = None) -> tuple[list[Event], list[int]]:
    """Events of a fixture and the numbers of its bad lines."""
    path = FIXTURES / name
    log = read_log(path)
    found = format_named(format_name) if format_name else detect_format(log)
    assert found is not None
    # A JSON export names its own guild and channel.
    json_export = found.name in ("discord-json", "discord-text", "slack")
    channel = "" if json_export else channel_from_name(path)
    scene = Scene("" if json_export else "net", channel, found.platform)
    events: list[Event] = []
    bad: list[int] = []
    for number, parsed in found.read(log, scene, LogCalendar(date_from_name(path), UTC)):
        if isinstance(parsed, BadLine):
            bad.append(number)
        else:
            events.extend(parsed)
    return events, bad


def said(events: list[Event]) -> list[tuple[str, str, str, datetime]]:
    return [
        (e.actor.nick, e.kind, e.text, e.timestamp)
        for e in events
        if isinstance(e, MessageReceived)
    ]


@pytest.mark.parametrize(("name", "expected"), SAMPLES.items())
def test_detection_picks_the_right_format(name: str, expected: str) -> None:
    found = detect_format(read_log(FIXTURES / name))
    assert found is not None and found.name == expected


def test_minutes_are_not_taken_for_a_log() -> None:
    assert detect_format(read_log(FIXTURES / "weekly.2021-04-12-20.00.txt")) is None


def test_irssi_day_changes_modes_colours_and_presence() -> None:
    events, bad = parse("#presence.2021-04-12.log")
    assert bad == []
    assert said(events) == [
        ("alice", "message", "hello everyone", at("2021-04-12 23:58")),
        ("bob", "action", "waves", at("2021-04-12 23:59")),
        ("carol", "message", "late again \U0001f605", at("2021-04-12 23:59")),
        ("bobby", "message", "bold claim, red too", at("2021-04-13 00:02")),
    ]
    joined = [e for e in events if isinstance(e, MemberJoined)]
    assert [(e.actor.nick, e.actor.userhost) for e in joined] == [("alice", "~alice@example.org")]
    nick = next(e for e in events if isinstance(e, NickChanged))
    assert (nick.actor.nick, nick.new_nick, nick.timestamp) == (
        "bob",
        "bobby",
        at("2021-04-13 00:01"),
    )
    topic = next(e for e in events if isinstance(e, TopicChanged))
    assert (topic.actor.nick, topic.topic) == ("alice", "Weekly chat")
    left = [(e.actor.nick, e.kind, e.reason) for e in events if isinstance(e, MemberLeft)]
    assert left == [("carol", "quit", "Quit: bye"), ("bobby", "part", "later")]
    assert all(e.backfill for e in events if isinstance(e, MessageReceived))


def test_weechat_tab_separated_with_arrows() -> None:
    events, bad = parse("irc.libera.#presence.weechatlog")
    assert bad == []
    assert said(events) == [
        ("alice", "message", "hi all", at("2021-04-12 23:59:59")),
        ("alice", "action", "dances", at("2021-04-13 00:00:01")),
        ("dave", "message", "nice", at("2021-04-13 00:00:07")),
    ]
    assert [type(e).__name__ for e in events] == [
        "MemberJoined",
        "MessageReceived",
        "MessageReceived",
        "NickChanged",
        "MessageReceived",
        "MemberLeft",
    ]
    quit_ = events[-1]
    assert isinstance(quit_, MemberLeft) and quit_.actor.nick == "alice_"
    assert quit_.reason == "Ping timeout: 240 seconds"


def test_znc_crosses_midnight_in_file_order() -> None:
    events, bad = parse("#presence_20210412.log")
    assert bad == []
    assert [e.timestamp for e in events] == [
        at("2021-04-12 23:59:50"),
        at("2021-04-12 23:59:55"),
        at("2021-04-13 00:00:10"),
        at("2021-04-13 00:01:00"),
        at("2021-04-13 00:01:30"),
        at("2021-04-13 00:02:00"),
    ]
    assert said(events)[1][:3] == ("dave", "action", "yawns")
    nick = events[3]
    assert isinstance(nick, NickChanged) and nick.new_nick == "dave|away"
    assert isinstance(events[4], TopicChanged) and events[4].topic == "Release week"


def test_hexchat_year_from_header_and_crlf_line_ends() -> None:
    events, bad = parse("libera-#presence.log")
    assert bad == []
    assert said(events) == [
        ("erin", "message", "good evening", at("2021-04-12 20:00:05")),
        ("erin", "action", "smiles", at("2021-04-12 20:00:09")),
        ("erin2", "message", "back", at("2021-04-12 20:01:30")),
    ]
    assert isinstance(events[0], MemberJoined)
    assert isinstance(events[-1], MemberLeft) and events[-1].kind == "quit"


def test_meetbot_log_keeps_commands_and_actions() -> None:
    events, bad = parse("weekly.2021-04-12-20.00.log.txt")
    assert bad == []
    lines = said(events)
    assert len(lines) == 25
    assert lines[0] == ("anna", "message", "#startmeeting weekly", at("2021-04-12 20:00:01"))
    assert ("chris", "action", "makes coffee", at("2021-04-12 20:02:00")) in lines


def test_ubuntu_raw_format_system_lines_and_cr_only_file() -> None:
    events, bad = parse("2005-01-02.raw.txt")
    assert bad == []
    assert said(events) == [
        ("frank", "message", "how do I mount a usb stick?", at("2005-01-02 23:58")),
        ("gina", "message", "frank: plug it in, it mounts itself", at("2005-01-02 23:59")),
        ("frank", "action", "nods at gina", at("2005-01-02 23:59")),
        ("frank_", "message", "thanks gina", at("2005-01-03 00:01")),
    ]
    assert [type(e).__name__ for e in events if not isinstance(e, MessageReceived)] == [
        "MemberJoined",
        "NickChanged",
        "MemberLeft",
    ]


def test_w3c_log_joins_continued_paragraphs() -> None:
    events, bad = parse("irc.log")
    assert bad == []
    assert said(events) == [
        ("Orie", "message", "present+", at("2020-06-09 16:10:13.029")),
        (
            "manu",
            "message",
            "manu: we will open it up for questions\na second paragraph of the same line",
            at("2020-06-09 16:10:20.500"),
        ),
        ("Orie_", "message", "q+", at("2020-06-09 16:11:02")),
    ]


def test_discord_json_ids_replies_joins_and_a_bad_message() -> None:
    events, bad = parse("Presence Community - Text Channels - general [123].json")
    assert bad == [4]
    joined, first, reply = events
    assert isinstance(joined, MemberJoined) and joined.actor.user_id == "42"
    assert isinstance(first, MessageReceived) and isinstance(reply, MessageReceived)
    assert (first.platform, first.network, first.channel) == (
        "discord",
        "Presence Community",
        "#general",
    )
    assert (first.message_id, first.actor.nick, first.actor.key) == ("1002", "Hana", "42")
    assert reply.reply_to == "1002" and reply.actor.nick == "Ivan T"
    assert reply.text == "hi Hana https://cdn.example.com/wave.png"


def test_discord_csv_old_and_iso_dates_and_multiline_cells() -> None:
    events, bad = parse("Presence Community - general [123].csv")
    assert bad == []
    assert said(events) == [
        ("Hana", "message", "hello from csv", at("2021-04-12 19:40")),
        (
            "ivan",
            "message",
            "a line\nover two lines https://cdn.example.com/a.png",
            at("2021-04-12 19:41"),
        ),
        ("ivan", "message", "iso dates work too", at("2021-04-12 19:42")),
    ]
    assert {e.actor.user_id for e in events} == {"42", "43"}


def test_local_times_are_read_in_the_given_zone() -> None:
    from zoneinfo import ZoneInfo

    clock = LogCalendar(date_from_name(Path("#c.2021-07-01.log")), ZoneInfo("Europe/Berlin"))
    assert clock.at(23, 30) == at("2021-07-01 21:30")
    assert clock.at(0, 15) == at("2021-07-01 22:15")  # past local midnight: the next day


def test_file_names_give_channel_and_date() -> None:
    assert channel_from_name(Path("#python.2021-04-12.log")) == "#python"
    assert channel_from_name(Path("user_libera_#python_20210412.log")) == "#python"
    assert channel_from_name(Path("libera/#rust/2021-04-12.log")) == "#rust"
    assert date_from_name(Path("user_libera_#python_20210412.log")).isoformat() == "2021-04-12"
    assert date_from_name(Path("NAME.2021-04-12-20.05.log.txt")).isoformat() == "2021-04-12"


def test_every_format_can_be_named_with_format() -> None:
    from assistant.commandline.importing import FORMAT_NAMES
    from assistant.importers.formats import FORMATS

    assert tuple(log_format.name for log_format in FORMATS) == FORMAT_NAMES


def test_a_w3c_log_whose_tabs_became_spaces_is_read_alike(tmp_path: Path) -> None:
    tabbed = (FIXTURES / "irc.log").read_text(encoding="utf-8")
    spaced = tmp_path / "irc.log"
    spaced.write_text(tabbed.replace("\t", "  "), encoding="utf-8")
    log = read_log(spaced)
    found = detect_format(log)
    assert found is not None and found.name == "w3c"
    scene = Scene("net", channel_from_name(spaced), found.platform)
    events: list[Event] = []
    for _, parsed in found.read(log, scene, LogCalendar(None, UTC)):
        assert not isinstance(parsed, BadLine)
        events.extend(parsed)
    assert said(events) == said(parse("irc.log")[0])


EXCERPTS = FIXTURES / "excerpts"


def test_a_real_ubuntu_excerpt_is_read_line_for_line() -> None:
    # Ten unchanged lines of the irc-disentangle corpus (CC BY 4.0, see excerpts/README.md).
    path = EXCERPTS / "2004-11-15_03.raw.txt"
    log = read_log(path)
    found = detect_format(log)
    assert found is not None and found.name == "ubuntu"
    events, bad = parse("excerpts/2004-11-15_03.raw.txt")
    assert bad == [] and len(events) == len(log.lines) == 10
    assert said(events)[:2] == [
        (
            "|trey|",
            "message",
            "Matt|, it does... default is -386... but yeah...",
            at("2004-11-15T12:23:00"),
        ),
        ("Matt|", "message", "must have missed that", at("2004-11-15T12:23:00")),
    ]
    action = events[3]
    assert isinstance(action, MessageReceived) and action.kind == "action"
    assert (action.actor.nick, action.text) == ("Matt|", "scrolls up")
    joined = events[8]
    assert isinstance(joined, MemberJoined) and joined.actor.nick == "tvon"
    assert joined.timestamp == at("2004-11-15T12:24:00")  # a system line takes the time before it


def test_a_real_meetbot_excerpt_is_read_line_for_line() -> None:
    # An unchanged excerpt of a lightningd/meetings log (MIT, see meetbot/README.md).
    name = "meetbot/spec_meeting/2021/spec_meeting.2021-03-15-19.01.log.txt"
    log = read_log(FIXTURES / name)
    found = detect_format(log)
    assert found is not None and found.name == "meetbot"
    events, bad = parse(name)
    assert bad == [] and len(events) == len(log.lines) == 14
    first, last = said(events)[0], said(events)[-1]
    assert first == ("t-bast", "message", "#startmeeting Spec Meeting", at("2021-03-15T19:01:57"))
    assert last == ("t-bast", "message", "#endmeeting", at("2021-03-15T20:24:20"))
    assert {e.actor.nick for e in events} == {"t-bast", "lndev-bot", "cdecker", "ariard", "rusty"}
