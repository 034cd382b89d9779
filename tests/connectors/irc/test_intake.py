"""The intake: reads stored, parsed a line at a time, in wire order, with back-pressure.

The real library connection parses the lines (no socket: a fake transport records what the
intake asks of it), so the order of events, queued items and the disconnect is the one the
connector sees.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from assistant.connectors.irc.caps import CapReactor
from assistant.connectors.irc.intake import Intake


class FakeTransport(asyncio.Transport):
    """Records pauses and resumes; swallows writes."""

    def __init__(self) -> None:
        super().__init__()
        self.paused = False
        self.pauses = 0
        self.closing = False

    def pause_reading(self) -> None:
        self.paused = True
        self.pauses += 1

    def resume_reading(self) -> None:
        self.paused = False

    def is_closing(self) -> bool:
        return self.closing

    def write(self, data: Any) -> None:
        pass

    def close(self) -> None:
        self.closing = True


def connected_intake(**options: Any) -> tuple[Intake, FakeTransport, list[str]]:
    """An intake on a library connection that looks connected; the list logs parsed lines."""
    reactor = CapReactor(loop=asyncio.get_running_loop())
    conn = reactor.server()
    conn.real_nickname, conn.real_server_name, conn.handlers = "presence", "", {}
    conn.buffer = conn.buffer_class()
    conn.connected, conn.server = True, "irc.test"
    intake = conn.intake = Intake(conn, **options)
    transport = FakeTransport()
    conn.transport = transport
    intake.attach(transport)
    parsed: list[str] = []
    process_line = conn._process_line

    def logging_process_line(line: str) -> None:
        parsed.append(line)
        process_line(line)

    conn._process_line = logging_process_line
    reactor.add_global_handler("all_events", lambda _conn, ev: intake.deliver(ev), -100)
    return intake, transport, parsed


def privmsg(n: int) -> bytes:
    return f":m{n}!u@h PRIVMSG #c :line {n}\r\n".encode()


async def test_lines_are_parsed_one_at_a_time_as_events_are_taken() -> None:
    intake, _, parsed = connected_intake()
    intake.feed(privmsg(1) + privmsg(2) + b":m3!u@h PRIVMSG #c :half")

    first: Any = await intake.get()
    assert (first.type, first.arguments, intake.line) == ("pubmsg", ["line 1"], parsed[0])
    assert len(parsed) == 1  # line 2 waits until line 1's events are taken
    second: Any = await intake.get()
    assert (second.arguments, intake.line) == (["line 2"], parsed[1])
    intake.feed(b" done\r\n")  # the rest of a line split across reads
    third: Any = await intake.get()
    assert third.arguments == ["half done"]


async def test_a_big_read_is_parsed_in_slices_that_let_the_loop_run() -> None:
    intake, _, _ = connected_intake(slice_seconds=0.001)
    lines = 20_000
    intake.feed(b"".join(privmsg(n) for n in range(lines)))  # about 600 KB in one read
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    try:
        for _ in range(lines):
            await intake.get()
    finally:
        task.cancel()
    assert ticks > 10, "the consumer parsed the whole read without yielding"


async def test_queued_items_and_the_loss_come_after_the_bytes_received_before_them() -> None:
    intake, _, _ = connected_intake()
    intake.feed(privmsg(1) + privmsg(2))
    intake.put("stop")
    intake.feed(privmsg(3))
    intake.lost()

    order = []
    for _ in range(5):
        item: Any = await intake.get()
        order.append(item if isinstance(item, str) else item.type)
    assert order == ["pubmsg", "pubmsg", "stop", "pubmsg", "disconnect"]
    assert intake.closed


async def test_reading_pauses_above_the_high_mark_and_resumes_below_the_low_one() -> None:
    intake, transport, _ = connected_intake(high_water=4096, low_water=1024, chunk=512)
    line = privmsg(1)
    for _ in range(4096 // len(line) + 1):
        intake.feed(line)
    assert transport.paused and intake.paused

    while intake.paused:
        await intake.get()
    assert intake.buffered < 1024 and not transport.paused
    assert transport.pauses == 1


async def test_waiting_for_events_ends_at_the_deadline() -> None:
    intake, _, _ = connected_intake()
    loop = asyncio.get_running_loop()
    with pytest.raises(TimeoutError):
        await intake.get(loop.time() + 0.05)
    loop.call_later(0.01, intake.feed, privmsg(1))
    ev: Any = await intake.get(loop.time() + 5)
    assert ev.type == "pubmsg"
