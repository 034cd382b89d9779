"""A third party's detector and notifier, built as a wheel and installed, take part in a replay.

The plugin below is what an author would publish: an ``assistant_links`` package with an
entry point in the ``assistant.plugins`` group, importing only ``assistant``. It is built by
``python -m build`` (as ``tests/test_packaging.py`` builds Presence), installed with pip into
a folder of its own, and found there by ``presence replay`` through its entry point alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from assistant_openings import DETECTORS

from assistant.testing.cli import run_presence

PIP_INSTALL = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index"]
TOOLS_HINT = "the dev tools are missing: run `make test` (or `.venv/bin/pip install -e '.[dev]'`)"
LOG = Path(__file__).parents[1] / "openings" / "fixtures" / "2024-05-05.bloggers.raw.txt"

PYPROJECT = """\
[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "presence-links"
version = "1.0"
dependencies = ["chat-presence-assistant"]

[project.entry-points."assistant.plugins"]
links = "assistant_links:LinksPlugin"

[tool.setuptools]
packages = ["assistant_links"]
"""

PLUGIN = '''\
"""Tell the owner when a notable member shares a link, in a file of JSON lines."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from pydantic import Field

from assistant import (
    Candidate,
    Detector,
    Notifier,
    Observation,
    Opening,
    Plugin,
    PluginConfig,
    PluginContext,
    hookimpl,
)


class LinkShared(Detector):
    """A notable member's line with a link in it."""

    kind = "link_shared"

    def on_line(self, obs: Observation) -> Iterable[Candidate]:
        line = obs.line
        if line.notable is not None and line.analysis.links:
            yield self.about(
                line,
                reason="shared a link",
                angle=f"read {line.analysis.links[0]} and say what you took from it",
                relevance=1.0,
            )


class FileNotifier:
    """Appends each opening to a file, one JSON object a line."""

    name = "links-file"

    def __init__(self, path: Path) -> None:
        self.path = path

    async def notify(self, opening: Opening) -> None:
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(opening.as_json()) + "\\n")


class LinksConfig(PluginConfig):
    out: str = Field(description="the file the openings are appended to")


class LinksPlugin(Plugin):
    """A notable member's links, as openings, to a file."""

    Config = LinksConfig

    def __init__(self, ctx: PluginContext) -> None:
        super().__init__(ctx)
        self.notifier = FileNotifier(Path(ctx.config_as(LinksConfig).out))

    @hookimpl
    def assistant_opening_detectors(self) -> list[type[Detector]]:
        return [LinkShared]

    @hookimpl
    def assistant_opening_notifiers(self) -> list[Notifier]:
        return [self.notifier]
'''

CONFIG = """
[owner]
name = "me"
identities = [{{ platform = "irc", account = "me" }}]

[storage]
path = "presence.sqlite3"

[summaries]
folder = "summaries"
formats = ["md"]

[plugins.openings]
notify = []
disabled = {disabled}

[plugins.links]
out = "openings.jsonl"

[[watchlist]]
name = "problogger"
identities = [{{ platform = "irc", nick = "problogger" }}]
priority = 3
"""


def _run(command: list[str], cwd: Path) -> None:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{TOOLS_HINT}\n{result.stdout[-3000:]}{result.stderr[-3000:]}"


def test_an_installed_plugins_detector_finds_an_opening_that_reaches_its_notifier(
    tmp_path: Path,
) -> None:
    source = tmp_path / "presence-links"
    (source / "assistant_links").mkdir(parents=True)
    (source / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (source / "assistant_links" / "__init__.py").write_text(PLUGIN, encoding="utf-8")
    dist, site = tmp_path / "dist", tmp_path / "site"
    # No isolation: setuptools comes from the dev extra, so nothing is downloaded.
    _run(
        [sys.executable, "-m", "build", "--no-isolation", "--wheel", "--outdir", str(dist)],
        cwd=source,
    )
    (wheel,) = dist.glob("presence_links-1.0-*.whl")
    _run(
        [*PIP_INSTALL, "--target", str(site), str(wheel)],
        cwd=tmp_path,
    )
    run = tmp_path / "run"
    run.mkdir()
    # The built-in detectors are off, so every opening is the plugin's.
    disabled = json.dumps(sorted({cls.kind for cls in DETECTORS}))
    config = run / "presence.toml"
    config.write_text(CONFIG.format(disabled=disabled), encoding="utf-8")

    done = run_presence("replay", LOG, "--config", config, cwd=run, env={"PYTHONPATH": str(site)})

    assert done.returncode == 0, done.stderr
    assert "plugins: links, openings" in done.stderr
    lines = (run / "openings.jsonl").read_text(encoding="utf-8").splitlines()
    [opening] = [json.loads(line) for line in lines]
    assert opening["kind"] == "link_shared"
    assert opening["person"] == "problogger"
    assert (
        opening["angle"]
        == "read https://problogger.example/email-list and say what you took from it"
    )
    assert "link_shared" in done.stdout
