"""A batch's messages stored as one statement on PostgreSQL give the rows of one per message.

PostgreSQL runs the messages of a batch as one set-based INSERT (the recorder declares its
bulk form, :mod:`assistant.storage.pg_bulk`); SQLite runs the INSERT once per message.
Both must leave the same rows: a platform message id stored once per channel (repeated in
the batch or already stored), messages without an id all kept, the text as given, and a
message whose channel or author is unknown dropped alone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from assistant.events import Identity, MessageReceived
from assistant.recorder import _INSERT_MESSAGE_SHARED, Recorder
from assistant.storage.backend import Op
from assistant.storage.database import Database
from assistant.storage.pg_bulk import bulk_form, declare_bulk

OpenDatabase = Callable[..., Awaitable[Database]]

START = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
ANA = Identity(platform="discord", network="guild", nick="ana", user_id="1")
BO = Identity(platform="discord", network="guild", nick="bo", user_id="2")


def said(
    n: int,
    text: str,
    message_id: str | None = None,
    *,
    who: Identity = ANA,
    channel: str = "#a",
    reply_to: str | None = None,
) -> MessageReceived:
    return MessageReceived(
        platform="discord",
        network="guild",
        timestamp=START + timedelta(seconds=n),
        channel=channel,
        actor=who,
        text=text,
        message_id=message_id,
        reply_to=reply_to,
    )


async def stored(db: Database) -> list[tuple[str, str, str, str | None, str | None]]:
    rows = await db.fetchall(
        "SELECT c.name, i.nick, m.text, m.message_id, m.reply_to FROM messages AS m "
        "JOIN channels AS c ON c.id = m.channel_id "
        "JOIN identities AS i ON i.id = m.identity_id ORDER BY m.id"
    )
    return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]


async def test_a_message_id_repeated_in_a_batch_or_already_stored_is_stored_once(
    open_database: OpenDatabase,
) -> None:
    db = await open_database(batch_size=1000, flush_interval=60)
    try:
        recorder = Recorder(db)
        recorder.record(said(0, "first", "m1"))
        await db.flush()
        for event in [
            said(1, "first, fetched again", "m1"),  # stored already: dropped
            said(2, "second", "m2", who=BO),
            said(3, "no id"),
            said(4, "second, repeated", "m2"),  # earlier in this batch: dropped
            said(5, "second, elsewhere", "m2", channel="#b"),  # another channel: kept
            said(6, "third", "m3", who=BO, reply_to="m2"),
            said(7, "third, again", "m3"),
            said(8, "second, elsewhere again", "m2", channel="#b"),
            said(9, "last", "m4"),
        ]:
            recorder.record(event)
        await db.flush()
        assert db.writer.batches == 2
        rows = await stored(db)
    finally:
        await db.close()
    assert rows == [
        ("#a", "ana", "first", "m1", None),
        ("#a", "bo", "second", "m2", None),
        ("#a", "ana", "no id", None, None),
        ("#b", "ana", "second, elsewhere", "m2", None),
        ("#a", "bo", "third", "m3", "m2"),
        ("#a", "ana", "last", "m4", None),
    ]


async def test_messages_without_an_id_are_all_kept(open_database: OpenDatabase) -> None:
    db = await open_database(batch_size=1000, flush_interval=60)
    try:
        recorder = Recorder(db)
        for event in [
            said(0, "again"),
            said(0, "again"),
            said(1, "with an id", "m1"),
            said(0, "again"),
            said(2, "again", who=BO),
        ]:
            recorder.record(event)
        await db.flush()
        assert db.writer.batches == 1
        rows = await stored(db)
    finally:
        await db.close()
    assert [(nick, text, mid) for _, nick, text, mid, _ in rows] == [
        ("ana", "again", None),
        ("ana", "again", None),
        ("ana", "with an id", "m1"),
        ("ana", "again", None),
        ("bo", "again", None),
    ]


ODD_TEXTS = [
    "",
    "'; DROP TABLE messages; --",
    '"quoted", {braces}, (parens), [brackets]',
    "{a,b}",
    "NULL",
    "\\N back\\slash \\\\",
    "$1 ?1 ?8 :network %s %(x)s",
    "tab\there\nnew line\r\nand return",
    "emoji 🎉👍🏽 and a family 👨‍👩‍👧",
    "עברית מימין לשמאל and العربية",
    "e\u0301 combining, \u200b zero width, \ufeff a BOM, \u2028 a line separator",
    "日本語のテキスト",
    "x" * 20_000,
]


async def test_odd_text_ids_and_replies_are_stored_as_given(open_database: OpenDatabase) -> None:
    db = await open_database(batch_size=1000, flush_interval=60)
    try:
        recorder = Recorder(db)
        for n, text in enumerate(ODD_TEXTS):
            recorder.record(said(n, text, f"{{id}},'{n}' \"é\"", reply_to=f"{{re}} {n}\\"))
        await db.flush()
        assert db.writer.batches == 1
        rows = await stored(db)
    finally:
        await db.close()
    assert [(text, mid, reply) for _, _, text, mid, reply in rows] == [
        (text, f"{{id}},'{n}' \"é\"", f"{{re}} {n}\\") for n, text in enumerate(ODD_TEXTS)
    ]


async def test_a_message_for_an_unknown_channel_or_author_is_dropped_alone(
    open_database: OpenDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The writes the recorder makes, then the same writes with one message's channel and
    # another's author swapped for keys no row has.
    db = await open_database(batch_size=1000, flush_interval=60)
    try:
        ops: list[Op] = []
        monkeypatch.setattr(db.writer, "submit", ops.append)
        recorder = Recorder(db)
        for n, text in enumerate(["one", "lost channel", "two", "lost author", "three"]):
            recorder.record(said(n, text, f"m{n}"))
        monkeypatch.undo()

        def unknown(op: Op) -> Op:
            sql, params = op
            if not isinstance(params, tuple):
                return op
            if "lost channel" in params:
                params = tuple("#nowhere" if p == "#a" else p for p in params)
            if "lost author" in params:
                params = tuple("nobody" if p == ANA.key else p for p in params)
            return sql, params

        for op in ops:
            db.writer.submit(unknown(op))
        await db.flush()
        assert db.writer.batches == 1
        assert db.writer.dropped == 2
        rows = await stored(db)
    finally:
        await db.close()
    assert [text for _, _, text, _, _ in rows] == ["one", "two", "three"]


# A statement of a test's own with a bulk form that says it ran.
PROBE_TABLE = """
CREATE TABLE bulk_probe (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, v TEXT NOT NULL, via TEXT NOT NULL
)
"""
PROBE = "INSERT INTO bulk_probe (v, via) VALUES (?, 'row')"
PROBE_BULK = (
    "INSERT INTO bulk_probe (v, via) "
    "SELECT r.v, 'bulk' FROM unnest($1::text[]) WITH ORDINALITY AS r (v, n) ORDER BY r.n"
)
PROBE_TRIGGER = """
CREATE FUNCTION bulk_probe_noop() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RETURN NEW;
END;
$$;
CREATE TRIGGER bulk_probe_noop BEFORE INSERT ON bulk_probe
FOR EACH ROW EXECUTE FUNCTION bulk_probe_noop();
"""


async def test_a_declared_bulk_form_runs_for_groups_of_rows_into_a_table_without_hooks(
    postgres_dsn: str,
) -> None:
    declare_bulk(PROBE, PROBE_BULK)
    db = await Database.open_postgresql(postgres_dsn, batch_size=1000, flush_interval=60)
    try:
        await db.apply_migrations("plugin:probe", {"postgresql": [PROBE_TABLE, PROBE_TRIGGER]})
        await db.execute("DROP TRIGGER bulk_probe_noop ON bulk_probe")
        for value in ["a", "b", "c"]:
            db.writer.submit((PROBE, (value,)))
        await db.flush()
        db.writer.submit((PROBE, ("alone",)))  # one row: the statement itself
        await db.flush()
        await db.execute(
            "CREATE TRIGGER bulk_probe_noop BEFORE INSERT ON bulk_probe "
            "FOR EACH ROW EXECUTE FUNCTION bulk_probe_noop()"
        )
        for value in ["x", "y"]:  # a table with a trigger: one statement per row
            db.writer.submit((PROBE, (value,)))
        await db.flush()
        rows = await db.fetchall("SELECT v, via FROM bulk_probe ORDER BY id")
    finally:
        await db.close()
    assert [(r["v"], r["via"]) for r in rows] == [
        ("a", "bulk"),
        ("b", "bulk"),
        ("c", "bulk"),
        ("alone", "row"),
        ("x", "row"),
        ("y", "row"),
    ]


def test_only_an_insert_or_an_update_of_keyed_rows_has_a_bulk_form_and_only_one() -> None:
    with pytest.raises(ValueError, match="only an INSERT INTO or an UPDATE"):
        declare_bulk("DELETE FROM bulk_probe WHERE v = ?", PROBE_BULK)
    with pytest.raises(ValueError, match="only with a row key"):
        declare_bulk("UPDATE bulk_probe SET via = 'x' WHERE v = ?", PROBE_BULK)
    declare_bulk(PROBE, PROBE_BULK)  # the same again: fine
    with pytest.raises(ValueError, match="different bulk form"):
        declare_bulk(PROBE, PROBE_BULK + " -- another")
    assert bulk_form(PROBE) == ("bulk_probe", PROBE_BULK)
    assert bulk_form("INSERT INTO bulk_probe (v, via) VALUES (?, 'other')") is None


async def test_a_fresh_database_has_statistics_after_its_first_batches(postgres_dsn: str) -> None:
    # Without them PostgreSQL plans the identity lookups as scans of the whole network.
    db = await Database.open_postgresql(postgres_dsn, batch_size=1000, flush_interval=60)
    try:
        recorder = Recorder(db)
        people = [
            Identity(platform="discord", network="guild", nick=f"p{n}", user_id=str(n))
            for n in range(50)
        ]
        for n in range(2500):
            recorder.record(said(n, f"line {n}", who=people[n % 50], channel=f"#c{n % 3}"))
        await db.flush()
        rows = await db.fetchall(
            "SELECT relname, reltuples FROM pg_class "
            "WHERE relname IN ('networks', 'channels', 'identities', 'messages')"
        )
    finally:
        await db.close()
    assert {r["relname"]: r["reltuples"] >= 0 for r in rows} == {
        "networks": True,
        "channels": True,
        "identities": True,
        "messages": True,
    }


async def test_each_message_id_is_checked_through_the_index_even_on_an_empty_table(
    postgres_dsn: str,
) -> None:
    # The writer's generic plan takes a batch for a few rows: on a small table PostgreSQL
    # would rather hash the whole table than probe the index once a line, and keeps that
    # plan while the table grows (issue 34). The id check must leave it no such choice.
    async with await Database.open_postgresql(postgres_dsn):
        pass  # the schema, messages empty and never analyzed
    form = bulk_form(_INSERT_MESSAGE_SHARED)
    assert form is not None
    conn = await asyncpg.connect(postgres_dsn)
    try:
        await conn.execute("SET plan_cache_mode = force_generic_plan")
        await conn.execute(f"PREPARE bulk AS {form[1]}")
        rows = await conn.fetch(
            "EXPLAIN EXECUTE bulk('{guild}', '{#a}', '{1}', '{0}', '{message}', '{hi}', "
            "'{m1}', '{NULL}', '{7}')"
        )
    finally:
        await conn.close()
    plan = "\n".join(row[0] for row in rows)
    assert "hashed SubPlan" not in plan, plan
    assert "Seq Scan on messages" not in plan, plan
    assert "using messages_platform_id on messages" in plan, plan
