"""The Sessions page names the same most talkative attendees on both backends.

The page shows the 15 who said most at each session. When more than that said as much as
the last one shown, which of them made the cut depended on the order the engine read its
index in: SQLite and PostgreSQL named different people for the same session.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from assistant.recorder import Recorder
from assistant.storage.database import Database
from assistant.storage.people import person_id_for
from assistant.testing.factories import ChatScript
from assistant.web.pages import ATTENDEES_SHOWN
from assistant.web.queries import session_attendees

NET = "libera"


@pytest.fixture
async def db(open_database: Callable[..., Awaitable[Database]]) -> AsyncIterator[Database]:
    """A fresh database on each backend (SQLite, PostgreSQL)."""
    async with await open_database() as database:
        yield database


async def test_ties_at_the_cut_go_to_the_members_known_longest(db: Database) -> None:
    chat = ChatScript(NET, sink=Recorder(db).record)
    nicks = [f"member{n:02d}" for n in range(25)]
    for nick in nicks:  # known in this order: member00 first
        chat.said(nick, f"hello from {nick}", "#chat")
    people = {}
    for nick in nicks:
        person = await person_id_for(db, NET, nick)
        assert person is not None
        people[nick] = person
    await db.execute("INSERT INTO sessions (channel_id, name, started_at) VALUES (1, 'Sunday', 0)")
    # Two said most; the other 23 said one line each, more than the page has room for.
    lines = {nick: 1 for nick in nicks} | {"member20": 9, "member07": 4}
    shuffled = nicks[:]
    random.Random(7).shuffle(shuffled)  # stored in no particular order
    for nick in shuffled:
        await db.execute(
            "INSERT INTO session_attendance (session_id, person_id, lines) VALUES (1, ?, ?)",
            (people[nick], lines[nick]),
        )

    shown = (await db.run_in_thread(lambda c: session_attendees(c, [1], ATTENDEES_SHOWN)))[1]

    names = [a.nick for a in shown]
    assert names[:2] == ["member20", "member07"]
    # Then the earliest known among those who said one line, in the page's name order.
    ties = [n for n in nicks if lines[n] == 1][: ATTENDEES_SHOWN - 2]
    assert names[2:] == sorted(ties)
    assert len(names) == ATTENDEES_SHOWN
