"""Replay mode plays a log through the real assistant and prints each opening as a JSON line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.commandline import main

FIXTURES = Path(__file__).parent / "fixtures"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict[str, object]]]:
    status = main(["openings", *args])
    out = capsys.readouterr().out
    return status, [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def test_a_ubuntu_raw_log_replays_into_openings(capsys: pytest.CaptureFixture[str]) -> None:
    status, lines = run(
        capsys,
        "--replay",
        str(FIXTURES / "2024-05-05.bloggers.raw.txt"),
        "--owner",
        "me",
        "--notable",
        "problogger",
        "--interests",
        "podcasting, Skype interviews",
    )
    assert status == 0
    kinds = [line["kind"] for line in lines]
    assert kinds[0] == "unanswered_question"
    first = lines[0]
    assert first["person"] == "problogger" and first["channel"] == "#ubuntu"
    # The log's clock: a line about every 45 s here, so the wait is three such gaps (135 s),
    # and the log's next minute is when it is told.
    assert first["time"] == "2024-05-05T19:36:00+00:00"
    assert "you listed Skype interviews" in str(first["angle"])
    assert set(first) >= {
        "time",
        "kind",
        "person",
        "channel",
        "message",
        "score",
        "reason",
        "angle",
    }
    assert "addressed_you" in kinds  # "me: you host a podcast, right?" bypasses the cooldown


def test_a_meetbot_log_replays_too(capsys: pytest.CaptureFixture[str]) -> None:
    status, lines = run(
        capsys,
        "--replay",
        str(FIXTURES / "standup.2024-05-06-10.00.log.txt"),
        "--owner",
        "me",
        "--notable",
        "problogger",
    )
    assert status == 0
    # Being asked is told at once; the shared write-up once there was time to read it, even
    # though the log ends sooner (the replay lets the waits run out).
    assert [line["kind"] for line in lines] == ["addressed_you", "shared_work"]


def test_an_unknown_file_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "notes.txt"
    log.write_text("just some prose\nnothing like a chat\n", encoding="utf-8")
    status = main(["openings", "--replay", str(log), "--owner", "me", "--notable", "x"])
    assert status == 2
    assert "not a chat log format Presence knows" in capsys.readouterr().err
