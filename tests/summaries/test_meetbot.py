"""MeetBot commands followed as MeetBot does: the structure and counts of its own minutes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from assistant.summaries.meetbot import ChatLine, find_meetings, parse_minutes

FIXTURES = Path(__file__).parents[1] / "importers" / "fixtures"
LOG = FIXTURES / "weekly.2021-04-12-20.00.log.txt"
MINUTES = FIXTURES / "weekly.2021-04-12-20.00.txt"


def log_lines(path: Path) -> list[ChatLine]:
    """The fixture's lines as the recorder stores them (nick, text, kind)."""
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        clock, rest = raw.split(" ", 1)
        at = datetime.fromisoformat(f"2021-04-12T{clock}").replace(tzinfo=UTC)
        if rest.startswith("* "):
            nick, text = rest[2:].split(" ", 1)
            lines.append(ChatLine(nick, text, at, "action"))
        else:
            nick, text = rest.split(" ", 1)
            lines.append(ChatLine(nick.strip("<>"), text, at))
    return lines


def test_the_meeting_has_the_minutes_topics_items_and_people() -> None:
    (meeting,) = find_meetings(log_lines(LOG))
    minutes = parse_minutes(MINUTES.read_text(encoding="utf-8"))
    assert (meeting.name, meeting.owner, meeting.chairs) == ("weekly", "anna", ["anna", "ben"])
    assert meeting.ended_at == datetime(2021, 4, 12, 20, 4, tzinfo=UTC)
    topics = [
        (topic.title, [(i.kind, i.text, i.nick) for i in topic.items]) for topic in meeting.topics
    ]
    assert topics == minutes.topics
    assert topics[0] == (
        "Release 1.2",
        [
            ("LINK", "https://example.org/release-1.2", "ben"),
            ("ACTION", "chris to test the 1.2 packages", "anna"),
            ("AGREED", "ship 1.2 on Friday", "ben"),  # chris is no chair: his #agreed is not
        ],
    )
    assert ("LINK", "https://example.org/site-draft", "dora") in topics[1][1]  # a bare URL
    assert ("INFO", "a wrong note", "ben") not in topics[1][1]  # taken back with #undo


def test_people_present_count_every_line_from_start_to_end_inclusive() -> None:
    (meeting,) = find_meetings(log_lines(LOG))
    minutes = parse_minutes(MINUTES.read_text(encoding="utf-8"))
    assert meeting.people_present() == [
        ("ben", 7),
        ("anna", 6),
        ("chris", 5),  # his /me action and the commands he may not give count too
        ("meetbot", 4),  # the bot's own lines
        ("dora", 2),
    ]
    assert meeting.lines_said == minutes.people  # "thanks all" after #endmeeting is not counted


def test_an_action_goes_to_every_person_present_it_names() -> None:
    (meeting,) = find_meetings(log_lines(LOG))
    by_person, unassigned = meeting.action_items_by_person()
    assert by_person == parse_minutes(MINUTES.read_text(encoding="utf-8")).actions_by_person
    assert by_person["ben"] == ["dora and ben to review the draft"]
    assert unassigned == []


def test_no_meeting_without_startmeeting_and_several_in_one_log() -> None:
    at = datetime(2021, 1, 1, tzinfo=UTC)
    assert find_meetings([ChatLine("a", "#topic nothing yet", at)]) == []
    lines = [
        ChatLine("a", "#startmeeting one", at),
        ChatLine("b", "#action a to write it up", at),
        ChatLine("b", "#endmeeting", at),  # b is no chair: the meeting goes on
        ChatLine("a", "#endmeeting", at),
        ChatLine("c", "between meetings", at),
        ChatLine("c", "#startmeeting two", at),
    ]
    first, second = find_meetings(lines)
    assert first.lines_said == {"a": 2, "b": 2} and first.ended_at == at
    assert first.action_items_by_person() == ({"a": ["a to write it up"]}, [])
    assert (second.name, second.owner, second.ended_at) == ("two", "c", None)


def said(*lines: tuple[str, str]) -> dict[str, int]:
    at = datetime(2021, 1, 1, tzinfo=UTC)
    (meeting,) = find_meetings([ChatLine(nick, text, at) for nick, text in lines])
    return meeting.lines_said


def test_chair_and_nick_list_people_with_no_lines_as_meetbot_addnick_does() -> None:
    assert said(
        ("a", "#startmeeting"),
        ("a", "#chair b, c"),  # split on spaces and commas: both listed with 0 lines
        ("a", "#nick d e"),
        ("f", "#nick g"),  # anyone may #nick
        ("a", "#action h to write it up"),  # an action names people, adds none
        ("i", "#here"),  # no #here in MeetBot: an ordinary line
        ("a", "#endmeeting"),
    ) == {"a": 5, "b": 0, "c": 0, "d": 0, "e": 0, "f": 1, "g": 0, "i": 1}


def test_unchair_and_chair_checks_compare_nicks_exactly() -> None:
    assert said(
        ("a", "#startmeeting"),
        ("a", "#chair b"),
        ("b", "#chair c"),  # b is a chair now
        ("a", "#unchair b"),
        ("b", "#chair d"),  # no longer
        ("A", "#chair e"),  # "A" is not the owner "a"
        ("a", "#unchair a"),  # the owner stays a chair
        ("a", "#endmeeting"),
    ) == {"a": 5, "b": 2, "c": 0, "A": 1}


def minutes_text(heading: str, people: str, opening: str = "The full logs are at x .") -> str:
    """Minutes laid out as MeetBot's writers lay them out (headings underlined with ``-``)."""
    return (
        f"=========\n#c Meeting\n=========\n\n\n{opening}\n\n\n\n"
        f"Meeting summary\n---------------\n* hello  (a, 10:00:00)\n\n\n\n"
        f"{heading}\n{'-' * len(heading)}\n{people}\n\n\n\nGenerated by `MeetBot`_ 0.1.4\n"
    )


def test_each_writers_people_present_is_read_and_its_variant_named() -> None:
    text = parse_minutes(minutes_text("People present (lines said)", "* a (3)\n* b (0)"))
    assert (text.variant, text.people) == ("text", {"a": 3, "b": 0})
    # fedora-infra/supybot-meetbot writers.Text: capital P, one bullet a line
    fedora = parse_minutes(minutes_text("People Present (lines said)", "* a (3)\n* b (0)"))
    assert (fedora.variant, fedora.people) == ("fedora", {"a": 3, "b": 0})
    # writers.ReST: blank lines between bullets, "_" before a space or the end escaped
    rest = parse_minutes(
        minutes_text(
            "People Present (lines said)",
            "* a\\_ (3)\n\n* b\\_-c (1)\n\n* d_e (0)",
            opening="Meeting started by a.\nThe `full logs`_ are available.",
        )
    )
    assert (rest.variant, rest.people) == ("rest", {"a_": 3, "b_-c": 1, "d_e": 0})
    # a heading in another case is still found; only the writers' own wordings name a variant
    shouting = parse_minutes(minutes_text("PEOPLE PRESENT (LINES SAID)", "* a (3)"))
    assert (shouting.variant, shouting.people) == ("text", {"a": 3})
    assert fedora.topics == text.topics == [("hello", [])]
