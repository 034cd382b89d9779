"""A batch's writes grouped by statement out of order only where the order cannot show.

PostgreSQL runs each statement of a batch as one executemany, so it groups the writes of
a batch by statement as far as order allows (``group_commuting``); SQLite runs them as
they come. Either way the rows must be those of the writes run one by one, in order.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from assistant.events import Event, Identity, MemberJoined, MemberLeft, MessageReceived
from assistant.recorder import Recorder
from assistant.storage.backend import Op, Tables, group_commuting
from assistant.storage.database import Database

OpenDatabase = Callable[..., Awaitable[Database]]

START = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
ANA = Identity(platform="irc", network="libera", nick="ana", userhost="ana@h")
BO = Identity(platform="irc", network="libera", nick="bo", userhost="bo@h")

MESSAGE = "INSERT INTO messages (channel_id, text) VALUES (?, ?)"
OPEN = "INSERT INTO stays (channel_id, who) VALUES (?, ?)"
CLOSE = "UPDATE stays SET left = 1 WHERE who = ?"
CHANNEL = "INSERT INTO channels (name) VALUES (?) ON CONFLICT (name) DO UPDATE SET name = name"
TABLES = Tables(
    tables=frozenset({"messages", "stays", "channels"}),
    hooked=frozenset({"audited"}),
    parents={"messages": frozenset({"channels"}), "stays": frozenset({"channels"})},
    children={"channels": frozenset({"messages", "stays"})},
)


def shape(groups: list[tuple[str, list[object]]]) -> list[tuple[str, list[object]]]:
    names = {MESSAGE: "message", OPEN: "open", CLOSE: "close", CHANNEL: "channel"}
    return [(names.get(sql, sql), [p[-1] for p in rows]) for sql, rows in groups]  # type: ignore[index]


def test_writes_to_other_tables_group_past_each_other_but_one_tables_keep_their_order() -> None:
    batch: list[Op] = [
        (MESSAGE, (1, "m1")),
        (OPEN, (1, "ana")),
        (MESSAGE, (1, "m2")),
        (CLOSE, ("ana",)),
        (MESSAGE, (1, "m3")),
        (OPEN, (1, "ana2")),
        (MESSAGE, (1, "m4")),
    ]
    assert shape(group_commuting(batch, TABLES)) == [  # type: ignore[arg-type]
        ("message", ["m1", "m2", "m3", "m4"]),
        ("open", ["ana"]),
        ("close", ["ana"]),
        ("open", ["ana2"]),
    ]


def stay_key(sql: str, params: object) -> object | None:
    """OPEN and CLOSE touch only the stays of their ``who``, their last parameter."""
    return params[-1] if sql in (OPEN, CLOSE) else None  # type: ignore[index]


def test_writes_of_other_keys_group_past_each_other_and_a_group_holds_a_key_once() -> None:
    batch: list[Op] = [
        (OPEN, (1, "ana")),
        (CLOSE, ("ana",)),
        (OPEN, (1, "bo")),  # another member's: passes ana's departure
        (CLOSE, ("bo",)),
        (OPEN, (1, "ana")),  # ana's again: cannot pass her departure
        (OPEN, (1, "cy")),
        (OPEN, (1, "cy")),  # twice in a row: a group of its own
        (CHANNEL, ("c",)),  # no key: nothing passes it
        (CLOSE, ("cy",)),
    ]
    assert shape(group_commuting(batch, TABLES, row_key=stay_key)) == [  # type: ignore[arg-type]
        ("open", ["ana", "bo"]),
        ("close", ["ana", "bo"]),
        ("open", ["ana", "cy"]),
        ("open", ["cy"]),
        ("channel", ["c"]),
        ("close", ["cy"]),
    ]
    # Without keys one table's writes keep their order.
    assert len(group_commuting(batch, TABLES)) == 7


def test_a_write_to_a_parent_table_a_trigger_or_a_function_call_keeps_its_place() -> None:
    audited = "INSERT INTO audited (x) VALUES (?)"
    call = "INSERT INTO stays (channel_id, who) VALUES (nextval('s'), ?)"
    batch: list[Op] = [
        (MESSAGE, (1, "m1")),
        (CHANNEL, ("c",)),  # upserts a parent of messages: they cannot pass it
        (MESSAGE, (1, "m2")),
        (audited, ("a",)),  # a table with a trigger: nothing passes it
        (MESSAGE, (1, "m3")),
        (call, ("f",)),  # a call of a function that might read anything
        (MESSAGE, (1, "m4")),
    ]
    assert shape(group_commuting(batch, TABLES)) == [  # type: ignore[arg-type]
        ("message", ["m1"]),
        ("channel", ["c"]),
        ("message", ["m2"]),
        (audited, ["a"]),
        ("message", ["m3"]),
        (call, ["f"]),
        ("message", ["m4"]),
    ]


def traffic() -> list[Event]:
    """Arrivals, departures and messages of two people in one channel, a message repeated."""

    def at(n: int) -> datetime:
        return START + timedelta(seconds=n)

    def said(n: int, who: Identity, text: str, message_id: str | None = None) -> Event:
        return MessageReceived(
            platform="irc",
            network="libera",
            timestamp=at(n),
            channel="#c",
            actor=who,
            text=text,
            message_id=message_id,
        )

    def joined(n: int, who: Identity) -> Event:
        return MemberJoined(
            platform="irc", network="libera", timestamp=at(n), channel="#c", actor=who
        )

    def left(n: int, who: Identity) -> Event:
        return MemberLeft(
            platform="irc",
            network="libera",
            timestamp=at(n),
            channel="#c",
            actor=who,
            kind="part",
            reason=None,
        )

    return [
        said(0, ANA, "hello"),
        joined(1, ANA),
        said(2, BO, "first", "id-1"),
        left(3, ANA),
        said(4, ANA, "back soon"),
        joined(5, ANA),
        joined(6, ANA),  # a second join while there keeps the open stay
        said(7, BO, "first again", "id-1"),  # the same platform message: stored once
        joined(8, BO),
        left(9, BO),
        said(10, ANA, "bye"),
        left(11, ANA),
        joined(12, BO),
    ]


async def test_a_batch_of_arrivals_departures_and_messages_gives_the_rows_of_its_order(
    open_database: OpenDatabase,
) -> None:
    # One batch holds all of it: on PostgreSQL the messages go as one group.
    db = await open_database(batch_size=1000, flush_interval=60)
    try:
        recorder = Recorder(db)
        for event in traffic():
            recorder.record(event)
        await db.flush()
        assert db.writer.batches == 1
        messages = await db.fetchall(
            "SELECT i.nick, m.at, m.text FROM messages AS m "
            "JOIN identities AS i ON i.id = m.identity_id ORDER BY m.id"
        )
        stays = await db.fetchall(
            "SELECT i.nick, p.joined_at, p.left_at FROM presence_intervals AS p "
            "JOIN identities AS i ON i.id = p.identity_id ORDER BY p.id"
        )
    finally:
        await db.close()
    t0 = START.timestamp()
    assert [(r["nick"], r["at"] - t0, r["text"]) for r in messages] == [
        ("ana", 0, "hello"),
        ("bo", 2, "first"),
        ("ana", 4, "back soon"),
        ("ana", 10, "bye"),
    ]
    assert [
        (r["nick"], r["joined_at"] - t0, None if r["left_at"] is None else r["left_at"] - t0)
        for r in stays
    ] == [("ana", 1, 3), ("ana", 5, 11), ("bo", 8, 9), ("bo", 12, None)]


async def test_a_trigger_added_while_running_keeps_the_writes_in_their_order(
    postgres_dsn: str,
) -> None:
    # Each message insert notes how many stays exist at that moment: were messages
    # grouped past the arrivals, the counts would show it.
    trigger = """
    CREATE TABLE seen_stays (
        id BIGINT GENERATED ALWAYS AS IDENTITY, message TEXT NOT NULL, stays BIGINT NOT NULL
    );
    CREATE FUNCTION note_stays() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO seen_stays (message, stays) SELECT NEW.text, count(*) FROM presence_intervals;
        RETURN NEW;
    END;
    $$;
    CREATE TRIGGER note_stays AFTER INSERT ON messages
    FOR EACH ROW EXECUTE FUNCTION note_stays();
    """
    db = await Database.open_postgresql(postgres_dsn, batch_size=1000, flush_interval=60)
    try:
        recorder = Recorder(db)
        recorder.record(traffic()[0])
        await db.flush()  # the catalogue is read before the trigger exists
        await db.apply_migrations("plugin:test", {"postgresql": [trigger]})
        for event in traffic()[1:]:
            recorder.record(event)
        await db.flush()
        seen = await db.fetchall("SELECT message, stays FROM seen_stays ORDER BY id")
    finally:
        await db.close()
    assert [(r["message"], r["stays"]) for r in seen] == [
        ("first", 1),
        ("back soon", 1),
        ("bye", 3),
    ]


async def test_a_default_that_calls_a_function_keeps_the_writes_in_their_order(
    postgres_dsn: str,
) -> None:
    # Each stay notes how many messages exist when it opens, through a column default.
    default = """
    CREATE FUNCTION messages_so_far() RETURNS BIGINT LANGUAGE sql AS
    'SELECT count(*) FROM messages';
    ALTER TABLE presence_intervals ADD COLUMN messages_seen BIGINT DEFAULT messages_so_far();
    """
    db = await Database.open_postgresql(postgres_dsn, batch_size=1000, flush_interval=60)
    try:
        await db.apply_migrations("plugin:test", {"postgresql": [default]})
        recorder = Recorder(db)
        for event in traffic():
            recorder.record(event)
        await db.flush()
        assert db.writer.batches == 1
        stays = await db.fetchall(
            "SELECT i.nick, p.messages_seen FROM presence_intervals AS p "
            "JOIN identities AS i ON i.id = p.identity_id ORDER BY p.id"
        )
    finally:
        await db.close()
    assert [(r["nick"], r["messages_seen"]) for r in stays] == [
        ("ana", 1),
        ("ana", 3),
        ("bo", 3),
        ("bo", 4),
    ]
