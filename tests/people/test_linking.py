"""Identity → person: accounts, configured aliases, alternate nicks, and when never to fold."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from assistant.config import IdentityRef, Settings, WatchedMember
from assistant.events import Identity
from assistant.people.linking import alternate_base, relink_people
from assistant.recorder import Recorder
from assistant.storage.database import Database
from assistant.storage.people import person_id_for
from assistant.testing.factories import ChatScript

NET = "libera"


@pytest.fixture
async def db(open_database: Callable[..., Awaitable[Database]]) -> AsyncIterator[Database]:
    """A fresh database on each backend (SQLite, PostgreSQL)."""
    async with await open_database() as database:
        yield database


@pytest.fixture
def chat(db: Database) -> ChatScript:
    return ChatScript(NET, sink=Recorder(db).record)


async def persons(db: Database, network: str, *nicks: str) -> set[int | None]:
    return {await person_id_for(db, network, nick) for nick in nicks}


@pytest.mark.parametrize(
    ("nick", "base"),
    [
        ("alice_", "alice"),
        ("alice__", "alice"),
        ("alice|away", "alice"),
        ("alice^", "alice"),
        ("alice2", "alice"),
        ("Bob`", "Bob"),
        ("alice", None),
        ("r2d2", None),  # digits inside a nick are part of it
        ("_", None),
    ],
)
def test_alternate_nicks_are_recognised(nick: str, base: str | None) -> None:
    assert alternate_base(nick) == base


async def test_an_alternate_nick_seen_while_the_base_is_away_is_folded(
    db: Database, chat: ChatScript
) -> None:
    chat.joined("alice", "#chan")
    chat.said("alice", "night all", "#chan")
    chat.left("alice", None, kind="quit", reason="ping timeout")
    chat.joined("alice|away", "#chan")
    chat.said("alice|away", "back on my phone", "#chan")
    chat.left("alice|away", None, kind="quit")
    chat.joined("alice2", "#chan")
    [link, _] = await relink_people(db, Settings())
    assert "alice|away is an alternate nick of alice" in link.reason
    assert len(await persons(db, NET, "alice", "alice|away", "alice2")) == 1


async def test_two_people_present_at_once_are_never_folded(db: Database, chat: ChatScript) -> None:
    chat.joined("bob", "#chan")
    chat.joined("bob_", "#chan")  # someone else, while bob is still here
    chat.said("bob_", "I am not bob", "#chan")
    chat.left("bob_", "#chan")
    assert await relink_people(db, Settings()) == []
    assert len(await persons(db, NET, "bob", "bob_")) == 2


async def test_different_hosts_or_accounts_are_never_folded(db: Database, chat: ChatScript) -> None:
    chat.joined(chat.who("dan", userhost="dan@home.example"), "#chan")
    chat.left(chat.who("dan"), None, kind="quit")
    chat.joined(chat.who("dan_", userhost="evil@elsewhere.example"), "#chan")
    chat.joined(chat.who("erin", account="erin"), "#chan")
    chat.left(chat.who("erin"), None, kind="quit")
    chat.joined(chat.who("erin2", account="someone"), "#chan")
    assert await relink_people(db, Settings()) == []
    assert len(await persons(db, NET, "dan", "dan_")) == 2
    assert len(await persons(db, NET, "erin", "erin2")) == 2


async def test_the_same_account_is_the_same_person_whatever_the_nick(
    db: Database, chat: ChatScript
) -> None:
    chat.said(chat.who("frank", account="Frank"), "from my laptop", "#chan")
    chat.said(chat.who("phonefrank", account="frank"), "and my phone", "#chan")
    [link] = await relink_people(db, Settings())
    assert link.reason == "same account frank"
    assert len(await persons(db, NET, "frank", "phonefrank")) == 1


async def test_an_alias_ties_irc_and_discord_identities(db: Database, chat: ChatScript) -> None:
    chat.said("problogger", "hello from IRC", "#chan")
    discord = ChatScript("guild", "discord", sink=chat.sink)
    member = Identity("discord", "guild", "Darren R", user_id="4242")
    discord.said(member, "hello from Discord", "#general")
    discord.said(Identity("discord", "guild", "Someone", user_id="99"), "hi", "#general")
    watched = WatchedMember(
        name="Darren",
        identities=[
            IdentityRef(platform="irc", network=NET, nick="ProBlogger"),
            IdentityRef(platform="discord", user_id="4242"),
        ],
    )
    [link] = await relink_people(db, Settings(watchlist=[watched]))
    assert link.reason == "configured alias Darren"
    irc = await person_id_for(db, NET, "problogger")
    assert irc == await person_id_for(db, "guild", "4242")
    assert irc != await person_id_for(db, "guild", "99")
    assert await relink_people(db, Settings(watchlist=[watched])) == []  # nothing left to do
