"""``presence doctor``: the checks of :mod:`assistant.doctor`, one line per concern."""

from __future__ import annotations

import argparse
from pathlib import Path

from assistant.commandline.terminal import Terminal
from assistant.commandline.types import Handler, Subcommands
from assistant.doctor import run_doctor

__all__ = ["add_commands"]


def add_commands(sub: Subcommands) -> dict[str, Handler]:
    """Add ``doctor`` to the ``presence`` subcommands."""
    doctor = sub.add_parser(
        "doctor",
        help="check this install: Python, spaCy pipeline, config, secrets, database, IRC daemon",
    )
    doctor.add_argument(
        "--config",
        "-c",
        type=Path,
        default=None,
        help="configuration file (default: $PRESENCE_CONFIG or presence.toml, when present)",
    )
    doctor.add_argument(
        "--online",
        action="store_true",
        help="also resolve and connect to each configured server (nothing is contacted otherwise)",
    )
    return {"doctor": cmd_doctor}


def cmd_doctor(args: argparse.Namespace, term: Terminal) -> int:
    """Print one line per check; exit 1 when something needs fixing."""
    return run_doctor(term.out, args.config, online=args.online)
