"""Discovery ranks members by what the room shows: replies, mentions, status, attendance."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from assistant.config import IdentityRef
from assistant.people.notability import rank_people
from assistant.recorder import Recorder
from assistant.storage.database import Database
from assistant.testing.factories import ChatScript

NET = "libera"
DAY = timedelta(days=1)


@pytest.fixture
async def db(open_database: Callable[..., Awaitable[Database]]) -> AsyncIterator[Database]:
    """A fresh database on each backend (SQLite, PostgreSQL)."""
    async with await open_database() as database:
        yield database


async def analyse(db: Database, key: str, addressees: str = "[]", reply_to: str = "[]") -> None:
    await db.execute(
        "INSERT INTO message_analyses (message_id, key, addressees, reply_to, analyzed_at) "
        "SELECT id, ?, ?, ?, 0 FROM messages WHERE message_id = ?",
        (key, addressees, reply_to, key),
    )


async def test_members_others_answer_and_address_rank_first_with_reasons(db: Database) -> None:
    chat = ChatScript(NET, sink=Recorder(db).record)
    chat.joined("darren", "#blog", already_present=True)
    chat.said("darren", "anyone interviewing over Skype?", "#blog", message_id="q1")
    chat.said("ann", "darren: I do, weekly", "#blog", message_id="a1")
    chat.said("ben", "darren: zencastr is better", "#blog", message_id="a2")
    chat.said("cat", "me too", "#blog", message_id="a3")
    chat.said("darren", "thanks!", "#blog", message_id="t1", at=chat.now + DAY)
    chat.said("ben", "ann: link?", "#blog", message_id="b1")
    for key, addressees, reply_to in [
        ("q1", "[]", "[]"),
        ("a1", '["darren"]', '["q1"]'),
        ("a2", '["Darren"]', '["q1"]'),
        ("a3", "[]", '["q1"]'),
        ("t1", '["ann", "ben"]', '["a1", "a2"]'),
        ("b1", '["ann"]', "[]"),
    ]:
        await analyse(db, key, addressees, reply_to)
    chat.joined("opal", "#blog", already_present=True)
    await db.execute(
        "UPDATE presence_intervals SET modes = '@' WHERE identity_id = "
        "(SELECT id FROM identities WHERE nick = 'opal')"
    )
    chat.said("owner", "hello all", "#blog")

    owner = IdentityRef(platform="irc", nick="owner")
    ranked = await db.run_in_thread(lambda conn: rank_people(conn, exclude=[owner]))

    by_nick = {n.nick: n for n in ranked}
    assert ranked[0].nick == "darren"
    assert by_nick["darren"].reasons == (
        "3 replies from 3 people",
        "addressed or mentioned 2 times",
        "active on 2 days",
    )
    assert "channel operator in #blog" in by_nick["opal"].reasons
    assert by_nick["ann"].reasons == ("1 reply from 1 person", "addressed or mentioned 2 times")
    assert "owner" not in by_nick and "cat" not in by_nick  # nothing notable about cat
    assert [n.nick for n in ranked][:2] == ["darren", "opal"]


async def test_the_watchlist_is_marked_and_counted(db: Database) -> None:
    chat = ChatScript(NET, sink=Recorder(db).record)
    chat.said("quiet", "hello", "#blog")
    watch = [("Quinn", 3, [IdentityRef(platform="irc", network=NET, nick="Quiet")])]
    [found] = await db.run_in_thread(lambda conn: rank_people(conn, watchlist=watch))
    assert (found.nick, found.watched) == ("quiet", "Quinn")
    assert found.reasons == ("on your watchlist as Quinn (priority 3)",)


async def test_one_person_scores_as_in_the_full_ranking(db: Database) -> None:
    chat = ChatScript(NET, sink=Recorder(db).record)
    chat.said("ann", "question?", "#blog", message_id="q")
    chat.said("ben", "ann: answer", "#blog", message_id="a")
    chat.said("cat", "ben: thanks for that", "#blog", message_id="c")
    await analyse(db, "q")
    await analyse(db, "a", '["ann"]', '["q"]')
    await analyse(db, "c", '["ben"]', '["a"]')
    everyone = await db.run_in_thread(lambda conn: rank_people(conn))
    for found in everyone:
        person = found.person_id
        alone = await db.run_in_thread(lambda conn, p=person: rank_people(conn, only=p))
        assert alone == [found]


async def test_active_days_are_utc_calendar_days_on_both_backends(db: Database) -> None:
    noon = datetime(2024, 1, 7, 12, tzinfo=UTC)
    chat = ChatScript(NET, sink=Recorder(db).record)
    hour = timedelta(hours=1)
    chat.said("ann", "after noon", "#blog", at=noon + hour)
    chat.said("ann", "before the next noon", "#blog", at=noon + DAY - hour)  # the next day
    chat.said("ben", "before noon", "#blog", at=noon - hour)
    chat.said("ben", "after noon, the same day", "#blog", at=noon + hour)
    ranked = await db.run_in_thread(lambda conn: rank_people(conn))
    assert [(n.nick, n.reasons) for n in ranked] == [("ann", ("active on 2 days",))]
