"""A recorded weekly chat on each storage backend, closed as a session, ready to summarise.

The chat goes through the real recorder (``ChatScript`` → ``Recorder``) and the session is
opened and closed with the sessions store, which also computes its attendance. The
analyzer's output for a few lines (topics, questions, reply links, links) is stored the
way the analysis stage stores it, so composition is tested on exactly what it reads.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from assistant_openings.store import MIGRATIONS

from assistant.config import Settings, parse_settings
from assistant.recorder import Recorder
from assistant.sessions.store import close_session, open_session
from assistant.storage.database import Database
from assistant.testing.factories import ChatScript

NET = "libera"
CHANNEL = "#bloggers"
START = datetime(2024, 1, 7, 8, 30, tzinfo=UTC)
END = START + timedelta(minutes=30)

SETTINGS = {
    "owner": {"name": "Ann", "identities": [{"platform": "irc", "account": "ann"}]},
    "networks": {NET: {"nick": "presence", "channels": [{"name": CHANNEL}]}},
    "watchlist": [{"name": "Darren Rowse", "identities": [{"platform": "irc", "nick": "darren"}]}],
    "summaries": {"timezone": "Australia/Sydney"},
}


def settings(**summaries: object) -> Settings:
    """The scene's settings, with ``[summaries]`` keys overridden."""
    data = json.loads(json.dumps(SETTINGS))
    data["summaries"].update(summaries)
    return parse_settings(data)


async def analyse(
    db: Database,
    text: str,
    *,
    topics: tuple[str, ...] = (),
    question: bool = False,
    addressees: tuple[str, ...] = (),
    links: tuple[str, ...] = (),
    replies_to: tuple[str, ...] = (),
) -> None:
    """Store the analysis of the latest message whose text is ``text`` (key ``k<id>``)."""
    latest = "SELECT id FROM messages WHERE text = ? ORDER BY id DESC LIMIT 1"
    row = await db.fetchone(latest, (text,))
    assert row is not None, text
    keys = []
    for earlier in replies_to:
        found = await db.fetchone(latest, (earlier,))
        assert found is not None, earlier
        keys.append(f"k{found[0]}")
    await db.execute(
        "INSERT INTO message_analyses (message_id, key, topics, is_question, addressees, "
        "links, acts, reply_to, thread, analyzed_at) VALUES (?, ?, ?, ?, ?, ?, '[]', ?, '', 0)",
        (
            row[0],
            f"k{row[0]}",
            json.dumps(topics),
            int(question),
            json.dumps(addressees),
            json.dumps(links),
            json.dumps(keys),
        ),
    )


DARREN_Q = "anyone interviewing over Skype these days?"
BOB_Q = "how do I add RSS to my blog?"
CAROL_A = "bob: use feedburner, it is easy"
POST = "new post up: https://problogger.example/skype-interviews"
ANN_TO_DARREN = "darren: great post, I do Skype interviews every week"
DARREN_TO_ANN = "ann: thanks! would love to hear how you record them"
SCRIPT = "<script>alert('x')</script> <b>bold</b> & friends?"


@dataclass
class Scene:
    """The database and the session id of the recorded chat."""

    db: Database
    session_id: int


async def record_scene(db: Database, *, analysed: bool = True, weeks_later: int = 0) -> int:
    """Record the weekly chat into ``db``, close its session; return the session id.

    ``weeks_later`` moves the whole chat (and its session) that many weeks after ``START``.
    """
    shift = timedelta(weeks=weeks_later)
    start, end = START + shift, END + shift
    recorder = Recorder(db)
    chat = ChatScript(NET, start=start - timedelta(minutes=5), sink=recorder.record)
    ann = chat.who("ann", account="ann")
    chat.joined("presence", CHANNEL, already_present=True, at=start - timedelta(minutes=5))
    chat.joined(ann, CHANNEL, already_present=True, at=start - timedelta(minutes=5))
    chat.joined("zed", CHANNEL, already_present=True, at=start - timedelta(minutes=5))
    chat.joined("darren", CHANNEL, at=start + timedelta(minutes=1))
    chat.joined("bob", CHANNEL, at=start + timedelta(minutes=2))
    chat.joined("carol", CHANNEL, at=start + timedelta(minutes=2, seconds=30))
    said = start + timedelta(minutes=3)
    for offset, (who, text) in enumerate(
        [
            ("darren", "hi all"),
            ("darren", DARREN_Q),
            ("bob", BOB_Q),
            ("carol", CAROL_A),
            ("darren", POST),
            (ann, ANN_TO_DARREN),
            ("darren", DARREN_TO_ANN),
            ("carol", SCRIPT),
            ("presence", "Presence is here for Ann"),
        ]
    ):
        chat.said(who, text, CHANNEL, at=said + timedelta(minutes=offset))
    chat.left("bob", CHANNEL, at=start + timedelta(minutes=20))
    for nick in ("darren", "carol", "zed", ann, "presence"):  # everyone goes after the chat
        chat.left(nick, CHANNEL, kind="quit", at=end + timedelta(minutes=5))
    await db.flush()
    if analysed:
        await analyse(db, DARREN_Q, topics=("skype", "interviews"), question=True)
        await analyse(db, BOB_Q, topics=("rss", "blog"), question=True)
        await analyse(db, CAROL_A, topics=("feedburner",), addressees=("bob",), replies_to=(BOB_Q,))
        await analyse(db, POST, topics=("skype", "post"), links=(POST.split()[-1],))
        await analyse(db, ANN_TO_DARREN, topics=("skype",), addressees=("darren",))
        await analyse(
            db, DARREN_TO_ANN, addressees=("ann",), question=False, replies_to=(ANN_TO_DARREN,)
        )
    session_id = await db.transaction(
        lambda conn: open_session(
            conn,
            network=NET,
            platform="irc",
            channel=CHANNEL,
            name="Aussie bloggers",
            origin="schedule",
            started_at=start.timestamp(),
            timezone="Australia/Sydney",
        )
    )
    await db.transaction(lambda conn: close_session(conn, session_id, end.timestamp()))
    return session_id


async def store_openings(scene: Scene) -> None:
    """Store two openings about Darren (one taken, one dismissed) as the plugin stores them."""
    await scene.db.apply_migrations("plugin:openings", MIGRATIONS)  # as the host would
    row = await scene.db.fetchone("SELECT person_id FROM identities WHERE nick = 'darren'")
    assert row is not None
    for number, (minutes, kind, outcome) in enumerate(
        [(4, "unanswered_question", "taken"), (7, "shared_work", "dismissed")], 1
    ):
        at = (START + timedelta(minutes=minutes)).timestamp()
        await scene.db.execute(
            "INSERT INTO openings_found (id, owner, person_id, person, kind, network, channel, "
            "nick, message, at, found_at, score, parts, reason, angle, outcome) "
            "VALUES (?, ?, ?, 'Darren Rowse', ?, 'libera', '#bloggers', 'darren', '', ?, ?, 1.0, "
            "'{}', 'a <b>reason</b>', '', ?)",
            (number, settings().owner.history_key, row[0], kind, at, at, outcome),
        )


@pytest.fixture
async def scene(open_database: Callable[..., Awaitable[Database]]) -> AsyncIterator[Scene]:
    """The weekly chat, analysed, recorded into a fresh database on each backend."""
    async with await open_database(flush_interval=0.01) as db:
        yield Scene(db, await record_scene(db))
