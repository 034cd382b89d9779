"""What every command shares: where output goes, the exit statuses, the ``--config`` option.

Exit statuses: 0 success, 1 runtime failure, 2 a configuration or usage problem the user
must fix (the message says where and how).
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

from rich.console import Console
from rich.logging import RichHandler

from assistant.config import ConfigError, Settings, load_settings

__all__ = [
    "DEFAULT_CONFIG",
    "EXIT_CONFIG",
    "EXIT_FAILURE",
    "EXIT_OK",
    "EXIT_USAGE",
    "config_arg",
    "console",
    "errors",
    "load_config",
    "report_config_error",
    "setup_logging",
]

EXIT_OK, EXIT_FAILURE, EXIT_CONFIG = 0, 1, 2
EXIT_USAGE = EXIT_CONFIG
"""A command asked for something that is not there (no such person, no session yet)."""
DEFAULT_CONFIG = "presence.toml"

console = Console()
errors = Console(stderr=True)


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


def setup_logging(verbose: bool) -> None:
    """Log to standard error through Rich; ``--verbose`` shows debug details."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        datefmt="[%X]",
        handlers=[RichHandler(console=errors, show_path=False, rich_tracebacks=True)],
    )


def report_config_error(exc: ConfigError) -> int:
    """Tell the user each configuration problem, one per line; the exit status to return."""
    errors.print("[bold red]Configuration error[/]", highlight=False)
    for problem in exc.problems:
        errors.print(f"  • {problem}", highlight=False, markup=False)
    return EXIT_CONFIG


def load_config(path: Path) -> Settings:
    """The settings in ``path``, the plugins' own sections checked too (ConfigError if not)."""
    from assistant.plugins import validate_plugin_settings  # loads the plugins: not for --help

    settings = load_settings(path)
    validate_plugin_settings(settings)
    return settings
