"""What Presence records from an emulated Discord server, through the real Assistant, into SQLite.

An unmodified discord.py client talks to :class:`DiscordEmulator` on 127.0.0.1; the tests
script what people do there and assert on the database rows and on what plugins were shown.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from assistant.events import EventScheduled, MessageReceived
from assistant.testing.discord import DiscordEmulator

Live = Any  # conftest's Live: .assistant, .witness, .connector, .rows(), .until_rows(), .until()
Guild = Any  # conftest's Guild: ids of the scripted server, its channels and people
Start = Callable[..., Awaitable[Live]]

MESSAGES = (
    "SELECT i.nick, m.text, m.reply_to IS NOT NULL, m.edited, m.deleted FROM messages m "
    "JOIN identities i ON i.id = m.identity_id JOIN channels c ON c.id = m.channel_id "
    "WHERE c.name = ? ORDER BY m.at, m.id"
)
STAYS = (
    "SELECT i.nick, c.name, p.via, p.already_present, p.left_at IS NOT NULL "
    "FROM presence_intervals p JOIN identities i ON i.id = p.identity_id "
    "JOIN channels c ON c.id = p.channel_id WHERE i.user_id = ? ORDER BY p.id"
)


async def test_messages_with_replies_and_mentions_are_recorded_with_names(
    presence: Start, emulator: DiscordEmulator, guild: Guild
) -> None:
    live = await presence()
    question = await emulator.post_message(
        guild.general, guild.alice, f"anyone podcasting? <@&{guild.mods}> <#{guild.general}>"
    )
    answer = await emulator.post_message(
        guild.general,
        guild.bob,
        f"<@{guild.alice}> me! <:mic:123456789012345678>",
        reply_to=question,
    )
    await emulator.post_message(guild.general, guild.bob, "slides", attachments=["talk.pdf"])
    await live.until_rows("SELECT count(*) FROM messages", expect=[(3,)])
    rows = await live.rows(MESSAGES, "#general")
    assert rows[:2] == [
        ("Ally", "anyone podcasting? @mods #general", 0, 0, 0),
        ("bob", "@Ally me! :mic:", 1, 0, 0),
    ]
    assert rows[2][0] == "bob" and rows[2][1].startswith("slides http://127.0.0.1:")
    assert rows[2][1].endswith("/talk.pdf")
    replies = await live.rows(
        "SELECT message_id, reply_to FROM messages WHERE reply_to IS NOT NULL"
    )
    assert replies == [(answer, question)]
    authors = await live.rows(
        "SELECT DISTINCT i.user_id FROM messages m JOIN identities i ON i.id = m.identity_id"
    )
    assert sorted(authors) == sorted([(guild.alice,), (guild.bob,)])


async def test_edits_and_deletes_update_the_transcript(
    presence: Start, emulator: DiscordEmulator, guild: Guild
) -> None:
    live = await presence()
    typo = await emulator.post_message(guild.general, guild.alice, "helo")
    oops = await emulator.post_message(guild.general, guild.bob, "wrong channel")
    await emulator.edit_message(guild.general, typo, f"hello <@{guild.bob}>")
    await emulator.delete_message(guild.general, oops)
    await live.until_rows(
        MESSAGES,
        "#general",
        expect=[("Ally", "hello @bob", 0, 1, 0), ("bob", "", 0, 0, 1)],
    )


async def test_members_joining_leaving_and_renaming_are_attendance(
    presence: Start, emulator: DiscordEmulator, guild: Guild
) -> None:
    live = await presence()
    present = [("Ally", "#general", "channel", 1, 0), ("Ally", "#help", "channel", 1, 0)]
    await live.until_rows(STAYS, guild.alice, expect=present)
    carol = emulator.add_user("carol")
    await emulator.member_join(guild.id, carol)
    await live.until_rows(
        STAYS,
        carol,
        expect=[("carol", "#general", "channel", 0, 0), ("carol", "#help", "channel", 0, 0)],
    )
    await emulator.member_update(guild.id, carol, nick="Caz")
    await live.until_rows("SELECT nick FROM identities WHERE user_id = ?", carol, expect=[("Caz",)])
    await emulator.member_leave(guild.id, carol)
    await live.until_rows(
        STAYS,
        carol,
        expect=[("Caz", "#general", "channel", 0, 1), ("Caz", "#help", "channel", 0, 1)],
    )


async def test_presence_changes_are_recorded_as_status(
    presence: Start, emulator: DiscordEmulator, guild: Guild
) -> None:
    live = await presence()
    for status in ("idle", "dnd", "offline"):
        await emulator.set_presence(guild.id, guild.bob, status)
        await live.until_rows(
            "SELECT status FROM identities WHERE user_id = ?", guild.bob, expect=[(status,)]
        )


async def test_voice_and_stage_joins_and_leaves_are_attendance(
    presence: Start, emulator: DiscordEmulator, guild: Guild
) -> None:
    live = await presence()
    await emulator.voice_join(guild.id, guild.bob, guild.voice)
    await emulator.voice_join(guild.id, guild.bob, guild.stage)
    await emulator.voice_leave(guild.id, guild.bob)
    await live.until_rows(
        STAYS,
        guild.bob,
        expect=[
            ("bob", "#general", "channel", 1, 0),
            ("bob", "#help", "channel", 1, 0),
            ("bob", "#Office Hours", "voice", 0, 1),
            ("bob", "#AMA", "stage", 0, 1),
        ],
    )


async def test_threads_and_forum_posts_are_recorded_under_their_channel(
    presence: Start, emulator: DiscordEmulator, guild: Guild
) -> None:
    live = await presence()
    start = await emulator.post_message(guild.general, guild.alice, "let's take this aside")
    thread = await emulator.create_thread(
        guild.general, "aside", author_id=guild.alice, starter_message_id=start
    )
    await emulator.post_message(thread, guild.bob, "in the thread")
    post = await emulator.create_thread(guild.help, "Which mic?", author_id=guild.bob)
    await emulator.post_message(post, guild.bob, "for podcasting")
    await emulator.post_message(post, guild.alice, "a USB one")
    await live.until_rows(
        MESSAGES,
        "#general",
        expect=[("Ally", "let's take this aside", 0, 0, 0), ("bob", "in the thread", 0, 0, 0)],
    )
    await live.until_rows(
        MESSAGES,
        "#help",
        expect=[("bob", "Which mic?\nfor podcasting", 0, 0, 0), ("Ally", "a USB one", 0, 0, 0)],
    )


async def test_a_dropped_connection_is_resumed_with_no_event_lost(
    presence: Start, emulator: DiscordEmulator, guild: Guild
) -> None:
    live = await presence()
    await emulator.post_message(guild.general, guild.alice, "before")
    await live.until_rows("SELECT count(*) FROM messages", expect=[(1,)])
    await emulator.drop_connections()
    for n in range(5):
        await emulator.post_message(guild.general, guild.bob, f"while away {n}")
    await live.until(lambda: emulator.resume_count >= 1)
    await emulator.post_message(guild.general, guild.alice, "after")
    await live.until_rows(
        "SELECT text FROM messages ORDER BY at, id",
        expect=[("before",), *[(f"while away {n}",) for n in range(5)], ("after",)],
    )
    assert emulator.identify_count == 1
    backfilled = [e for e in live.witness.events if isinstance(e, MessageReceived) and e.backfill]
    assert backfilled == []


async def test_what_was_said_during_downtime_is_backfilled_once(
    presence: Start, emulator: DiscordEmulator, guild: Guild
) -> None:
    first = await presence()
    await emulator.post_message(guild.general, guild.alice, "see you next week")
    await first.until_rows("SELECT count(*) FROM messages", expect=[(1,)])
    await first.assistant.stop()

    for n in range(3):
        await emulator.post_message(guild.general, guild.bob, f"missed {n}")
    thread = await emulator.create_thread(guild.general, "side", author_id=guild.bob)
    await emulator.post_message(thread, guild.bob, "missed in a thread")

    second = await presence()
    await second.until_rows(
        "SELECT text FROM messages ORDER BY at, id",
        expect=[
            ("see you next week",),
            ("missed 0",),
            ("missed 1",),
            ("missed 2",),
            ("missed in a thread",),
        ],
    )
    await emulator.post_message(guild.general, guild.alice, "live again")
    await second.until_rows("SELECT count(*) FROM messages", expect=[(6,)])
    shown = [e for e in second.witness.events if isinstance(e, MessageReceived)]
    assert [(e.text, e.backfill) for e in shown] == [
        ("missed 0", True),
        ("missed 1", True),
        ("missed 2", True),
        ("missed in a thread", True),
        ("live again", False),
    ]


async def test_scheduled_events_reach_plugins(
    presence: Start, emulator: DiscordEmulator, guild: Guild
) -> None:
    live = await presence()
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    event = await emulator.schedule_event(
        guild.id, "Weekly AMA", start=start, channel_id=guild.stage, description="ask"
    )
    await emulator.update_scheduled_event(guild.id, event, status="active")
    await live.until(
        lambda: (
            [e.status for e in live.witness.events if isinstance(e, EventScheduled)]
            == ["scheduled", "active"]
        )
    )
    found = next(e for e in live.witness.events if isinstance(e, EventScheduled))
    assert (found.name, found.channel, found.starts_at, found.event_id) == (
        "Weekly AMA",
        "#AMA",
        start,
        event,
    )


async def test_a_lost_session_is_a_gap_and_what_was_missed_is_backfilled(
    presence: Start, emulator: DiscordEmulator, guild: Guild
) -> None:
    live = await presence()
    await emulator.post_message(guild.general, guild.alice, "before")
    await live.until_rows("SELECT count(*) FROM messages", expect=[(1,)])
    await emulator.invalidate_sessions()  # Discord forgot the session: no RESUME replay
    await live.until(lambda: not live.connector.connected)
    await emulator.post_message(guild.general, guild.bob, "missed")
    await live.until(lambda: live.connector.connected)  # discord.py waits 5 s to IDENTIFY again
    await emulator.post_message(guild.general, guild.alice, "after")
    await live.until_rows(
        "SELECT text FROM messages ORDER BY at, id", expect=[("before",), ("missed",), ("after",)]
    )
    await live.until_rows(
        "SELECT reason, ended_at IS NOT NULL FROM connection_gaps", expect=[("session lost", 1)]
    )
    backfilled = [
        e.text for e in live.witness.events if isinstance(e, MessageReceived) and e.backfill
    ]
    assert backfilled == ["missed"]
    assert emulator.identify_count == 2
