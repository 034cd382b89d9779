"""A summary counts the owner's lines where the owner could not be verified (read only)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest

from assistant.config import parse_settings
from assistant.recorder import Recorder
from assistant.sessions.store import close_session, open_session
from assistant.storage.database import Database
from assistant.summaries.compose import compose_summary
from assistant.testing.factories import ChatScript

from .conftest import ANN_TO_DARREN, CHANNEL, DARREN_TO_ANN, NET, SETTINGS, START, analyse

OpenDatabase = Callable[..., Awaitable[Database]]


async def summary_of_an_unverified_owner(open_database: OpenDatabase, owner: dict[str, Any]) -> Any:
    """The summary of a short chat where "ann" speaks logged in to no account."""
    async with await open_database() as db:
        chat = ChatScript(NET, start=START, sink=Recorder(db).record)
        for nick in ("ann", "darren"):
            chat.joined(nick, CHANNEL, at=START)
        chat.said("ann", ANN_TO_DARREN, CHANNEL, at=START + timedelta(minutes=1))
        chat.said("darren", DARREN_TO_ANN, CHANNEL, at=START + timedelta(minutes=2))
        await db.flush()
        await analyse(db, ANN_TO_DARREN, addressees=("darren",))
        await analyse(db, DARREN_TO_ANN, addressees=("ann",), replies_to=(ANN_TO_DARREN,))
        session = await db.transaction(
            lambda conn: open_session(
                conn,
                network=NET,
                platform="irc",
                channel=CHANNEL,
                name="chat",
                origin="activity",
                started_at=START.timestamp(),
                timezone="UTC",
            )
        )
        end = START + timedelta(minutes=30)
        await db.transaction(lambda conn: close_session(conn, session, end.timestamp()))
        return await compose_summary(db, session, parse_settings({**SETTINGS, "owner": owner}))


@pytest.mark.parametrize(
    "owner",
    [
        {"name": "Ann", "identities": [{"platform": "irc", "account": "ann"}]},
        {"name": "Ann", "nicks": ["ann"]},
    ],
    ids=["configured-account-as-nick", "configured-nick"],
)
async def test_the_owners_exchange_is_in_the_summary(
    open_database: OpenDatabase, owner: dict[str, Any]
) -> None:
    summary = await summary_of_an_unverified_owner(open_database, owner)
    assert [(e.person, e.owner_to_them, e.them_to_owner) for e in summary.exchanges] == [
        ("darren", 1, 1)
    ]
    assert {r.name for r in summary.attendance if r.is_owner} == {"ann"}


async def test_another_name_is_not_the_owner(open_database: OpenDatabase) -> None:
    owner = {"name": "Ann", "nicks": ["anne"]}
    summary = await summary_of_an_unverified_owner(open_database, owner)
    assert list(summary.exchanges) == []
    assert not any(r.is_owner for r in summary.attendance)
