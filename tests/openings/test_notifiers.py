"""Openings reach the owner privately: a direct message on IRC, a webhook, the console."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from assistant_openings import OpeningsPlugin
from assistant_openings.notifiers import ConsoleNotifier, WebhookError, WebhookNotifier
from rich.console import Console

from assistant.app import Assistant
from assistant.config import parse_settings
from assistant.openings.notable import Notable
from assistant.openings.opening import Candidate, Opening, ScoreParts
from assistant.testing.irc_client import SimulatedMember
from assistant.testing.ircd import NgircdServer, run_ngircd

AT = datetime(2024, 5, 5, 9, 30, tzinfo=UTC)


def an_opening() -> Opening:
    candidate = Candidate(
        kind="shared_work",
        person=Notable("problogger", 1.0),
        nick="problogger",
        platform="irc",
        network="libera",
        channel="#bloggers",
        at=AT,
        text="new post https://problogger.example/x",
        reason="shared their own work",
        angle="problogger shared their work — read it and reply",
        relevance=0.8,
        message_id="k1",
    )
    return Opening(candidate, ScoreParts(1, 0.8, 1, 1, 0.6), AT, id=7)


class Hook:
    """A local HTTP endpoint that fails the first ``failures`` requests, or stalls."""

    def __init__(self, failures: int = 0, stall: float = 0.0) -> None:
        self.failures = failures
        self.stall = stall
        self.bodies: list[Any] = []
        self.attempts = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.attempts += 1
        if self.stall:
            await asyncio.sleep(self.stall)
        if self.attempts <= self.failures:
            return web.Response(status=500)
        self.bodies.append(await request.json())
        return web.Response(status=204)


@pytest.fixture
async def serve() -> AsyncIterator[Any]:
    runners: list[web.AppRunner] = []

    async def start(hook: Hook) -> str:
        app = web.Application()
        app.router.add_post("/hook", hook.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = runner.addresses[0][1]
        return f"http://127.0.0.1:{port}/hook"

    yield start
    for runner in runners:
        await runner.cleanup()


async def test_the_webhook_gets_the_opening_as_json(serve: Any) -> None:
    hook = Hook()
    notifier = WebhookNotifier(await serve(hook), backoff=0.01)
    await notifier.notify(an_opening())
    await notifier.close()
    [body] = hook.bodies
    assert body["opening"]["kind"] == "shared_work"
    assert body["opening"]["person"] == "problogger" and body["opening"]["id"] == 7


async def test_the_webhook_retries_after_server_errors(serve: Any) -> None:
    hook = Hook(failures=2)
    notifier = WebhookNotifier(await serve(hook), retries=3, backoff=0.01)
    await notifier.notify(an_opening())
    await notifier.close()
    assert hook.attempts == 3 and len(hook.bodies) == 1


async def test_the_webhook_gives_up_with_a_clear_error(serve: Any) -> None:
    hook = Hook(failures=10)
    notifier = WebhookNotifier(await serve(hook), retries=2, backoff=0.01)
    with pytest.raises(WebhookError, match="HTTP 500"):
        await notifier.notify(an_opening())
    await notifier.close()
    assert hook.attempts == 3


async def test_a_stalled_webhook_times_out(serve: Any) -> None:
    hook = Hook(stall=2.0)
    notifier = WebhookNotifier(await serve(hook), timeout=0.2, retries=1, backoff=0.01)
    with pytest.raises(WebhookError, match=r"no answer within 0\.2 s"):
        await notifier.notify(an_opening())
    await notifier.close()
    assert hook.attempts == 2


async def test_the_console_shows_score_person_and_angle() -> None:
    buffer = io.StringIO()
    await ConsoleNotifier(Console(file=buffer, width=200)).notify(an_opening())
    text = buffer.getvalue()
    assert "#7" in text and "problogger" in text and "read it and reply" in text


@pytest.fixture(scope="module")
def ircd() -> Iterator[NgircdServer]:
    with run_ngircd() as server:
        yield server


async def test_the_owner_gets_a_private_message_on_irc(ircd: NgircdServer, tmp_path: Path) -> None:
    settings = parse_settings(
        {
            "storage": {"path": str(tmp_path / "p.sqlite3"), "flush_interval": 0.02},
            "owner": {"identities": [{"platform": "irc", "account": "owner1", "nick": "owner1"}]},
            "watchlist": [
                {"name": "problogger", "identities": [{"platform": "irc", "nick": "pro1"}]}
            ],
            "networks": {
                "testnet": {
                    "host": ircd.host,
                    "port": ircd.port,
                    "tls": False,
                    "nick": "presence1",
                    "channels": [{"name": "#bloggers1"}],
                }
            },
            "plugins": {"openings": {"notify": ["dm"], "min_score": 0.1, "feedback_wait": 0}},
        }
    )
    owner = await SimulatedMember.connect(ircd.host, ircd.port, "owner1")
    pro = await SimulatedMember.connect(ircd.host, ircd.port, "pro1")
    assistant = Assistant(settings, plugin_classes={"openings": OpeningsPlugin})
    await assistant.start()
    try:
        await owner.join("#bloggers1")
        await pro.join("#bloggers1")
        await pro.wait_for(r" JOIN :?#bloggers1", timeout=10)
        await owner.wait_for(r":presence1!\S+ JOIN", timeout=10)
        await pro.say(
            "#bloggers1", "I just published a post on email lists: https://pro.example/email"
        )
        line = await owner.wait_for(r":presence1!\S+ PRIVMSG owner1 :Opening", timeout=60)
        assert "pro1 shared their work (https://pro.example/email)" in line
        channel_lines = [x for x in pro.lines if "PRIVMSG #bloggers1" in x and "presence1" in x]
        assert channel_lines == []  # never said in the channel
    finally:
        await assistant.stop()
        await owner.close()
        await pro.close()
