"""The quick start's main job: the demo attends a scheduled chat live and writes its summary.

The demo runs as a newcomer runs it (``python -m assistant demo``, here with ``--keep`` so
what it wrote can be read back); everything asserted is on the terminal or in its files.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from assistant.testing.cli import run_presence

pytestmark = pytest.mark.ircd


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("demo") / "out"
    result = run_presence("demo", "--keep", out, columns=250)
    assert result.returncode == 0, result.stdout + result.stderr
    return result, out


def test_the_session_starts_and_ends_by_its_schedule(
    demo: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    stdout = demo[0].stdout
    assert "session started: Aussie bloggers' chat in #bloggers (by its schedule)" in stdout
    assert "fast-forwarding the clock to the scheduled end" in stdout
    assert "session ended: Aussie bloggers' chat in #bloggers" in stdout
    assert stdout.index("session started") < stdout.index("<alice>") < stdout.index("session ended")


def test_openings_about_the_notable_member_show_live_and_reach_the_owner_privately(
    demo: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    result = demo[0]
    # The terminal: the openings plugin's console lines (on stderr), one per kind.
    for kind in ("arrival", "unanswered_question", "shared_work", "interest"):
        assert re.search(
            rf"opening #\d+ [\d.]+ {kind} Darren in #bloggers: problogger ", result.stderr
        ), result.stderr
    # IRC: each one arrived as a private message to the owner's nick, never in the channel.
    private = re.findall(r"✉ private to you: (Opening #\d+ in #bloggers: .*)", result.stdout)
    assert len(private) == 4
    assert any("just arrived in #bloggers" in line for line in private)  # you are there
    assert any("no answer yet; you listed podcasting" in line for line in private)
    assert any("shared their work (https://problogger.example/" in line for line in private)
    assert any("you listed static sites" in line for line in private)
    assert "<presence> Opening" not in result.stdout


def test_attendance_and_the_seen_answer_are_printed(
    demo: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    stdout = demo[0].stdout
    rows = {
        match[0]: (match[1], match[2])
        for match in re.findall(r"│ (\w+)\s+│[^│]+│[^│]+│\s+(\d+) │ (yes|no)\s+│", stdout)
    }
    # problogger quit; bob changed nick; carol parted; "you" is the owner.
    assert rows == {
        "you": ("4", "yes"),
        "alice": ("4", "yes"),
        "bob_away": ("4", "yes"),
        "problogger": ("4", "no"),
        "carol": ("2", "no"),
    }
    assert re.search(r"<presence> carol was last seen in #bloggers .* not here now", stdout)


def test_the_summary_is_written_in_three_formats_and_its_place_printed(
    demo: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    result, out = demo
    folder = out / "summaries"
    files = {path.suffix: path for path in folder.iterdir()}
    assert sorted(files) == [".html", ".json", ".md"]
    for path in files.values():
        assert str(path) in result.stdout
    markdown = files[".md"].read_text(encoding="utf-8")
    assert markdown.startswith("# Aussie bloggers' chat — #bloggers on demo")
    assert "│ # Aussie bloggers' chat" in result.stdout  # the excerpt
    assert "Darren (problogger)" in markdown
    assert "https://problogger.example/email-list-from-zero" in markdown
    html = files[".html"].read_text(encoding="utf-8")
    assert re.search(r'<img[^>]+src="data:image/png;base64,[A-Za-z0-9+/=]{1000,}"', html)
    document = json.loads(files[".json"].read_text(encoding="utf-8"))
    first, *others = document["attendance"]
    assert (first["name"], first["watch_name"], first["notable"]) == ("problogger", "Darren", True)
    assert not any(row["notable"] for row in others)
    assert sum(row["lines"] for row in document["attendance"]) == 18
    # The openings plugin's section: "HH:MM outcome — person (kind): reason — in discussion".
    [openings] = [s for s in document["sections"] if s["title"] == "Openings"]
    found = [re.match(r"\d\d:\d\d (\w+) — Darren \((\w+)\)", item) for item in openings["items"]]
    outcomes = {m.group(2): m.group(1) for m in found if m}
    assert len(outcomes) == len(openings["items"])
    assert set(outcomes) == {"arrival", "unanswered_question", "shared_work", "interest"}
    # ngircd verifies no one: "you" is the owner by the configured name, read only.
    assert outcomes["unanswered_question"] == "taken"
    darren = document["exchanges"][0]
    assert (darren["person"], darren["owner_to_them"], darren["them_to_owner"]) == (
        "problogger",
        3,
        1,
    )


def test_the_summary_lists_what_the_notable_member_said_they_would_do(
    demo: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    folder = demo[1] / "summaries"
    markdown = next(folder.glob("*.md")).read_text(encoding="utf-8")
    section = markdown.split("## Decisions and actions", 1)[1].split("\n## ", 1)[0]
    assert (
        "**action** — ★ **Darren (problogger)**: you: thanks, I'll look at the PodMic!" in section
    )
    document = json.loads(next(folder.glob("*.json")).read_text(encoding="utf-8"))
    assert [(d["kind"], d["person"], d["assignee"]) for d in document["decisions"]] == [
        ("action", "Darren (problogger)", "Darren (problogger)")
    ]


def test_the_notable_member_has_a_section_with_his_question_and_what_he_shared(
    demo: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    folder = demo[1] / "summaries"
    markdown = next(folder.glob("*.md")).read_text(encoding="utf-8")
    section = markdown.split("## Notable members", 1)[1].split("\n## ", 1)[0]
    assert "### ★ Darren (problogger)" in section
    assert "what's the best budget mic for recording podcast interviews?" in section
    assert "Shared: <https://problogger.example/email-list-from-zero>" in section
    document = json.loads(next(folder.glob("*.json")).read_text(encoding="utf-8"))
    (darren,) = document["members"]
    assert darren["person"] == "Darren (problogger)"
    assert len(darren["discussions"]) >= 1
    assert any("static site with Hugo" in line["text"] for line in darren["key_lines"])


def test_your_part_names_whom_you_talked_with_and_the_openings_you_took(
    demo: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    folder = demo[1] / "summaries"
    markdown = next(folder.glob("*.md")).read_text(encoding="utf-8")
    part = markdown.split("## Your part", 1)[1].split("\n## ", 1)[0]
    assert re.search(r"^- ★ problogger: 3 from you, 1 to you — about \S", part, re.MULTILINE)
    openings = markdown.split("## Openings", 1)[1].split("\n## ", 1)[0]  # the plugin's section
    assert re.search(r"^You took \d+ of them\.", openings, re.MULTILINE)
    assert re.search(
        r"^- \d\d:\d\d taken — Darren \(unanswered\\_question\)", openings, re.MULTILINE
    )
    document = json.loads(next(folder.glob("*.json")).read_text(encoding="utf-8"))
    assert document["exchanges"][0]["discussions"]


def test_the_demo_ends_with_the_dashboards_address_and_its_new_token(
    demo: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    result, out = demo
    last = result.stdout.strip().splitlines()[-1]
    token = (out / "presence.sqlite3.web-token").read_text(encoding="utf-8").strip()
    assert last.startswith(f"Dashboard: http://127.0.0.1:8787/?token={token} once `presence web")
    assert "`presence demo --web` keeps it up" in last
