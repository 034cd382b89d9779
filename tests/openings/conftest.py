"""A harness driving the openings engine with a real database and a replay clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from assistant_openings import DETECTORS, OpeningsConfig
from assistant_openings.engine import OpeningsEngine
from assistant_openings.notability import build_notability
from assistant_openings.store import MIGRATIONS, MIGRATIONS_BY_DIALECT, OpeningsStore
from spacy.language import Language

from assistant.clock import ReplayClock
from assistant.config import parse_settings
from assistant.events import (
    Identity,
    MemberJoined,
    MessageAnalyzed,
    MessageReceived,
    analysis_key,
)
from assistant.nlp.analysis import analysis_of
from assistant.nlp.pipeline import load_pipeline
from assistant.openings.interests import InterestMatcher
from assistant.openings.opening import Opening
from assistant.recorder import Recorder
from assistant.storage.database import Database
from assistant.testing.database import temporary_database

START = datetime(2024, 5, 5, 9, 30, tzinfo=UTC)
NET = "libera"
CHAN = "#bloggers"

BASE: dict[str, Any] = {
    "interests": ["podcasting", "Skype interview"],
    "owner": {"name": "Me", "identities": [{"platform": "irc", "account": "me"}]},
    "watchlist": [
        {
            "name": "problogger",
            "identities": [{"platform": "irc", "nick": "problogger"}],
            "priority": 5,
            "notes": "runs ProBlogger",
        },
        {"name": "casey", "identities": [{"platform": "irc", "nick": "casey"}], "priority": 2},
    ],
}

# The [plugins.openings] of every test: shares are told at once and the volume budget is
# off, so each test sees its one rule; test_conversations.py checks both with their defaults.
OPENINGS: dict[str, Any] = {
    "learn_interests": 2,
    "min_score": 0.3,
    "feedback_wait": 0,
    "lines_per_opening": 0,
}


class Collected:
    """A notifier keeping what it was given."""

    name = "list"

    def __init__(self) -> None:
        self.openings: list[Opening] = []

    async def notify(self, opening: Opening) -> None:
        self.openings.append(opening)

    @property
    def kinds(self) -> list[str]:
        return [o.candidate.kind for o in self.openings]


class Harness:
    """Say lines (with their analysis), join, and let time pass, on the replay clock.

    ``say`` takes the analysis as given (a unit test of the engine's seams); ``speak`` has
    the real spaCy pipeline analyse the text (question, form, acts, addressees, topics,
    links), leaving only the reply links and thread to the test, as the linker would.
    """

    def __init__(
        self, db: Database, engine: OpeningsEngine, out: Collected, nlp: Language | None = None
    ) -> None:
        self.db = db
        self.engine = engine
        self.out = out
        self.recorder = Recorder(db)
        self.now = START
        self.nlp = nlp

    async def speak(
        self,
        nick: str,
        text: str,
        *,
        at: float,
        reply_to: Sequence[str] = (),
        thread: str = "t1",
    ) -> str:
        """Say ``text`` as analysed by the real pipeline."""
        assert self.nlp is not None, "use the `talk` fixture for real analysis"
        found = analysis_of(self.nlp(text))
        return await self.say(
            nick,
            text,
            at=at,
            question=found.is_question,
            addressees=found.addressees,
            acts=found.acts,
            links=found.links,
            topics=found.topics,
            reply_to=reply_to,
            thread=thread,
        )

    def at(self, seconds: float) -> datetime:
        return START + timedelta(seconds=seconds)

    def who(self, nick: str) -> Identity:
        return Identity("irc", NET, nick, account="me" if nick == "me" else None)

    async def say(
        self,
        nick: str,
        text: str,
        *,
        at: float,
        question: bool = False,
        addressees: Sequence[str] = (),
        acts: Sequence[str] = (),
        links: Sequence[str] = (),
        topics: Sequence[str] = (),
        reply_to: Sequence[str] = (),
        thread: str = "t1",
        channel: str = CHAN,
    ) -> str:
        message = MessageReceived(
            platform="irc",
            network=NET,
            timestamp=self.at(at),
            channel=channel,
            actor=self.who(nick),
            text=text,
        )
        self.recorder.record(message)
        await self.engine.handle(message)
        key = analysis_key(message)
        await self.engine.handle(
            MessageAnalyzed(
                platform="irc",
                network=NET,
                timestamp=self.at(at),
                channel=channel,
                message_id=key,
                message=message,
                topics=tuple(topics),
                is_question=question,
                addressees=tuple(addressees),
                links=tuple(links),
                acts=tuple(acts),
                reply_to=tuple(reply_to),
                thread=thread,
            )
        )
        return key

    async def join(self, nick: str, *, at: float, channel: str = CHAN) -> None:
        event = MemberJoined(
            platform="irc",
            network=NET,
            timestamp=self.at(at),
            channel=channel,
            actor=self.who(nick),
        )
        self.recorder.record(event)
        await self.engine.handle(event)

    async def wait(self, *, until: float) -> None:
        self.engine.clock.observe(self.at(until))
        await self.engine.tick()


def build_engine(
    db: Database, overrides: dict[str, Any] | None = None
) -> tuple[OpeningsEngine, Collected]:
    """The engine with ``BASE`` settings, ``overrides["openings"]`` merged into ``OPENINGS``."""
    rest = dict(overrides or {})
    openings = {**OPENINGS, **rest.pop("openings", {})}
    settings = parse_settings({**BASE, **rest, "plugins": {"openings": openings}})
    out = Collected()
    engine = OpeningsEngine(
        OpeningsConfig.model_validate(settings.plugins["openings"]),
        settings.owner,
        clock=ReplayClock(START),
        notability=build_notability(settings),
        interests=InterestMatcher(settings.interests),
        store=OpeningsStore(db, settings.owner.history_key),
        notifiers=[out],
        detectors=DETECTORS,
    )
    return engine, out


@pytest.fixture
async def database() -> AsyncIterator[Database]:
    async with temporary_database() as db:
        await db.apply_migrations("plugin:openings", list(MIGRATIONS))
        yield db


@pytest.fixture
async def stored_database(
    open_database: Callable[..., Awaitable[Database]],
) -> AsyncIterator[Database]:
    """A migrated database on each backend (SQLite, PostgreSQL), for the store's tests."""
    async with await open_database() as db:
        await db.apply_migrations("plugin:openings", MIGRATIONS_BY_DIALECT)
        yield db


@pytest.fixture
async def chat(database: Database) -> Harness:
    engine, out = build_engine(database)
    return Harness(database, engine, out)


NICKS = ("me", "problogger", "casey", "bob", "dana", "erin")


@pytest.fixture(scope="session")
def pipeline() -> Language:
    """The real pipeline, knowing the test channel's nicks."""
    return load_pipeline(roster=NICKS)


def talk_with(database: Database, nlp: Language, openings: dict[str, Any]) -> Harness:
    """A harness analysing with the real pipeline, with these ``[plugins.openings]`` settings."""
    engine, out = build_engine(database, {"openings": openings})
    return Harness(database, engine, out, nlp)


@pytest.fixture
async def talk(database: Database, pipeline: Language) -> Harness:
    """A harness analysing with the real pipeline, with today's defaults for shares and volume."""
    return talk_with(database, pipeline, {"feedback_wait": 600, "lines_per_opening": 200})
