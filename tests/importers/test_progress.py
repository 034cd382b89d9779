"""The progress of a long import: which file of how many, lines read, and lines per second."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from assistant.commandline import main
from assistant.importers.progress import ImportCounts, counts_text, import_progress

FIXTURES = Path(__file__).parent / "fixtures"


def test_the_counts_say_file_lines_and_rate() -> None:
    assert counts_text(3, 285, 12345, 0.5) == "file 3/285  12,345 lines  24,690 lines/s"
    assert counts_text(0, 2, 0, None) == "file 0/2  0 lines  - lines/s"


def test_the_counts_column_reads_the_tasks_fields() -> None:
    progress = import_progress(Console(force_terminal=True))
    task = progress.add_task("x.log", total=100, files=4)
    progress.update(task, file=2, lines=1500)
    text = ImportCounts().render(progress.tasks[0]).plain
    assert text.startswith("file 2/4  1,500 lines  ")
    assert text.endswith(" lines/s")


def test_an_import_on_a_terminal_shows_files_and_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "presence.toml"
    config.write_text('[storage]\npath = "p.sqlite3"\n', encoding="utf-8")
    monkeypatch.setenv("FORCE_COLOR", "1")  # a terminal, as far as Rich is concerned
    monkeypatch.setenv("COLUMNS", "200")
    log = tmp_path / "#chat.2022-01-01.log"
    log.write_text("10:00 <ann> hi\n10:01 <bo> yo\n", encoding="utf-8")
    code = main(["import", str(FIXTURES / "irc.log"), str(log), "-c", str(config)])
    out = capsys.readouterr().out
    assert code == 0
    assert "file 2/2  7 lines" in out  # the last state drawn before the bar goes away
    assert out.strip().splitlines()[-1].startswith("import: files=2 lines=7 ")
