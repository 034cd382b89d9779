"""Setting up: ``presence init`` writes an example configuration, ``config check`` reads one."""

from __future__ import annotations

import argparse
import os
from importlib import resources
from pathlib import Path

from rich.markup import escape

from assistant.commandline.terminal import (
    DEFAULT_CONFIG,
    EXIT_CONFIG,
    EXIT_OK,
    Terminal,
    config_arg,
    load_config,
)
from assistant.commandline.types import Handler, Subcommands
from assistant.doctor import secret_names

__all__ = ["add_commands"]


def add_commands(sub: Subcommands) -> dict[str, Handler]:
    """Add ``init`` and ``config check``; return their handlers by name."""
    init = sub.add_parser("init", help="write a commented example configuration")
    init.add_argument("path", nargs="?", type=Path, default=Path(DEFAULT_CONFIG))
    init.add_argument("--force", action="store_true", help="overwrite an existing file")

    config = sub.add_parser("config", help="work with the configuration file")
    config_sub = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    check = config_sub.add_parser("check", help="validate a configuration file")
    config_arg(check)
    return {"init": cmd_init, "config": cmd_config_check}


def cmd_init(args: argparse.Namespace, term: Terminal) -> int:
    """Write the commented example configuration."""
    path: Path = args.path
    if path.exists() and not args.force:
        term.err.print(f"{path} already exists; use --force to overwrite it", highlight=False)
        return EXIT_CONFIG
    example = resources.files("assistant").joinpath("templates/presence.example.toml")
    path.write_text(example.read_text(encoding="utf-8"), encoding="utf-8")
    term.out.print(f"Wrote {path}. Edit it, then run: presence config check --config {path}")
    return EXIT_OK


def cmd_config_check(args: argparse.Namespace, term: Terminal) -> int:
    """Validate a configuration file and summarise what it configures."""
    settings = load_config(args.config)

    channels = sum(len(n.channels) for n in settings.networks.values())
    missing = [name for name in secret_names(settings) if name not in os.environ]
    term.out.print(
        f"[green]✓[/] {args.config} is valid: {len(settings.networks)} network(s), "
        f"{channels} channel(s), {len(settings.watchlist)} watched member(s), "
        f"{len(settings.interests)} interest(s)",
        highlight=False,
    )
    for name in missing:
        term.out.print(
            f"[yellow]![/] environment variable {name} is not set; export it before `presence run`",
            highlight=False,
        )
    # The check opens the database: imported only when a check runs.
    from assistant.people.watchlist import check_identities

    for warning in check_identities(settings):
        term.out.print(f"[yellow]![/] {escape(warning)}", highlight=False, soft_wrap=True)
    return EXIT_OK
