"""Openings are stored with what became of them: taken, missed or dismissed."""

from __future__ import annotations

import pytest

from assistant.storage.database import Database
from assistant.storage.people import forget_person, person_id_for
from tests.openings.conftest import Harness


@pytest.fixture
def database(stored_database: Database) -> Database:
    """The openings store's tables on each backend: what is kept must read the same on both."""
    return stored_database


async def test_speaking_to_the_person_soon_after_takes_the_opening(chat: Harness) -> None:
    await chat.say("casey", "new post up", at=0, acts=("share_own_work",), thread="a")
    [opening] = chat.out.openings
    assert opening.id is not None
    await chat.say("me", "casey: loved it", at=60, addressees=("casey",), thread="b")
    assert await chat.engine.store.outcomes() == {opening.id: "taken"}


async def test_speaking_in_that_thread_takes_it_too(chat: Harness) -> None:
    await chat.say("casey", "new post up", at=0, acts=("share_own_work",), thread="a")
    await chat.say("me", "great read", at=60, thread="a")
    assert list((await chat.engine.store.outcomes()).values()) == ["taken"]


async def test_an_opening_left_alone_is_missed(chat: Harness) -> None:
    await chat.say("casey", "new post up", at=0, acts=("share_own_work",), thread="a")
    await chat.wait(until=700)
    assert list((await chat.engine.store.outcomes()).values()) == ["missed"]


async def test_the_owner_can_dismiss_one(chat: Harness) -> None:
    await chat.say("casey", "new post up", at=0, acts=("share_own_work",), thread="a")
    [opening] = chat.out.openings
    assert opening.id is not None
    assert await chat.engine.dismiss(opening.id)
    assert not await chat.engine.dismiss(opening.id)  # no longer pending
    await chat.say("me", "casey: hi", at=30, addressees=("casey",), thread="b")
    assert await chat.engine.store.outcomes() == {opening.id: "dismissed"}


async def test_forgetting_a_person_removes_their_openings_and_ledger(chat: Harness) -> None:
    await chat.say("casey", "new post up", at=0, acts=("share_own_work",), thread="a")
    await chat.say("me", "casey: loved it", at=60, addressees=("casey",), thread="b")
    db = chat.db
    person = await person_id_for(db, "libera", "casey")
    assert person is not None
    count = "SELECT count(*) FROM {}"
    assert [r[0] for r in await db.fetchall(count.format("openings_exchanges"))] == [1]
    await forget_person(db, person)
    for table in ("openings_found", "openings_exchanges"):
        assert [r[0] for r in await db.fetchall(count.format(table))] == [0]
