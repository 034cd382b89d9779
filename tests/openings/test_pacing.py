"""Relationship pacing: stages follow the give-and-take, and an ask is never suggested early."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from assistant_openings.ledger import Ledger, LedgerLine

from assistant.config import PacingThresholds
from assistant.storage.database import Database
from tests.openings.conftest import Harness


@pytest.fixture
def database(stored_database: Database) -> Database:
    """The openings store's tables on each backend: what is kept must read the same on both."""
    return stored_database


T0 = datetime(2024, 5, 5, 9, 0, tzinfo=UTC)
LIMITS = PacingThresholds()


def ledger(*pattern: tuple[float, bool, bool, bool]) -> Ledger:
    """(hours after T0, to_owner, reply, initiation) per exchange."""
    book = Ledger("problogger")
    for hours, to_owner, reply, initiation in pattern:
        book.add(LedgerLine(T0 + timedelta(hours=hours), to_owner, reply, initiation))
    return book


def test_a_stranger_has_no_exchanges() -> None:
    rel = Ledger("problogger").relationship(LIMITS)
    assert rel.stage == "stranger"
    assert rel.verdict().startswith("too early: 0 exchanges in 0 chats — keep adding value")


def test_one_exchange_is_noticed_and_too_early() -> None:
    rel = ledger((0, False, False, True)).relationship(LIMITS)
    assert rel.stage == "noticed"
    assert rel.verdict().startswith("too early: 1 exchange in 1 chat — keep adding value")
    assert "15 exchanges" in rel.verdict()


def test_replies_both_ways_make_it_exchanged() -> None:
    rel = ledger((0, False, False, True), (0.01, True, True, False), (0.02, False, True, False))
    assert rel.relationship(LIMITS).stage == "exchanged"
    one_way = ledger(*[(i * 0.01, False, False, False) for i in range(5)])
    assert one_way.relationship(LIMITS).stage == "noticed"


def test_rapport_needs_more_than_one_chat() -> None:
    same_chat = ledger(*[(i * 0.01, i % 2 == 0, True, False) for i in range(10)])
    assert same_chat.relationship(LIMITS).stage == "exchanged"
    two_chats = ledger(
        *[(i * 0.01 + (24 if i >= 5 else 0), i % 2 == 0, True, False) for i in range(10)]
    )
    rel = two_chats.relationship(LIMITS)
    assert rel.stage == "rapport" and rel.chats == 2


def test_ready_needs_their_initiations_and_balance() -> None:
    weeks = [(w * 168 + i * 0.01, i % 2 == 0, True, i == 0) for w in range(4) for i in range(4)]
    rel = ledger(*weeks).relationship(LIMITS)
    assert rel.stage == "ready", rel.explain()
    assert rel.their_initiations == 4 and rel.chats == 4
    assert rel.verdict().startswith("ready: 16 exchanges in 4 chats")
    lopsided = [(w * 168 + i * 0.01, i == 0, True, i == 0) for w in range(4) for i in range(4)]
    assert ledger(*lopsided).relationship(LIMITS).stage == "rapport"


def test_thresholds_are_configurable() -> None:
    quick = PacingThresholds(
        ready_exchanges=3,
        ready_chats=1,
        ready_initiations=1,
        rapport_chats=1,
        rapport_exchanges=3,
        exchanged_exchanges=2,
    )
    book = ledger((0, True, False, True), (0.01, False, True, False), (0.02, True, True, False))
    assert book.relationship(quick).stage == "ready"
    assert book.relationship(LIMITS).stage == "exchanged"


async def converse(chat: Harness, week: int) -> None:
    base = week * 7 * 86400
    await chat.say(
        "problogger", "me: how is the show going?", at=base, addressees=("me",), thread=f"w{week}"
    )
    await chat.say(
        "me",
        "problogger: great, 20 episodes",
        at=base + 30,
        addressees=("problogger",),
        thread=f"w{week}",
    )
    await chat.say("problogger", "me: nice!", at=base + 60, addressees=("me",), thread=f"w{week}")
    await chat.say(
        "me", "problogger: thanks", at=base + 90, addressees=("problogger",), thread=f"w{week}"
    )


async def test_the_ledger_counts_exchanges_in_chat_and_the_ask_comes_only_when_ready(
    chat: Harness,
) -> None:
    await chat.say("me", "hi all", at=-10, thread="w0")
    for week in range(4):
        await converse(chat, week)
        rel = chat.engine.relationship("problogger")
        if week < 3:
            assert rel.stage != "ready"
            assert "ready" not in chat.out.kinds
    rel = chat.engine.relationship("problogger")
    assert (rel.exchanges, rel.chats, rel.their_initiations) == (16, 4, 4)
    assert rel.stage == "ready"
    assert chat.out.kinds.count("ready") == 1
    ask = next(o for o in chat.out.openings if o.candidate.kind == "ready")
    assert ask.candidate.angle.startswith("problogger: ready: ")
    for opening in chat.out.openings:
        if opening.candidate.kind != "ready":
            assert "ask" not in opening.candidate.angle.lower().split()


async def test_the_ledger_survives_a_restart(chat: Harness) -> None:
    await chat.say("me", "hi all", at=-10, thread="w0")
    await converse(chat, 0)
    from tests.openings.conftest import build_engine

    again, _ = build_engine(chat.db)
    await again.load()
    assert again.relationship("problogger").exchanges == 4
