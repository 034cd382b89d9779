"""``presence demo --web``: after the chat, the dashboard of what was recorded, until Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.ircd


def test_the_demo_keeps_the_dashboard_of_its_chat_up_until_ctrl_c(tmp_path: Path) -> None:
    output = tmp_path / "demo.out"
    environ = {k: v for k, v in os.environ.items() if k != "PRESENCE_CONFIG"}
    with output.open("w") as out:
        demo = subprocess.Popen(
            [sys.executable, "-m", "assistant", "demo", "--web", "--keep", str(tmp_path / "k")],
            env=environ | {"COLUMNS": "250"},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        address = ""
        for _ in range(3000):  # the chat itself takes a minute or so
            lines = output.read_text(encoding="utf-8").splitlines()
            address = next((line for line in lines if line.startswith("Dashboard: ")), "")
            if (address and "stays up until Ctrl-C" in lines[-1]) or demo.poll() is not None:
                break
            time.sleep(0.1)
        text = output.read_text(encoding="utf-8")
        assert address, f"the demo printed no dashboard address:\n{text}"
        assert "Openings sent to you privately: 4" in text  # the demo's own report came first
        url, _, token = address.removeprefix("Dashboard: ").partition("?token=")
        request = urllib.request.Request(
            url + "sessions", headers={"Authorization": f"Bearer {token.strip()}"}
        )
        with urllib.request.urlopen(request) as response:
            page = response.read().decode()
        assert "Aussie bloggers" in page and "#bloggers" in page
        demo.send_signal(signal.SIGINT)  # Ctrl-C
        assert demo.wait(timeout=30) == 0
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
