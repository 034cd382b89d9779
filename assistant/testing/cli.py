"""The ``presence`` command run as a user runs it: this Python in a subprocess, output captured.

Every test of the command line goes through :func:`run_presence`, so each sees the command
the same way: wide enough that Rich does not wrap the lines a test reads, and without a
``PRESENCE_CONFIG`` of the developer's leaking in. ``timeout`` only stops a hang: it is
generous, because a busy machine may take minutes to load spaCy, and speed is for ``bench/``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

__all__ = ["run_presence"]


def run_presence(
    *args: str | Path,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    columns: int = 200,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """Run ``presence ARGS...`` (as ``python -m assistant``) and return what it did.

    ``env`` adds variables to this process's environment; ``columns`` is the terminal width
    the command believes it has.
    """
    environ = {k: v for k, v in os.environ.items() if k != "PRESENCE_CONFIG"}
    environ |= {"COLUMNS": str(columns), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "assistant", *map(str, args)],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
