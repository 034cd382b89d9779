"""Only `assistant` and `assistant_<plugin>` packages are importable after an install."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOT_PACKAGES = ["models", "plugins", "tests", "bench"]


def _importable(name: str, cwd: Path, extra_path: Path | None = None) -> bool:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if extra_path is not None:
        env["PYTHONPATH"] = str(extra_path)
    result = subprocess.run(
        [sys.executable, "-c", f"import {name}"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.returncode == 0


@pytest.mark.parametrize("name", NOT_PACKAGES)
def test_editable_install_exposes_no_repo_folders(name: str, tmp_path: Path) -> None:
    assert _importable("assistant", tmp_path)
    assert not _importable(name, tmp_path)


def test_regular_install_holds_only_assistant_packages(tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        timeout=300,
        cwd=tmp_path,
    )
    top_level = {
        p.name for p in target.iterdir() if not p.name.endswith((".dist-info", ".egg-info"))
    }
    top_level.discard("bin")
    built_in = {p.name for p in (REPO / "plugins").glob("assistant_*") if p.is_dir()}
    assert "assistant_seen" in built_in
    assert top_level == {"assistant", *built_in}
    assert (target / "assistant" / "storage" / "migrations" / "0001_initial.sql").is_file()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for name in NOT_PACKAGES:
        assert not _importable(name, elsewhere, extra_path=target)


PIP = (sys.executable, "-m", "pip")


def test_an_installed_wheel_finds_the_reply_linker_parameters(tmp_path: Path) -> None:
    # No checkout around: the parameters must come with the package (models/README.md).
    wheels = tmp_path / "wheels"
    subprocess.run(
        [*PIP, "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(REPO)],
        check=True,
        capture_output=True,
        timeout=300,
        cwd=tmp_path,
    )
    (wheel,) = wheels.glob("*.whl")
    target = tmp_path / "site"
    subprocess.run(
        [*PIP, "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
        cwd=tmp_path,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(target)
    code = (
        "from assistant.nlp.reply_linker import DEFAULT_MODEL, LinkerModel; "
        "LinkerModel.load(); print(DEFAULT_MODEL)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).is_relative_to(target)
