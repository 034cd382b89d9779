"""Plugins add summary sections through the hook; the built-in plugin delivers on SessionEnded."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import assistant_summaries as summaries_plugin
import pytest
from assistant_summaries import SummariesPlugin

from assistant import HookResult, KeyValueStore, Plugin, PluginContext, SessionEnded, hookimpl
from assistant.plugins import PluginHost
from assistant.summaries.compose import compose_summary
from assistant.summaries.json import load_summary
from assistant.summaries.markdown import render_markdown
from assistant.summaries.model import Summary, SummarySection

from .conftest import CHANNEL, END, NET, Scene, settings


class ReadingListPlugin(Plugin):
    """Adds a section listing what to read, from the summary it is given."""

    @hookimpl
    async def assistant_summary_sections(self, summary: Summary) -> list[SummarySection]:
        urls = tuple(link.url for link in summary.links)
        return [SummarySection("Reading list", urls, text=f"From {summary.session.channel}")]


class BrokenPlugin(Plugin):
    """Returns something that is not a section list."""

    @hookimpl
    def assistant_summary_sections(self, summary: Summary) -> object:
        return "not sections"


async def _no_send(network: str, target: str, text: str) -> None:
    """Nothing is sent."""


async def test_a_plugin_adds_a_section_and_a_broken_one_is_skipped(scene: Scene) -> None:
    config = settings()
    host = PluginHost(
        config,
        scene.db,
        _no_send,
        plugin_classes={"reading": ReadingListPlugin, "broken": BrokenPlugin},
    )
    await host.start()
    try:
        summary = await compose_summary(scene.db, scene.session_id, config, call=host.call)
    finally:
        await host.stop()
    assert [(s.title, s.plugin) for s in summary.sections] == [("Reading list", "reading")]
    assert summary.sections[0].items == ("https://problogger.example/skype-interviews",)
    assert "## Reading list\n\nFrom \\#bloggers" not in render_markdown(summary)
    assert "## Reading list\n\nFrom #bloggers\n\n- https://problogger" in render_markdown(summary)


async def test_the_built_in_plugin_delivers_when_a_session_ends(
    scene: Scene, tmp_path: Path
) -> None:
    config = settings(folder=str(tmp_path / "summaries"), deliver_to_owner=True)
    sent: list[tuple[str, str, str]] = []

    async def send(network: str, target: str, text: str) -> None:
        sent.append((network, target, text))

    host = PluginHost(config, scene.db, send, plugin_classes={"summaries": SummariesPlugin})
    await host.start()
    host.publish(
        SessionEnded(
            platform="irc",
            network=NET,
            timestamp=END,
            channel=CHANNEL,
            session_id=scene.session_id,
            name="Aussie bloggers",
        )
    )
    await host.stop()  # delivers queued events, then waits for the summary being written
    files = sorted(p.suffix for p in (tmp_path / "summaries").iterdir())
    assert files == [".html", ".json", ".md"]
    assert sent and {target for _, target, _ in sent} == {"ann"}
    assert sent[0][2].startswith("Summary of Aussie bloggers (#bloggers, Sun 07 Jan 19:30)")
    assert host.errors == {}


async def test_the_plugin_remembers_only_the_last_deliveries(
    scene: Scene, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A bot that runs for months delivers thousands of summaries: it keeps what the last
    # few did, not all of them (the soak's simulated week alone ends 284 sessions).
    monkeypatch.setattr(summaries_plugin, "_KEEP_DELIVERED", 2)
    config = settings(folder=str(tmp_path / "summaries"))
    host = PluginHost(config, scene.db, _no_send, plugin_classes={"summaries": SummariesPlugin})
    await host.start()
    for _ in range(4):
        host.publish(
            SessionEnded(
                platform="irc",
                network=NET,
                timestamp=END,
                channel=CHANNEL,
                session_id=scene.session_id,
                name="Aussie bloggers",
            )
        )
    plugin = host.instance("summaries")
    assert isinstance(plugin, SummariesPlugin)
    await host.stop()
    assert len(plugin.delivered) == 2
    assert all(line.startswith("wrote ") for done in plugin.delivered for line in done)
    assert host.errors == {}


@dataclass(frozen=True, slots=True)
class ContextWithHooks(PluginContext):
    """A plugin context that also carries the host's hook helper (``PluginHost.call``)."""

    call_hook: Callable[..., Awaitable[list[HookResult]]] | None = None


async def test_with_the_hosts_hook_helper_the_plugin_adds_other_plugins_sections(
    scene: Scene, tmp_path: Path
) -> None:
    config = settings(folder=str(tmp_path / "out"), formats=["json"])
    host = PluginHost(config, scene.db, _no_send, plugin_classes={"reading": ReadingListPlugin})
    await host.start()
    try:
        ctx = ContextWithHooks(
            name="summaries",
            config=SummariesPlugin.Config(),
            store=KeyValueStore(scene.db, "summaries"),
            db=scene.db,
            log=logging.getLogger("test"),
            send=_no_send,
            settings=config,
            call_hook=host.call,
        )
        plugin = SummariesPlugin(ctx)
        plugin.assistant_event(
            SessionEnded(
                platform="irc",
                network=NET,
                timestamp=END,
                channel=CHANNEL,
                session_id=scene.session_id,
            )
        )
        await plugin.wait_idle()
    finally:
        await host.stop()
    (written,) = await asyncio.to_thread(lambda: list((tmp_path / "out").iterdir()))
    summary = load_summary(await asyncio.to_thread(written.read_text, encoding="utf-8"))
    assert [(s.title, s.plugin) for s in summary.sections] == [("Reading list", "reading")]
