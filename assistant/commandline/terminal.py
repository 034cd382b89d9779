"""What every command shares: the terminal it prints to, the exit statuses, ``--config``.

Exit statuses: 0 success, 1 runtime failure, 2 a configuration or usage problem the user
must fix (the message says where and how).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape

from assistant.config import ConfigError, Settings, load_settings

__all__ = [
    "DEFAULT_CONFIG",
    "EXIT_CONFIG",
    "EXIT_FAILURE",
    "EXIT_OK",
    "EXIT_USAGE",
    "Terminal",
    "config_arg",
    "load_config",
]

EXIT_OK, EXIT_FAILURE, EXIT_CONFIG = 0, 1, 2
EXIT_USAGE = EXIT_CONFIG
"""A command asked for something that is not there (no such person, no session yet)."""
DEFAULT_CONFIG = "presence.toml"


@dataclass(frozen=True, slots=True)
class Terminal:
    """Where one run of ``presence`` prints: results on ``out``, problems and logs on ``err``.

    :func:`assistant.commandline.main` makes one per run and hands it to the command, so
    the consoles see the environment of that run (``COLUMNS``, ``NO_COLOR``, a test's
    ``FORCE_COLOR``) rather than the one the module was imported in.
    """

    out: Console
    err: Console

    @classmethod
    def open(cls) -> Terminal:
        """Consoles on standard output and standard error."""
        return cls(Console(), Console(stderr=True))

    def fail(self, message: str, status: int = EXIT_USAGE) -> int:
        """Say ``Error <message>`` on standard error (the message as written, never markup)."""
        self.err.print(f"[bold red]Error[/] {escape(message)}", highlight=False, soft_wrap=True)
        return status

    def config_error(self, exc: ConfigError) -> int:
        """Tell the user each configuration problem, one per line; the status to return."""
        self.err.print("[bold red]Configuration error[/]", highlight=False)
        for problem in exc.problems:
            self.err.print(f"  • {problem}", highlight=False, markup=False)
        return EXIT_CONFIG

    def json(self, data: object) -> None:
        """Print ``data`` as indented JSON for ``--json``: plain text, no Rich styling."""
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")

    def log_to_err(self, *, verbose: bool) -> None:
        """Send logging to standard error through Rich; ``--verbose`` shows debug details."""
        logging.basicConfig(
            level=logging.DEBUG if verbose else logging.INFO,
            format="%(message)s",
            datefmt="[%X]",
            handlers=[RichHandler(console=self.err, show_path=False, rich_tracebacks=True)],
        )


def config_arg(parser: argparse.ArgumentParser, what: str = "") -> None:
    """Give a command the ``--config``/``-c`` option every configured command takes.

    ``what`` says what the command reads from it (" naming the database"), for ``--help``.
    """
    parser.add_argument(
        "--config",
        "-c",
        type=Path,
        default=Path(os.environ.get("PRESENCE_CONFIG", DEFAULT_CONFIG)),
        help=f"configuration file{what} (default: $PRESENCE_CONFIG or {DEFAULT_CONFIG})",
    )


def load_config(path: Path) -> Settings:
    """The settings in ``path``, the plugins' own sections checked too (ConfigError if not)."""
    from assistant.plugins import validate_plugin_settings  # loads the plugins: not for --help

    settings = load_settings(path)
    validate_plugin_settings(settings)
    return settings
