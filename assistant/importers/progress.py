"""The progress bar of a long import: the share done by bytes, with files, lines and rate.

The bar advances by bytes, which is what the time left depends on; beside it the import
says which file of how many it is on, how many lines it has read, and how fast.
"""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

__all__ = ["ImportCounts", "counts_text", "import_progress"]


def counts_text(file: int, files: int, lines: int, elapsed: float | None) -> str:
    """Say where an import is: ``file 3/285  12,345 lines  20,101 lines/s``."""
    rate = f"{lines / elapsed:,.0f} lines/s" if elapsed else "- lines/s"
    return f"file {file}/{files}  {lines:,} lines  {rate}"


class ImportCounts(ProgressColumn):
    """Files, lines and lines per second, from the task's ``file``/``files``/``lines`` fields."""

    def render(self, task: Task) -> Text:
        """Render the counts of ``task``."""
        fields = task.fields
        return Text(
            counts_text(
                fields.get("file", 0), fields.get("files", 0), fields.get("lines", 0), task.elapsed
            ),
            style="progress.data.speed",
        )


def import_progress(console: Console) -> Progress:
    """A progress display for ``presence import``, shown only on a terminal, gone when done."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        ImportCounts(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
