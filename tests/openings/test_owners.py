"""Each owner sees their own openings and relationships only, in a database others share.

Instances with other owners may record into one PostgreSQL database (issue 34): people,
sessions and messages are one history, but the openings plugin's rows are each owner's,
stored under ``[owner] key`` (or name). Every test runs on both backends; on SQLite two
owners in turn is an owner change.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from assistant_openings import OpeningsPlugin
from assistant_openings.dashboard import inbox, inbox_version, person_panel, record_outcome
from assistant_openings.ledger import LedgerLine
from assistant_openings.store import MIGRATIONS_BY_DIALECT, OpeningsStore

from assistant.config import Settings, parse_settings
from assistant.events import Identity, MessageReceived
from assistant.plugins import PluginHost
from assistant.recorder import Recorder
from assistant.storage.database import Database
from assistant.storage.people import forget_person, person_id_for
from tests.openings.conftest import BASE, OPENINGS, START, Harness, build_engine

ANN = {"name": "Ann", "identities": [{"platform": "irc", "account": "me"}]}
"""The first owner: verified as the harness's ``me``."""
BEA = {"name": "Bea", "nicks": ["bea"]}
"""The second owner: her lines count as hers by nick."""


def settings_of(owner: dict[str, Any]) -> Settings:
    return parse_settings({**BASE, "owner": owner, "plugins": {"openings": OPENINGS}})


def harness(db: Database, owner: dict[str, Any]) -> Harness:
    engine, out = build_engine(db, {"owner": owner})
    return Harness(db, engine, out)


@pytest.fixture
async def database(stored_database: Database) -> Database:
    """One database for both owners, on each backend."""
    return stored_database


async def two_owners(db: Database) -> tuple[Harness, Harness]:
    """Ann takes an opening with casey and leaves problogger's waiting; so does Bea hers.

    Ann's lines come first: on SQLite one instance numbers the openings of a file, and
    here two engines share it in turn, as an owner change would.
    """
    ann, bea = harness(db, ANN), harness(db, BEA)
    await ann.say("casey", "new post up", at=0, acts=("share_own_work",), thread="a")
    await ann.say("me", "casey: loved it", at=60, addressees=("casey",), thread="b")
    await ann.say("problogger", "me: and you?", at=70, question=True, addressees=("me",))
    await bea.join("bea", at=90)
    await bea.say("problogger", "bea: are you around?", at=100, question=True, addressees=("bea",))
    await db.flush()
    assert len(ann.out.openings) == 2 and len(bea.out.openings) == 1
    return ann, bea


def ids(h: Harness) -> list[int]:
    return [o.id for o in h.out.openings if o.id is not None]


async def test_each_owner_reads_their_own_openings_and_ledger(database: Database) -> None:
    ann, bea = await two_owners(database)
    [taken, waiting], [bea_id] = ids(ann), ids(bea)
    assert await ann.engine.store.outcomes() == {taken: "taken", waiting: "pending"}
    assert await bea.engine.store.outcomes() == {bea_id: "pending"}
    assert sorted(await ann.engine.store.exchanges()) == ["casey", "problogger"]
    assert list(await bea.engine.store.exchanges()) == ["problogger"]
    rows = await database.fetchall("SELECT owner, count(*) FROM openings_found GROUP BY owner")
    assert sorted(tuple(r) for r in rows) == [("Ann", 2), ("Bea", 1)]


async def test_an_owner_cannot_decide_anothers_opening(database: Database) -> None:
    ann, bea = await two_owners(database)
    [bea_id] = ids(bea)
    assert not await ann.engine.dismiss(bea_id)
    assert not await record_outcome(database, settings_of(ANN), None, bea_id, "taken")
    assert await bea.engine.store.outcomes() == {bea_id: "pending"}
    assert await record_outcome(database, settings_of(BEA), None, bea_id, "taken")
    assert await bea.engine.store.outcomes() == {bea_id: "taken"}


async def test_relationships_read_back_are_each_owners(database: Database) -> None:
    await two_owners(database)
    for owner, casey, problogger in ((ANN, 1, 1), (BEA, 0, 1)):
        engine, _ = build_engine(database, {"owner": owner})
        await engine.load()  # what a restart reads
        assert engine.relationship("casey").exchanges == casey
        assert engine.relationship("problogger").exchanges == problogger
        settings = settings_of(owner)
        for name, count in (("casey", casey), ("problogger", problogger)):
            panel = await person_panel(database, settings, name)
            assert (panel.relationship.exchanges, len(panel.recent)) == (count, count)


async def test_the_inbox_lists_the_owners_pending_openings_only(database: Database) -> None:
    ann, bea = await two_owners(database)
    [_, waiting], [bea_id] = ids(ann), ids(bea)
    for owner, pending in ((ANN, waiting), (BEA, bea_id)):
        settings = settings_of(owner)
        rows = await database.run_in_thread(lambda conn, s=settings: inbox(conn, s))
        assert [row.id for row in rows] == [pending]
        version = await database.run_in_thread(lambda conn, s=settings: inbox_version(conn, s))
        assert version == (pending, 1)


async def test_forgetting_a_person_removes_every_owners_rows_of_them(
    database: Database,
) -> None:
    ann, _ = await two_owners(database)
    person = await person_id_for(database, "libera", "problogger")
    assert person is not None
    where = "SELECT owner FROM {} WHERE person = 'problogger' ORDER BY owner"
    for table in ("openings_found", "openings_exchanges"):
        assert [r[0] for r in await database.fetchall(where.format(table))] == ["Ann", "Bea"]
    await forget_person(database, person)
    for table in ("openings_found", "openings_exchanges"):
        assert await database.fetchall(where.format(table)) == []
    assert list(await ann.engine.store.exchanges()) == ["casey"]  # Ann's casey stays


@pytest.fixture
async def version_one(
    open_database: Callable[..., Awaitable[Database]],
) -> AsyncIterator[Database]:
    """A database whose openings tables are still at version 1 (before owners)."""
    async with await open_database() as db:
        first = {dialect: scripts[:1] for dialect, scripts in MIGRATIONS_BY_DIALECT.items()}
        await db.apply_migrations("plugin:openings", first)
        yield db


async def test_rows_from_before_owners_become_the_first_claimants(version_one: Database) -> None:
    db = version_one
    ann = harness(db, ANN)
    await ann.say("casey", "hello", at=0)  # records casey
    await db.flush()
    person = await person_id_for(db, "libera", "casey")
    await db.execute(
        "INSERT INTO openings_found (id, person_id, person, kind, network, channel, nick, "
        "message, at, found_at, score, parts, reason, angle) VALUES (7, ?, 'casey', "
        "'shared_work', 'libera', '#bloggers', 'casey', 'new post', 1, 1, 1, '{}', '', '')",
        (person,),
    )
    await db.execute(
        "INSERT INTO openings_exchanges (person_id, person, at, to_owner, reply, initiation, "
        "channel) VALUES (?, 'casey', 1, 0, 0, 0, '#bloggers')",
        (person,),
    )
    await db.apply_migrations("plugin:openings", MIGRATIONS_BY_DIALECT)  # the upgrade
    before = await db.fetchall("SELECT owner FROM openings_found")
    assert [r[0] for r in before] == [""]
    first, second = OpeningsStore(db, "Ann"), OpeningsStore(db, "Bea")
    assert await first.claim_unowned() == 2
    assert await second.claim_unowned() == 0
    assert await first.outcomes() == {7: "pending"}
    assert [len(lines) for lines in (await first.exchanges()).values()] == [1]
    assert await second.outcomes() == {} and await second.exchanges() == {}


async def test_an_owner_change_starts_with_no_openings_or_ledger(database: Database) -> None:
    ann = harness(database, ANN)
    await ann.say("casey", "new post up", at=0, acts=("share_own_work",), thread="a")
    await ann.say("me", "casey: loved it", at=60, addressees=("casey",), thread="b")
    await database.flush()
    # The same database, later configured for Bea: nothing of Ann's is hers.
    engine, _ = build_engine(database, {"owner": BEA})
    assert await engine.store.claim_unowned() == 0
    await engine.load()
    assert engine.relationship("casey").exchanges == 0
    assert await engine.store.outcomes() == {}
    settings = settings_of(BEA)
    assert await database.run_in_thread(lambda conn: inbox(conn, settings)) == []
    # Bea's own exchange with casey starts her ledger at one; Ann's keeps its one.
    casey = await person_id_for(database, "libera", "casey")
    assert casey is not None
    await engine.store.add_exchange("casey", casey, LedgerLine(ann.at(90), True, False, True))
    assert [len(v) for v in (await engine.store.exchanges()).values()] == [1]
    assert [len(v) for v in (await ann.engine.store.exchanges()).values()] == [1]


async def _no_send(network: str, target: str, text: str) -> None:
    """Nothing is sent."""


async def running(db: Database, owner: dict[str, Any]) -> PluginHost:
    """The openings plugin started on ``db`` as ``presence run`` starts it, for ``owner``."""
    config = parse_settings({**BASE, "owner": owner, "plugins": {"openings": {"notify": []}}})
    host = PluginHost(config, db, _no_send, plugin_classes={"openings": OpeningsPlugin})
    await host.start()
    return host


async def test_a_run_claims_the_rows_from_before_owners_and_the_next_owner_has_none(
    version_one: Database,
) -> None:
    db = version_one
    Recorder(db).record(
        MessageReceived(
            platform="irc",
            network="libera",
            timestamp=START,
            channel="#bloggers",
            actor=Identity("irc", "libera", "casey"),
            text="hello",
        )
    )
    await db.flush()
    person = await person_id_for(db, "libera", "casey")
    for opening in (7, 8):
        await db.execute(
            "INSERT INTO openings_found (id, person_id, person, kind, network, channel, nick, "
            "message, at, found_at, score, parts, reason, angle) VALUES (?, ?, 'casey', "
            "'shared_work', 'libera', '#bloggers', 'casey', 'new post', 1, 1, 1, '{}', '', '')",
            (opening, person),
        )
    await db.execute(
        "INSERT INTO openings_exchanges (person_id, person, at, to_owner, reply, initiation, "
        "channel) VALUES (?, 'casey', 1, 0, 0, 0, '#bloggers')",
        (person,),
    )
    host = await running(db, ANN)  # the upgrade: migrated, then claimed at start-up
    plugin: Any = host.instance("openings")
    try:
        assert plugin.engine.relationship("casey").exchanges == 1
        assert await plugin.runtime.dismiss(7)
    finally:
        await host.stop()
    host = await running(db, BEA)  # the same database, another owner configured
    plugin = host.instance("openings")
    try:
        assert plugin.engine.relationship("casey").exchanges == 0
        assert not await plugin.runtime.dismiss(8)
        assert plugin.runtime.ready_verdict("casey").startswith("too early: 0 exchanges")
    finally:
        await host.stop()
    rows = await db.fetchall("SELECT id, owner, outcome FROM openings_found ORDER BY id")
    assert [tuple(r) for r in rows] == [(7, "Ann", "dismissed"), (8, "Ann", "pending")]
