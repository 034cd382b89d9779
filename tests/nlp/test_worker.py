"""Analysis workers: the real pipeline and reply linker, in this process and in their own."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from assistant.lag import LoopLagMonitor
from assistant.nlp.disentangle_format import read_transcript
from assistant.nlp.engine import Engine, _Intake
from assistant.nlp.evaluate import predict_replies
from assistant.nlp.reply_linker import LinkerModel
from assistant.nlp.worker import AnalysisWorker
from assistant.nlp.worker_messages import Batch, Request, Result, WorkerOptions

if TYPE_CHECKING:
    from multiprocessing.queues import Queue

START = datetime(2024, 1, 7, 8, 30, tzinfo=UTC)
EXCERPT = Path(__file__).parent / "fixtures" / "2012-03-24.excerpt.raw.txt"


def request(number: int, author: str, text: str, channel: str = "#b", **extra: str) -> Request:
    return Request(
        network="libera",
        channel=channel,
        key=f"k{number}",
        author=author,
        text=text,
        at=START + timedelta(seconds=10 * number),
        reply_to=extra.get("reply_to"),
    )


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(WorkerOptions())


def by_key(results: list[Result]) -> dict[str, Result]:
    return {result.key: result for result in results}


def test_a_batch_gives_analyses_and_reply_links(engine: Engine) -> None:
    batch = Batch(
        1,
        (("reset", "libera", "#b", ("alice", "bob", "carol")),),
        (
            request(1, "alice", "anyone interviewing over skype this week?"),
            request(2, "carol", "good morning everyone", channel="#other"),
            request(3, "bob", "alice: yes, I record with zoom https://zoom.us"),
            request(4, "alice", "bob: thanks!"),
        ),
    )
    results = by_key(engine.run(batch))
    assert list(results) == ["k1", "k2", "k3", "k4"]
    assert results["k1"].is_question and results["k1"].reply_to == ()
    assert results["k3"].addressees == ("alice",)
    assert results["k3"].links == ("https://zoom.us",)
    assert results["k3"].reply_to == ("k1",)
    assert results["k4"].reply_to == ("k3",)
    assert "thanks" in results["k4"].acts
    # Channels are linked apart: #other's line starts its own conversation.
    assert results["k2"].reply_to == ()


def test_roster_changes_decide_who_can_be_addressed(engine: Engine) -> None:
    line = "dave what do you use for hosting"
    before = engine.run(Batch(2, (), (request(10, "erin", line, channel="#r"),)))
    assert "dave" not in before[0].addressees
    joined = engine.run(
        Batch(3, (("add", "libera", "#r", ("dave",)),), (request(11, "erin", line, channel="#r"),))
    )
    assert joined[0].addressees == ("dave",)


def test_only_nicks_in_the_message_s_own_channel_are_addressees(engine: Engine) -> None:
    results = engine.run(
        Batch(
            30,
            (
                ("reset", "libera", "#podcasting", ("hank", "iris")),
                ("reset", "libera", "#python", ("jake", "iris")),
            ),
            (
                request(30, "iris", "jake: did the mic arrive?", channel="#podcasting"),
                request(31, "iris", "jake: did the mic arrive?", channel="#python"),
                request(32, "jake", "ask hank about hosting", channel="#python"),
                request(33, "iris", "ask hank about hosting", channel="#podcasting"),
            ),
        )
    )
    # jake is only in #python; hank only in #podcasting.
    assert [result.addressees for result in results] == [(), ("jake",), (), ("hank",)]


def test_live_links_with_system_lines_are_the_evaluated_links() -> None:
    # The live path (requests, system lines for joins and nick changes) links a real log
    # excerpt exactly as `presence eval replies` does from the file.
    transcript = read_transcript(EXCERPT)
    model = LinkerModel.load()
    expected = predict_replies(transcript, model)
    requests = [
        Request("libera", "#ubuntu", f"m{i}", u.author, u.text, u.time or START, system=u.system)
        for i, u in enumerate(transcript.utterances)
    ]
    assert any(request.system for request in requests)
    links = Engine(WorkerOptions(), role="links").link(Batch(1, (), tuple(requests)))
    messages = [i for i, u in enumerate(transcript.utterances) if not u.system]
    assert len(links) == len(messages)
    for i, found in zip(messages, links, strict=True):
        reply = expected[i]
        wanted = () if reply.starts_conversation else reply.antecedents
        system = {j for j in wanted if transcript.utterances[j].system}
        assert found == tuple(f"m{j}" for j in wanted if j not in system)


def test_a_platform_reply_reference_wins_and_names_its_author(engine: Engine) -> None:
    results = engine.run(
        Batch(
            4,
            (),
            (
                request(20, "frank", "what mic do you use?", channel="#d"),
                request(21, "gina", "a cheap usb one", channel="#d", reply_to="k20"),
            ),
        )
    )
    assert results[1].reply_to == ("k20",)
    assert results[1].addressees[:1] == ("frank",)


def test_waiting_batches_are_parsed_together_with_the_same_results(engine: Engine) -> None:
    lines = ["morning all", "kate: did the upload work?", "yes thanks kate", "lol"]
    batches = [
        Batch(40 + b, (), tuple(request(400 + 4 * b + i, "kate", t) for i, t in enumerate(lines)))
        for b in range(3)
    ]
    together = engine.analyse_together(batches)
    alone = [engine.analyse(batch) for batch in batches]
    assert together == alone
    assert [len(answer) for answer in together] == [4, 4, 4]


def test_the_intake_groups_waiting_batches_but_not_across_roster_changes() -> None:
    requests: Queue[Batch | None] = multiprocessing.get_context("spawn").Queue()
    plain = [Batch(n, (), (request(n, "lee", "hi"),)) for n in (1, 2, 3, 4)]
    joined = Batch(5, (("add", "libera", "#b", ("max",)),), (request(5, "lee", "max: hi"),))
    for batch in (*plain, joined, None):
        requests.put(batch)
    time.sleep(0.2)  # let the queue's feeder thread write them all
    intake = _Intake(requests, "analysis")
    groups = [[batch.number for batch in intake.next_group()] for _ in range(4)]
    assert groups == [[1, 2, 3], [4], [5], []]
    assert intake.ended
    requests.close()


def test_the_string_store_stays_flat_across_batches(engine: Engine) -> None:
    engine.run(Batch(5, (), tuple(request(100 + i, "u", f"warm {i}") for i in range(64))))
    size = len(engine.nlp.vocab.strings)
    for b in range(5):
        fresh = tuple(request(200 + i, "u", f"zqx{b}w{i} blorp{b}x{i}") for i in range(64))
        engine.run(Batch(6 + b, (), fresh))
    assert len(engine.nlp.vocab.strings) <= size + 64


async def test_parsing_on_the_loop_would_lag_it(engine: Engine) -> None:
    # The reason the worker is a process: the same work on the loop blocks it for long.
    texts = [f"anyone tried podcast hosting number {i} this week?" for i in range(256)]
    async with LoopLagMonitor(0.005) as lag:
        for start in range(0, len(texts), 64):
            with engine.nlp.memory_zone():
                [doc.text for doc in engine.nlp.pipe(texts[start : start + 64])]
            await asyncio.sleep(0)
    assert lag.percentile(99) > 0.1


async def test_the_process_answers_batches_and_exits_when_asked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    received: list[tuple[str, object]] = []
    got = asyncio.Event()

    def on_message(kind: str, payload: object) -> None:
        received.append((kind, payload))
        got.set()

    worker = AnalysisWorker(WorkerOptions(), on_message)
    await worker.start()
    try:
        assert worker.alive
        worker.send(Batch(1, (), (request(1, "alice", "hello there, anyone around?"),)))
        await asyncio.wait_for(got.wait(), 30)
        kind, payload = received[0]
        assert kind == "done"
        number, results = payload  # type: ignore[misc]
        assert number == 1 and results[0].key == "k1" and results[0].is_question
    finally:
        pid = worker.pid
        assert pid is not None
        # A generous grace: the process must leave by itself, not be killed after it.
        await worker.stop(timeout=60)
    assert not worker.alive
    assert "did not stop" not in caplog.text
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # exited and reaped, not left behind
    assert [kind for kind, _ in received] == ["done"]  # a requested stop is not a death


def test_a_rebuilt_linker_still_links_to_what_was_said_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A channel's linker is rebuilt from its recent window now and then (to bound memory in
    # a process that runs for weeks); an answer after a rebuild still finds its question.
    monkeypatch.setattr("assistant.nlp.engine._LINKER_REBUILD_EVERY", 4)
    lines = [
        ("alice", "anyone know a good mic for podcasting?"),
        ("carol", "morning all"),
        ("dave", "carol: morning!"),
        ("carol", "how was the meetup yesterday dave"),
        ("dave", "carol: packed, the talks were great"),
        ("bob", "alice: the rode procaster is a great mic for podcasting"),
    ]
    engine = Engine(WorkerOptions(), role="links")
    requests = tuple(request(i, who, text) for i, (who, text) in enumerate(lines))
    first = engine.link(Batch(1, (), requests[:4]))
    linker = engine.channel("libera", "#b")._linker
    rest = engine.link(Batch(2, (), requests[4:]))
    assert engine.channel("libera", "#b")._linker is not linker  # it was rebuilt
    assert first[2] == ("k1",)  # dave answers carol's greeting
    assert rest[-1] == ("k0",)  # bob answers alice's question from before the rebuild
