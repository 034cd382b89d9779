"""The shapes an area's command module has: its handlers and the subparsers it adds to."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.commandline.terminal import Terminal

__all__ = ["EvalKind", "Handler", "Subcommands"]

Handler = Callable[[argparse.Namespace, Terminal], int]
"""Runs one command with its parsed arguments, printing to the terminal; the exit status."""
if TYPE_CHECKING:
    Subcommands = argparse._SubParsersAction[argparse.ArgumentParser]
else:  # not subscriptable at run time
    Subcommands = argparse._SubParsersAction
"""The subparsers of ``presence`` (argparse offers no public name for their type)."""


@dataclass(frozen=True)
class EvalKind:
    """One kind of ``presence eval`` a plugin adds (its command module's ``eval_kinds()``)."""

    help: str
    """What ``presence eval --help`` says of it after ``KIND:`` (the measure, and its PATHs)."""
    run: Handler
    """Runs it with the parsed ``eval`` arguments (``args.paths``, ``args.data``, ...)."""
