"""LoopLagMonitor: it sees a blocked loop, stays quiet on an idle one, and reports percentiles."""

from __future__ import annotations

import asyncio
import time

import pytest

from assistant.lag import LoopLagMonitor


async def test_a_100ms_block_shows_up_as_lag() -> None:
    async with LoopLagMonitor(0.01) as lag:
        await asyncio.sleep(0.05)
        time.sleep(0.1)  # noqa: ASYNC251 - blocking the loop is what the monitor must catch
        await asyncio.sleep(0.05)
    assert not lag.running
    assert lag.max >= 0.09  # at least the block (a busy machine only adds to it)
    assert lag.percentile(100) == lag.max


async def test_an_idle_loop_is_sampled_and_never_reported() -> None:
    # How little an idle loop lags is a figure for bench/ (it depends on the machine); what
    # the monitor promises is to keep sampling and to stay quiet below its threshold.
    reported: list[float] = []
    async with LoopLagMonitor(0.005, threshold=60.0, on_lag=reported.append) as lag:
        await asyncio.sleep(0.2)
    assert len(lag.samples) >= 2
    assert all(sample >= 0 for sample in lag.samples)
    assert reported == []


async def test_samples_survive_stop_and_reset_clears_them() -> None:
    lag = LoopLagMonitor(0.005)
    lag.start()
    lag.start()  # idempotent
    await asyncio.sleep(0.05)
    await lag.stop()
    await lag.stop()
    taken = len(lag.samples)
    assert taken > 0
    await asyncio.sleep(0.02)
    assert len(lag.samples) == taken
    lag.reset()
    assert (lag.samples, lag.max, lag.percentile(99)) == ([], 0.0, 0.0)


async def test_the_sample_list_is_bounded() -> None:
    async with LoopLagMonitor(0.001, limit=5) as lag:
        await asyncio.sleep(0.05)
    assert len(lag.samples) == 5


def test_percentile_is_nearest_rank() -> None:
    lag = LoopLagMonitor(1000.0)  # samples below the interval: nothing to correct
    lag.samples.extend(float(n) for n in range(1, 101))
    assert (lag.percentile(0), lag.percentile(50), lag.percentile(99)) == (1.0, 50.0, 99.0)
    with pytest.raises(ValueError, match="between 0 and 100"):
        lag.percentile(101)
    with pytest.raises(ValueError, match="positive"):
        LoopLagMonitor(0)


def test_percentiles_count_the_wake_ups_a_blocked_loop_missed() -> None:
    lag = LoopLagMonitor(0.01)
    # Nine punctual wake-ups, then one 100 ms late: nine more were due during that block.
    lag.samples.extend([0.0] * 9 + [0.1])
    assert lag.percentile(50, corrected=False) == 0.0
    assert lag.percentile(90, corrected=False) == 0.0
    assert lag.percentile(50) == pytest.approx(0.01)
    assert lag.percentile(90) == pytest.approx(0.09)
    assert lag.percentile(100) == lag.max == 0.1


async def test_a_blocked_loop_is_reported_as_it_happens() -> None:
    reported: list[float] = []
    async with LoopLagMonitor(0.01, threshold=0.05, on_lag=reported.append):
        await asyncio.sleep(0.03)
        time.sleep(0.12)  # noqa: ASYNC251 - the block under test
        await asyncio.sleep(0.03)
    assert max(reported, default=0.0) >= 0.1  # the block, reported while the monitor ran
