"""The owner's lines count as theirs where they cannot be verified: read only, never privileges."""

from __future__ import annotations

import pytest
from assistant_openings.store import OpeningsStore

from assistant.events import Identity
from assistant.storage.database import Database
from tests.openings.conftest import NET, Harness, build_engine

UNVERIFIED = {"owner": {"name": "Me", "identities": [], "nicks": ["ann"]}}


class Unverified(Harness):
    """A network without services: nobody is logged in, except "mallory" as "ann"."""

    def who(self, nick: str) -> Identity:
        if nick == "mallory":
            return Identity("irc", NET, "ann", account="mallory")
        return Identity("irc", NET, nick)


@pytest.fixture
async def chat(database: Database) -> Harness:
    engine, out = build_engine(database, UNVERIFIED)
    return Unverified(database, engine, out)


async def test_an_unverified_owner_acting_on_an_opening_takes_it(chat: Harness) -> None:
    await chat.say("casey", "new post up", at=0, acts=("share_own_work",), thread="a")
    [opening] = chat.out.openings
    assert opening.id is not None
    await chat.say("ann", "casey: loved it", at=60, addressees=("casey",), thread="b")
    assert await chat.engine.store.outcomes() == {opening.id: "taken"}


async def test_the_unverified_owners_exchanges_reach_the_ledger(chat: Harness) -> None:
    await chat.say("casey", "anyone tried podcasting?", at=0, question=True, thread="a")
    await chat.say("ann", "casey: every week, happy to help", at=30, addressees=("casey",))
    await chat.say("casey", "ann: thanks, that helps", at=60, addressees=("ann",))
    assert chat.engine.relationship("casey").exchanges == 2
    stored = await OpeningsStore(chat.db, "Me").exchanges()
    assert [e.to_owner for e in stored["casey"]] == [False, True]


async def test_someone_logged_in_to_another_account_is_not_the_owner(chat: Harness) -> None:
    await chat.say("casey", "new post up", at=0, acts=("share_own_work",), thread="a")
    await chat.say("mallory", "casey: loved it", at=60, addressees=("casey",), thread="b")
    assert chat.engine.relationship("casey").exchanges == 0
    assert list((await chat.engine.store.outcomes()).values()) == ["pending"]
