"""The token bucket and the bounded outgoing queue."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from assistant.connectors.irc.pacing import Outbox, TokenBucket


def test_token_bucket_allows_a_burst_then_paces() -> None:
    now = [0.0]
    bucket = TokenBucket(3, 2.0, clock=lambda: now[0])
    assert [bucket.try_take() for _ in range(4)] == [True, True, True, False]
    assert bucket.delay() == pytest.approx(0.5)
    now[0] += 0.5
    assert bucket.try_take()
    now[0] += 100
    assert [bucket.try_take() for _ in range(4)] == [True, True, True, False]  # capped at burst


async def test_token_bucket_waits_without_blocking_the_loop() -> None:
    bucket = TokenBucket(1, 20.0)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    task = asyncio.create_task(ticker())
    started = time.monotonic()
    for _ in range(3):
        await bucket.take()
    elapsed = time.monotonic() - started
    task.cancel()
    assert elapsed >= 0.08  # 2 waits of 50 ms: the rate held (at least; a busy machine is later)
    assert ticks >= 2  # the loop kept running meanwhile


def test_outbox_drops_the_oldest_line_beyond_its_bound(caplog: pytest.LogCaptureFixture) -> None:
    box = Outbox(2)
    with caplog.at_level(logging.WARNING):
        for n in range(4):
            box.put(f"PRIVMSG #c :secret {n}")
    assert [box.pop(), box.pop()] == ["PRIVMSG #c :secret 2", "PRIVMSG #c :secret 3"]
    assert box.dropped == 2
    assert "dropped oldest" in caplog.text
    assert "secret" not in caplog.text  # message text stays out of logs
