"""The plugin host: discovery, config, migrations, the store, and failure isolation."""

from __future__ import annotations

import asyncio
import importlib.metadata
import logging
import re
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import ClassVar

import pluggy
import pytest
from pydantic import Field

from assistant import (
    Database,
    Event,
    JSONValue,
    MessageReceived,
    Plugin,
    PluginConfig,
    PluginContext,
    Settings,
    hookimpl,
)
from assistant.config import ConfigError, parse_settings
from assistant.hooks import call_hook, first_answer, new_plugin_manager
from assistant.hookspecs import hookspec
from assistant.plugins import PluginError, PluginHost, discover_plugins, validate_plugin_settings
from assistant.testing.database import temporary_database
from assistant.testing.factories import ChatScript

WHEN = datetime(2024, 5, 5, 9, 30, tzinfo=UTC)


def said(text: str, nick: str = "alice") -> MessageReceived:
    return ChatScript().said(nick, text, at=WHEN)


async def nowhere(network: str, target: str, text: str) -> None:
    """A send callable for tests that do not look at what is sent."""


@pytest.fixture
async def db() -> AsyncIterator[Database]:
    async with temporary_database() as database:
        yield database


async def started(
    db: Database,
    classes: Mapping[str, type[Plugin]],
    settings: Settings | None = None,
    **kwargs: int,
) -> PluginHost:
    host = PluginHost(settings or Settings(), db, nowhere, plugin_classes=classes, **kwargs)
    await host.start()
    return host


async def eventually(condition: Callable[[], bool], within: float = 5.0) -> None:
    """Wait until ``condition()`` holds, polling, or fail after ``within`` seconds."""
    step = 0.005
    for _ in range(int(within / step)):
        if condition():
            return
        await asyncio.sleep(step)
    raise AssertionError(f"condition not met within {within} s")


class Listener(Plugin):
    """Remembers every event it is given and whether it was started and stopped."""

    def __init__(self, ctx: PluginContext) -> None:
        super().__init__(ctx)
        self.events: list[Event] = []
        self.calls: list[str] = []

    @hookimpl
    async def assistant_startup(self) -> None:
        self.calls.append("startup")

    @hookimpl
    def assistant_shutdown(self) -> None:
        self.calls.append(f"shutdown after {len(self.events)} events")

    @hookimpl
    async def assistant_event(self, event: Event) -> None:
        await asyncio.sleep(0)
        self.events.append(event)


class Raiser(Plugin):
    """Fails on every event and at start-up."""

    @hookimpl
    def assistant_startup(self) -> None:
        raise RuntimeError("cannot start")

    @hookimpl
    async def assistant_event(self, event: Event) -> None:
        raise ValueError(f"cannot handle {type(event).__name__}")


class Stuck(Plugin):
    """Never finishes handling its first event until released."""

    def __init__(self, ctx: PluginContext) -> None:
        super().__init__(ctx)
        self.release = asyncio.Event()
        self.handled = 0

    @hookimpl
    async def assistant_event(self, event: Event) -> None:
        await self.release.wait()
        self.handled += 1


# --- discovery -------------------------------------------------------------------------


def test_built_in_plugins_are_discovered_through_entry_points() -> None:
    from assistant_seen import SeenPlugin

    assert discover_plugins()["seen"] is SeenPlugin


async def test_the_host_loads_entry_points_when_given_no_classes(db: Database) -> None:
    host = PluginHost(Settings(), db, nowhere)
    await host.start()
    try:
        assert "seen" in host.names
        assert host.commands.get("seen") is not None
    finally:
        await host.stop()


def fake_entry_points(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    eps = [
        importlib.metadata.EntryPoint(name, value, "assistant.plugins")
        for name, value in values.items()
    ]

    def entry_points(*, group: str) -> list[importlib.metadata.EntryPoint]:
        assert group == "assistant.plugins"
        return eps

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)


async def test_a_broken_entry_point_is_named_with_a_fix(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_entry_points(monkeypatch, broken="assistant_nosuch:Nothing")
    with pytest.raises(PluginError) as caught:
        await PluginHost(Settings(), db, nowhere).start()
    message = str(caught.value)
    assert "plugin 'broken'" in message and "ModuleNotFoundError" in message
    assert "enabled = false" in message


async def test_an_entry_point_must_load_a_plugin_class(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_entry_points(monkeypatch, odd="assistant.events:Identity")
    with pytest.raises(PluginError, match=r"not an assistant\.Plugin subclass"):
        await PluginHost(Settings(), db, nowhere).start()


async def test_a_disabled_plugin_is_not_even_imported(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_entry_points(monkeypatch, broken="assistant_nosuch:Nothing")
    settings = parse_settings({"plugins": {"broken": {"enabled": False}}})
    host = PluginHost(settings, db, nowhere)
    await host.start()
    assert host.names == []
    await host.stop()


# --- config ----------------------------------------------------------------------------


class Greeter(Plugin):
    """Has a config section with help text."""

    class Config(PluginConfig):
        greeting: str = Field(default="hello", description="what to say to newcomers")
        delay: float = Field(default=1.0, ge=0, description="seconds to wait before greeting")


def test_plugin_config_is_validated_and_given_to_the_plugin() -> None:
    settings = parse_settings({"plugins": {"greeter": {"greeting": "hi", "delay": 2}}})
    configs = validate_plugin_settings(settings, {"greeter": Greeter})
    config = configs["greeter"]
    assert isinstance(config, Greeter.Config)
    assert (config.greeting, config.delay) == ("hi", 2.0)


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        (
            {"delay": -1},
            "plugins.greeter.delay: Input should be greater than or equal to 0 (got -1). "
            "Expected: seconds to wait before greeting.",
        ),
        (
            {"greting": "hi"},
            'plugins.greeter.greting: unknown key (did you mean "greeting"?; '
            "known keys: enabled, greeting, delay)",
        ),
        ({"enabled": "no"}, "plugins.greeter.enabled: must be true or false (got 'no')."),
    ],
)
def test_config_errors_name_the_key_the_problem_and_the_help(
    section: dict[str, object], expected: str
) -> None:
    settings = parse_settings({"plugins": {"greeter": section}})
    with pytest.raises(ConfigError) as caught:
        validate_plugin_settings(settings, {"greeter": Greeter})
    assert caught.value.problems == [f"<config>: {expected}"]


def test_a_section_for_an_unknown_plugin_is_an_error() -> None:
    settings = parse_settings({"plugins": {"greetr": {}}})
    with pytest.raises(ConfigError) as caught:
        validate_plugin_settings(settings, {"greeter": Greeter})
    [problem] = caught.value.problems
    assert problem.startswith("<config>: plugins.greetr: no plugin named 'greetr'")
    assert 'did you mean "greeter"?' in problem


def test_a_plugin_without_config_accepts_only_enabled() -> None:
    settings = parse_settings({"plugins": {"listener": {"enabled": True, "x": 1}}})
    with pytest.raises(ConfigError, match=r"plugins\.listener\.x: unknown key"):
        validate_plugin_settings(settings, {"listener": Listener})


async def test_a_disabled_plugin_is_not_built(db: Database) -> None:
    settings = parse_settings({"plugins": {"listener": {"enabled": False}}})
    host = await started(db, {"listener": Listener, "greeter": Greeter}, settings)
    assert host.names == ["greeter"]
    await host.stop()


async def test_config_fields_need_help_text(db: Database) -> None:
    class Terse(Plugin):
        class Config(PluginConfig):
            level: int = 1

    with pytest.raises(PluginError, match="'level' needs help text"):
        await started(db, {"terse": Terse})


# --- context and lifecycle -------------------------------------------------------------


async def test_a_plugin_is_built_with_its_context(db: Database) -> None:
    settings = parse_settings({"plugins": {"greeter": {"greeting": "hi"}}})
    host = await started(db, {"greeter": Greeter}, settings)
    ctx = host.instance("greeter").ctx
    assert ctx.name == "greeter"
    assert ctx.config_as(Greeter.Config).greeting == "hi"
    assert ctx.db is db and ctx.settings is settings
    assert ctx.log.name == "assistant.plugins.greeter"
    assert ctx.store.plugin == "greeter"
    await host.stop()


async def test_startup_and_shutdown_are_called_and_queued_events_delivered_first(
    db: Database,
) -> None:
    host = await started(db, {"listener": Listener})
    listener = host.instance("listener")
    assert isinstance(listener, Listener)
    assert listener.calls == ["startup"]
    for i in range(50):
        host.publish(said(f"line {i}"))
    await host.stop()
    assert listener.calls == ["startup", "shutdown after 50 events"]
    host.publish(said("after stop"))
    assert len(listener.events) == 50


async def test_publishing_before_start_is_a_bug(db: Database) -> None:
    host = PluginHost(Settings(), db, nowhere, plugin_classes={"listener": Listener})
    with pytest.raises(RuntimeError, match="before start"):
        host.publish(said("too early"))


async def test_a_plugin_constructor_that_raises_stops_start_with_its_name(db: Database) -> None:
    class Fragile(Plugin):
        def __init__(self, ctx: PluginContext) -> None:
            raise KeyError("missing")

    with pytest.raises(PluginError, match="plugin 'fragile': could not be built: KeyError"):
        await started(db, {"fragile": Fragile})


async def test_a_hook_method_without_the_marker_is_an_error(db: Database) -> None:
    class Forgetful(Plugin):
        async def assistant_event(self, event: Event) -> None:
            pass

    with pytest.raises(PluginError, match="assistant_event is not marked @hookimpl"):
        await started(db, {"forgetful": Forgetful})


async def test_a_misspelt_hook_is_an_error(db: Database) -> None:
    class Typo(Plugin):
        @hookimpl
        async def assistant_evnt(self, event: Event) -> None:
            pass

    with pytest.raises(PluginError, match=r"plugin 'typo'.*assistant_evnt"):
        await started(db, {"typo": Typo})


# --- failure isolation and order -------------------------------------------------------


async def test_a_raising_plugin_is_logged_with_its_name_counted_and_others_go_on(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    host = await started(db, {"raiser": Raiser, "listener": Listener})
    listener = host.instance("listener")
    assert isinstance(listener, Listener)
    events = [said(f"line {i}") for i in range(3)]
    for event in events:
        host.publish(event)
    await eventually(lambda: host.errors["raiser"] == 4)
    await eventually(lambda: len(listener.events) == 3)
    assert listener.events == events
    assert host.errors == Counter({"raiser": 4})
    records = [r for r in caplog.records if r.name == "assistant.plugins.raiser"]
    assert len(records) == 4
    assert "plugin raiser: assistant_startup raised" in records[0].getMessage()
    assert "plugin raiser: assistant_event raised" in records[1].getMessage()
    assert all(r.exc_info is not None for r in records)
    await host.stop()


async def test_a_slow_plugin_delays_only_itself(db: Database) -> None:
    host = await started(db, {"stuck": Stuck, "listener": Listener})
    stuck, listener = host.instance("stuck"), host.instance("listener")
    assert isinstance(stuck, Stuck) and isinstance(listener, Listener)
    for i in range(100):
        host.publish(said(f"line {i}"))
    await eventually(lambda: len(listener.events) == 100, within=2)
    assert stuck.handled == 0
    stuck.release.set()
    await eventually(lambda: stuck.handled == 100)
    await host.stop()


async def test_a_full_queue_sheds_chat_events_and_counts_instead_of_blocking(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    host = await started(db, {"stuck": Stuck}, queue_size=2)
    stuck = host.instance("stuck")
    assert isinstance(stuck, Stuck)
    for i in range(5):
        host.publish(said(f"line {i}"))
    assert host.shed == Counter({"stuck": 3})
    assert stuck.ctx.delivery.missed == 3 and stuck.ctx.delivery.behind
    assert stuck.ctx.delivery.missed_types == Counter({"MessageReceived": 3})
    stuck.release.set()
    await host.stop()
    assert stuck.handled == 2


async def test_stop_gives_up_on_a_stuck_plugin_after_the_timeout(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    host = await started(db, {"stuck": Stuck})
    for i in range(3):
        host.publish(said(f"line {i}"))
    await asyncio.wait_for(host.stop(timeout=0.05), 2)
    assert "2 event(s) not delivered" in caplog.text


# --- migrations ------------------------------------------------------------------------


class Notes(Plugin):
    """Keeps notes in its own table."""

    migrations = (
        "CREATE TABLE notes_items (id INTEGER PRIMARY KEY, text TEXT NOT NULL)",
        "CREATE INDEX notes_items_text ON notes_items (text)",
    )


async def test_migrations_may_fill_and_trigger_on_their_own_tables(db: Database) -> None:
    class Tidy(Plugin):
        migrations = (
            "CREATE TABLE notes_items (id INTEGER PRIMARY KEY, text TEXT NOT NULL);"
            "CREATE TABLE notes_log (id INTEGER);"
            "INSERT INTO notes_items (text) VALUES ('first');"
            "UPDATE notes_items SET text = 'First';"
            "CREATE TRIGGER notes_trace AFTER UPDATE OF text ON notes_items "
            "BEGIN INSERT INTO notes_log (id) VALUES (new.id); DELETE FROM notes_log; END;",
        )

    host = await started(db, {"notes": Tidy})
    assert [row[0] for row in await db.fetchall("SELECT text FROM notes_items")] == ["First"]
    await host.stop()


async def test_migrations_are_applied_once(db: Database) -> None:
    for _ in range(2):
        host = await started(db, {"notes": Notes})
        await db.execute("INSERT INTO notes_items (text) VALUES (?)", ("remember",))
        await host.stop()
    rows = await db.fetchall("SELECT text FROM notes_items")
    assert [row[0] for row in rows] == ["remember", "remember"]


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE TABLE items (id INTEGER)",
        'CREATE TABLE IF NOT EXISTS main."items" (id INTEGER)',
        "create index notes_ix on messages (text)",
        "DROP TABLE messages",
        "CREATE TRIGGER notes_t AFTER INSERT ON messages BEGIN SELECT 1; END",
        "CREATE TRIGGER notes_t AFTER UPDATE OF text ON notes_fine "
        "BEGIN DELETE FROM messages WHERE id = new.id; END",
        "INSERT OR IGNORE INTO plugin_kv (plugin, key, value) VALUES ('x', 'y', '1')",
        "UPDATE persons SET notable = 1",
    ],
)
async def test_migrations_must_prefix_what_they_create(db: Database, sql: str) -> None:
    class Sloppy(Plugin):
        migrations = ("CREATE TABLE notes_fine (id INTEGER)", sql)

    with pytest.raises(PluginError, match=r"plugin 'notes': migration 2 uses '(?!notes_)\w+'"):
        await started(db, {"notes": Sloppy})
    assert await db.fetchone("SELECT name FROM sqlite_master WHERE name = 'notes_fine'") is None


class Journal(Plugin):
    """Keeps a journal in its own table, on either backend."""

    migrations: ClassVar = {
        "sqlite": ("CREATE TABLE journal_lines (id INTEGER PRIMARY KEY, text TEXT NOT NULL)",),
        "postgresql": (
            "CREATE TABLE journal_lines "
            "(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, text TEXT NOT NULL)",
        ),
    }


async def test_a_plugin_migrates_in_the_dialect_of_the_backend(
    open_database: Callable[..., Awaitable[Database]],
) -> None:
    async with await open_database() as db:
        for _ in range(2):
            host = await started(db, {"journal": Journal, "notes": Plain})
            await db.execute("INSERT INTO journal_lines (text) VALUES (?)", ("dear diary",))
            await host.stop()
        rows = await db.fetchall("SELECT id, text FROM journal_lines ORDER BY id")
        assert [tuple(row) for row in rows] == [(1, "dear diary"), (2, "dear diary")]


class Plain(Plugin):
    """Has no tables of its own: runs on every backend."""


async def test_a_plugin_without_postgresql_migrations_stops_start_up_with_a_fix(
    postgres_dsn: str,
) -> None:
    async with await Database.open_postgresql(postgres_dsn) as db:
        host = PluginHost(
            Settings(), db, nowhere, plugin_classes={"journal": Journal, "notes": Notes}
        )
        with pytest.raises(PluginError) as raised:
            await host.start()
        assert str(raised.value) == (
            "plugin 'notes': plugin:notes has no postgresql migrations (only sqlite); write "
            "its migrations per dialect, version for version "
            "(migrations = {'sqlite': [...], 'postgresql': [...]}), "
            "or set `enabled = false` in [plugins.notes]"
        )
        # Refused before anything was migrated, the plugin that could run included.
        rows = await db.fetchall("SELECT DISTINCT namespace FROM schema_migrations")
        assert [row[0] for row in rows] == ["core"]


@pytest.mark.parametrize(
    ("migrations", "problem"),
    [
        ({"sqlite": ("CREATE TABLE notes_a (x INTEGER)",), "mysql": ()}, "unknown dialect mysql"),
        (
            {"sqlite": ("CREATE TABLE notes_a (x INTEGER)",), "postgresql": ()},
            "the same versions, one script each (0 for postgresql, 1 for sqlite)",
        ),
        (
            {"sqlite": ("CREATE TABLE notes_a (x INTEGER)",), "postgresql": ("DROP TABLE x",)},
            "migration 1 (postgresql) uses 'x'",
        ),
    ],
)
async def test_migrations_per_dialect_are_checked_on_every_dialect(
    db: Database, migrations: dict[str, tuple[str, ...]], problem: str
) -> None:
    class Mixed(Plugin):
        pass

    Mixed.migrations = migrations
    with pytest.raises(PluginError, match=re.escape(problem)):
        await started(db, {"notes": Mixed})


# --- key-value store -------------------------------------------------------------------


async def test_the_store_round_trips_json_and_is_scoped_per_plugin(db: Database) -> None:
    host = await started(db, {"listener": Listener, "greeter": Greeter})
    mine, theirs = host.instance("listener").ctx.store, host.instance("greeter").ctx.store
    value: JSONValue = {
        "count": 3,
        "nicks": ["alice", "bob"],
        "ratio": 0.5,
        "ok": True,
        "none": None,
    }
    await mine.set("stats", value)
    await mine.set("stats:old", "ünïcode “quotes”")
    await theirs.set("stats", 1)
    assert await mine.get("stats") == value
    assert await theirs.get("stats") == 1
    assert await mine.keys() == ["stats", "stats:old"]
    assert await mine.keys("stats:") == ["stats:old"]
    assert await mine.keys("%") == []
    await mine.set("stats", "replaced")
    assert await mine.get("stats") == "replaced"
    await mine.delete("stats")
    await mine.delete("never-set")
    assert await mine.get("stats") is None
    assert await mine.get("stats", default=[]) == []
    assert await theirs.get("stats") == 1
    await host.stop()


async def test_the_store_refuses_what_json_cannot_hold(db: Database) -> None:
    host = await started(db, {"listener": Listener})
    store = host.instance("listener").ctx.store
    with pytest.raises(TypeError):
        await store.set("when", WHEN)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Out of range float"):
        await store.set("nan", float("nan"))
    await host.stop()


async def test_the_store_survives_a_restart(db: Database) -> None:
    host = await started(db, {"listener": Listener})
    await host.instance("listener").ctx.store.set("k", [1, 2])
    await host.stop()
    host = await started(db, {"listener": Listener})
    assert await host.instance("listener").ctx.store.get("k") == [1, 2]
    await host.stop()


# --- the call helpers ------------------------------------------------------------------


class Questions:
    """Hook specifications used only to test the call helpers."""

    @hookspec
    def assistant_answer(self, question: str) -> Awaitable[str | None] | str | None:
        """Answer a question (test-only hook)."""


class Answer:
    def __init__(
        self,
        answer: str | None = None,
        *,
        fail: bool = False,
        wait: float = 0,
        meet: asyncio.Barrier | None = None,
    ) -> None:
        self.answer, self.fail, self.wait, self.called = answer, fail, wait, False
        self.meet = meet  # answers only once every party to the barrier is running too

    @hookimpl
    async def assistant_answer(self, question: str) -> str | None:
        self.called = True
        await asyncio.sleep(self.wait)
        if self.meet is not None:
            await self.meet.wait()
        if self.fail:
            raise RuntimeError(question)
        return self.answer


def manager(**plugins: object) -> pluggy.PluginManager:
    pm = new_plugin_manager()
    pm.add_hookspecs(Questions)
    for name, plugin in reversed(plugins.items()):  # pluggy calls the last registered first
        pm.register(plugin, name=name)
    return pm


async def test_call_hook_runs_all_concurrently_and_names_each_result() -> None:
    # a and c each wait until the other is running: one after the other, a would time out.
    meet = asyncio.Barrier(2)
    pm = manager(a=Answer("A", meet=meet), b=Answer(fail=True), c=Answer("C", meet=meet))
    errors: Counter[str] = Counter()
    results = await call_hook(
        pm, "assistant_answer", {"question": "q"}, errors=errors, time_limit=30
    )
    assert [(r.plugin, r.value, type(r.error)) for r in results] == [
        ("a", "A", type(None)),
        ("b", None, RuntimeError),
        ("c", "C", type(None)),
    ]
    assert errors == Counter({"b": 1})


async def test_call_hook_awaits_sync_and_async_implementations_alike() -> None:
    class Sync:
        @hookimpl
        def assistant_answer(self, question: str) -> str:
            return question.upper()

    pm = manager(sync=Sync(), coro=Answer("async"))
    results = await call_hook(pm, "assistant_answer", {"question": "q"})
    assert [r.value for r in results] == ["Q", "async"]


async def test_call_hook_gives_a_slow_implementation_a_time_limit(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pm = manager(slow=Answer("late", wait=600), quick=Answer("now"))
    errors: Counter[str] = Counter()
    results = await call_hook(
        pm, "assistant_answer", {"question": "q"}, errors=errors, time_limit=0.5
    )
    assert isinstance(results[0].error, TimeoutError) and results[1].value == "now"
    assert errors == Counter({"slow": 1})
    assert "plugin slow: assistant_answer did not finish within 0.5 s" in caplog.text


async def test_call_hook_refuses_unknown_hooks_and_wrong_arguments() -> None:
    pm = manager()
    with pytest.raises(ValueError, match="not a hook"):
        await call_hook(pm, "assistant_nosuch")
    with pytest.raises(TypeError, match="takes \\['question'\\]"):
        await call_hook(pm, "assistant_answer", {"q": 1})


async def test_first_answer_wins_in_order_skipping_none_and_failures() -> None:
    silent, failing, first, second = Answer(None), Answer(fail=True), Answer("1"), Answer("2")
    pm = manager(silent=silent, failing=failing, first=first, second=second)
    errors: Counter[str] = Counter()
    result = await first_answer(pm, "assistant_answer", {"question": "q"}, errors=errors)
    assert result is not None and (result.plugin, result.value) == ("first", "1")
    assert silent.called and failing.called and not second.called
    assert errors == Counter({"failing": 1})
    assert (
        await first_answer(manager(x=Answer(None)), "assistant_answer", {"question": "q"}) is None
    )
