"""The Assistant's lifecycle with a fake connector: record first, fan out, survive failures."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from assistant import (
    CommandContext,
    Event,
    MessageAnalyzed,
    MessageReceived,
    Plugin,
    PluginContext,
    command,
    hookimpl,
)
from assistant.app import Assistant
from assistant.config import parse_settings
from assistant.testing.fake import FakeConnector


class Witness(Plugin):
    """Looks in the database for each message it is told about."""

    def __init__(self, ctx: PluginContext) -> None:
        super().__init__(ctx)
        self.found: list[str | None] = []

    @hookimpl
    async def assistant_event(self, event: Event) -> None:
        if isinstance(event, MessageReceived) and event.channel is not None:
            row = await self.ctx.db.fetchone(
                "SELECT text FROM messages WHERE text = ?", (event.text,)
            )
            self.found.append(row["text"] if row else None)


class Exploder(Plugin):
    """Fails on every event."""

    @hookimpl
    async def assistant_event(self, event: Event) -> None:
        raise RuntimeError("boom")


@asynccontextmanager
async def running(
    tmp_path: Path, connector: FakeConnector, *, analysis: bool = False, **plugins: type[Plugin]
) -> AsyncIterator[Assistant]:
    # Analysis starts a spaCy worker process (seconds); only the tests about it turn it on.
    settings = parse_settings(
        {
            "storage": {"path": str(tmp_path / "p.sqlite3")},
            "analysis": {"enabled": analysis, "batch_wait": 0.01},
        }
    )
    assistant = Assistant(
        settings,
        connectors=[connector],
        plugin_classes={"seen": _seen_plugin(), **plugins},
        reconnect_delay=0.01,
    )
    await assistant.start()
    try:
        await connector.wait_connected()
        yield assistant
    finally:
        await assistant.stop()


def _seen_plugin() -> type[Plugin]:
    from assistant_seen import SeenPlugin

    return SeenPlugin


async def wait_until(condition: object, timeout: float = 5.0) -> None:
    async def poll() -> None:
        # A plain attribute has no event to wait on, so poll it (bounded by wait_for).
        while not condition():  # type: ignore[operator]  # noqa: ASYNC110
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout)


async def test_plugins_see_an_event_only_after_it_is_recorded(tmp_path: Path) -> None:
    fake = FakeConnector()
    async with running(tmp_path, fake, witness=Witness) as assistant:
        for i in range(20):
            await fake.say("alice", f"line {i}")
        witness = assistant.plugins.instance("witness")
        assert isinstance(witness, Witness)
        await wait_until(lambda: len(witness.found) == 20)
        assert witness.found == [f"line {i}" for i in range(20)]


async def test_a_raising_plugin_is_counted_and_the_bot_goes_on(tmp_path: Path) -> None:
    fake = FakeConnector()
    async with running(tmp_path, fake, exploder=Exploder, witness=Witness) as assistant:
        await fake.say("alice", "still recorded")
        await fake.say("alice", "!seen alice")
        await fake.wait_sent(1)
        witness = assistant.plugins.instance("witness")
        assert isinstance(witness, Witness)
        await wait_until(lambda: len(witness.found) == 2)
        await wait_until(lambda: assistant.plugins.errors["exploder"] >= 2)
        assert "still recorded" in witness.found
        assert "alice" in fake.sent[0].text


async def test_a_dead_connector_is_restarted_and_the_gap_recorded(tmp_path: Path) -> None:
    fake = FakeConnector()
    async with running(tmp_path, fake) as assistant:
        await fake.join("alice")
        fake.fail()
        await wait_until(lambda: fake.runs == 2)
        await fake.wait_connected()
        await fake.say("alice", "back again")
        row = await assistant.db.fetchone("SELECT count(*) AS n FROM connection_gaps")
        assert row is not None and row["n"] >= 1
        interval = await assistant.db.fetchone(
            "SELECT left_kind FROM presence_intervals ORDER BY rowid LIMIT 1"
        )
        assert interval is not None and interval["left_kind"] == "disconnected"


async def test_stop_flushes_everything_to_disk(tmp_path: Path) -> None:
    fake = FakeConnector()
    async with running(tmp_path, fake):
        for i in range(1000):
            await fake.say("bob", f"message {i}")
    from assistant.storage.database import Database

    async with await Database.open(tmp_path / "p.sqlite3") as db:
        row = await db.fetchone("SELECT count(*) AS n FROM messages")
        assert row is not None and row["n"] == 1000


class SlowCounter(Plugin):
    """Takes its time over each event, and reports how many it has handled."""

    def __init__(self, ctx: PluginContext) -> None:
        super().__init__(ctx)
        self.handled = 0

    @hookimpl
    async def assistant_event(self, event: Event) -> None:
        await asyncio.sleep(0.02)
        self.handled += 1

    @command("handled", example="!handled")
    async def report(self, cmd: CommandContext) -> None:
        """Say how many events were handled."""
        await cmd.reply(str(self.handled))


async def test_a_command_answers_after_its_plugin_caught_up(tmp_path: Path) -> None:
    fake = FakeConnector()
    async with running(tmp_path, fake, counter=SlowCounter):
        for _ in range(5):
            await fake.join("alice")
        await fake.say("bob", "!handled")
        [reply] = await fake.wait_sent(1)
        # Connected + 5 joins + the command's own message were all handled first.
        assert reply.text == "7"


class Blocker(Plugin):
    """Blocks the event loop, as a buggy plugin might."""

    @hookimpl
    def assistant_event(self, event: Event) -> None:
        if isinstance(event, MessageReceived):
            time.sleep(0.4)  # the bug Presence must report


async def test_a_blocked_event_loop_is_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeConnector()
    with caplog.at_level(logging.WARNING, logger="assistant.app"):
        async with running(tmp_path, fake, blocker=Blocker):
            await fake.say("alice", "hello")
            await asyncio.sleep(0.6)
    assert any("event loop was blocked" in r.getMessage() for r in caplog.records)


class Listener(Plugin):
    """Keeps every analysis it is given, and whether it was stored before it arrived."""

    def __init__(self, ctx: PluginContext) -> None:
        super().__init__(ctx)
        self.analyses: list[MessageAnalyzed] = []
        self.stored: list[bool] = []

    @hookimpl
    async def assistant_event(self, event: Event) -> None:
        if isinstance(event, MessageAnalyzed):
            self.analyses.append(event)
            row = await self.ctx.db.fetchone(
                "SELECT 1 FROM message_analyses WHERE key = ?", (event.message_id,)
            )
            self.stored.append(row is not None)


async def test_analyses_are_stored_and_published_to_plugins(tmp_path: Path) -> None:
    fake = FakeConnector()
    async with running(tmp_path, fake, analysis=True, listener=Listener) as assistant:
        await fake.say("alice", "anyone interviewing over skype this week?")
        await fake.say("bob", "alice: yes, every sunday")
        listener = assistant.plugins.instance("listener")
        assert isinstance(listener, Listener)
        # Each analysis is checked against the database before it is noted as stored.
        await wait_until(lambda: len(listener.stored) == 2, timeout=60)
        question, answer = listener.analyses
        assert question.is_question and question.reply_to == ()
        assert answer.addressees == ("alice",)
        assert answer.reply_to == (question.message_id,)
        assert listener.stored == [True, True]


async def test_stopping_while_the_analysis_worker_loads_abandons_the_load(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeConnector()
    with caplog.at_level(logging.INFO, logger="assistant.nlp"):
        async with running(tmp_path, fake, analysis=True) as assistant:
            await fake.say("alice", "a line that waits for the worker")
            assert assistant.analyzer is not None
    # Stopping did not wait seconds for spaCy to load only to end it: the worker was ended
    # while it loaded, and no process is left behind.
    assert [r.getMessage() for r in caplog.records if r.getMessage().endswith(" ready")] == []
    assert assistant.analyzer is None
    # Told to stop or killed, the worker processes exit (reaped, not left running).
    await wait_until(lambda: multiprocessing.active_children() == [], timeout=60)
