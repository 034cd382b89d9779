"""Delivery: files written atomically, digests split for IRC and Discord, a webhook retried."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from assistant.summaries.compose import compose_summary
from assistant.summaries.deliver import (
    DISCORD_LIMIT,
    IRC_LINE_BYTES,
    deliver_summary,
    digest,
    post_webhook,
    split_for,
    split_text,
    write_files,
)
from assistant.summaries.json import load_summary

from .conftest import DARREN_Q, Scene, settings


async def test_the_three_files_are_written_into_the_folder(scene: Scene, tmp_path: Path) -> None:
    summary = await compose_summary(scene.db, scene.session_id, settings())
    folder = tmp_path / "out"
    paths = write_files(summary, folder, ["md", "html", "json", "minutes"])
    names = sorted(p.name for p in paths)
    stem = "2024-01-07_libera_bloggers_s1"  # the local date of the chat, its channel, its id
    assert names == [f"{stem}.html", f"{stem}.json", f"{stem}.md"]  # no meeting: no minutes
    assert sorted(p.name for p in folder.iterdir()) == names  # no temporary file left behind
    assert load_summary((folder / f"{stem}.json").read_text(encoding="utf-8")) == summary


async def test_rewriting_replaces_a_file_whole(scene: Scene, tmp_path: Path) -> None:
    summary = await compose_summary(scene.db, scene.session_id, settings())
    (path,) = write_files(summary, tmp_path, ["md"])
    path.write_text("x" * 100_000, encoding="utf-8")
    before = path.stat().st_ino
    write_files(summary, tmp_path, ["md"])
    assert path.stat().st_ino != before  # a new file renamed over the old, never rewritten in place
    assert path.read_text(encoding="utf-8").startswith("# Aussie bloggers")


def test_irc_lines_fit_in_400_bytes_even_with_wide_characters() -> None:
    text = "Notable members: " + ", ".join(f"Ĳsbrand{i} (3)" for i in range(80)) + "\n\nok"
    lines = split_for("irc", text)
    assert all(len(line.encode("utf-8")) <= IRC_LINE_BYTES for line in lines)
    assert " ".join(lines).replace(" ok", "") == text.split("\n")[0]
    assert lines[-1] == "ok"
    long_word = "é" * 500
    pieces = split_text(long_word, IRC_LINE_BYTES)
    assert "".join(pieces) == long_word
    assert all(len(p.encode("utf-8")) <= IRC_LINE_BYTES for p in pieces)


def test_discord_messages_pack_lines_up_to_2000_characters() -> None:
    text = "\n".join(f"line {i}: " + "word " * 30 for i in range(100))
    messages = split_for("discord", text)
    assert len(messages) > 1
    assert all(len(m) <= DISCORD_LIMIT for m in messages)
    assert "\n".join(messages).splitlines() == [line.rstrip() for line in text.splitlines()]
    assert all("\r" not in m for m in split_for("discord", "a\r\nb"))


async def test_the_digest_names_notables_and_open_questions(scene: Scene) -> None:
    summary = await compose_summary(scene.db, scene.session_id, settings())
    text = digest(summary)
    assert "Notable members: Darren Rowse (darren) (4)." in text
    assert f"darren: {DARREN_Q}" in text


@pytest.fixture
async def hook_server() -> AsyncIterator[tuple[str, list[object], list[int]]]:
    """A webhook receiver on 127.0.0.1 that fails with 503 as often as told, then accepts."""
    received: list[object] = []
    failures = [1]

    async def receive(request: web.Request) -> web.Response:
        if failures[0] > 0:
            failures[0] -= 1
            return web.Response(status=503)
        received.append(await request.json())
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/hook", received, failures
    finally:
        await runner.cleanup()


async def test_the_webhook_gets_the_json_after_a_retry(
    scene: Scene, hook_server: tuple[str, list[object], list[int]]
) -> None:
    url, received, _ = hook_server
    summary = await compose_summary(scene.db, scene.session_id, settings())
    from assistant.summaries.json import dump_summary

    status = await post_webhook(url, dump_summary(summary), backoff=0.01)
    assert status == 204
    assert len(received) == 1
    assert load_summary(json.dumps(received[0])) == summary


async def test_a_webhook_that_keeps_failing_is_reported(
    hook_server: tuple[str, list[object], list[int]],
) -> None:
    url, received, failures = hook_server
    failures[0] = 10
    with pytest.raises(RuntimeError, match="after 2 attempt"):
        await post_webhook(url, {"x": 1}, attempts=2, backoff=0.01)
    assert received == []


async def test_delivery_writes_files_and_messages_the_owner_and_opted_in_channel(
    scene: Scene, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[tuple[str, str, str]] = []

    async def send(network: str, target: str, text: str) -> None:
        sent.append((network, target, text))

    config = settings(
        folder=str(tmp_path / "sums"),
        formats=["md", "json"],
        deliver_to_owner=True,
        post_to_channels=["#Bloggers"],
    )
    summary = await compose_summary(scene.db, scene.session_id, config)
    done = await deliver_summary(summary, config, db=scene.db, send=send)
    assert len(list((tmp_path / "sums").iterdir())) == 2
    targets = {target for _, target, _ in sent}
    assert targets == {"ann", "#bloggers"}  # the owner by the nick of their account
    assert all(len(text.encode("utf-8")) <= IRC_LINE_BYTES for _, _, text in sent)
    assert "sent to the owner (ann)" in done

    sent.clear()
    quiet = settings(formats=[], deliver_to_owner=False)
    assert await deliver_summary(summary, quiet, db=scene.db, send=send) == []
    assert sent == []  # never in a channel unless configured
