"""The ``presence`` command: the parser, and one module per area that adds its subcommands.

The command line sits above the domain packages: it imports them, and none of them
imports it (``tests/test_layout.py`` checks). Each module in :data:`COMMAND_MODULES` has
``add_commands(sub) -> dict[str, Handler]``: it adds its parsers to ``sub`` (the
subparsers of ``presence``) and returns the handler of each command name it added, in the
order ``presence --help`` lists them. A handler takes the parsed arguments and the
:class:`~assistant.commandline.terminal.Terminal` of the run (its consoles and error
reporting) and returns the exit status. A plugin adds commands of its own the same way,
through a module its class names (``Plugin.commandline``); they follow the core's, by
plugin name. Such a module may also have ``eval_kinds() -> dict[str, EvalKind]``, kinds of
``presence eval`` of its own. The names it may use are this package's ``__all__``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module

from assistant.commandline.terminal import (
    EXIT_CONFIG,
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    Terminal,
    config_arg,
)
from assistant.commandline.types import EvalKind, Handler, Subcommands
from assistant.config import ConfigError
from assistant.plugin_loading import plugin_command_modules
from assistant.version import presence_version

__all__ = [
    "COMMAND_MODULES",
    "EXIT_CONFIG",
    "EXIT_FAILURE",
    "EXIT_OK",
    "EXIT_USAGE",
    "EvalKind",
    "Handler",
    "Subcommands",
    "Terminal",
    "build_parser",
    "config_arg",
    "main",
]

COMMAND_MODULES: tuple[str, ...] = (
    "assistant.commandline.config",
    "assistant.commandline.running",
    "assistant.commandline.evaluate",
    "assistant.commandline.sessions",
    "assistant.commandline.importing",
    "assistant.commandline.people",
    "assistant.commandline.db",
    "assistant.commandline.summaries",
    "assistant.commandline.replay",
    "assistant.commandline.doctor",
    "assistant.commandline.web",
)


def build_parser(handlers: dict[str, Handler] | None = None) -> argparse.ArgumentParser:
    """Describe every subcommand; ``presence --help`` prints this.

    The handler of each command is added to ``handlers`` when given.
    """
    parser = argparse.ArgumentParser(
        prog="presence",
        description="Presence attends your community chats, records who came and what they "
        "talked about, and tells you privately when to join in.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    parser.add_argument("--version", action="version", version=f"presence {presence_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (*COMMAND_MODULES, *plugin_command_modules()):
        added = import_module(module).add_commands(sub)
        if handlers is not None:
            handlers.update(added)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``presence`` console script."""
    handlers: dict[str, Handler] = {}
    args = build_parser(handlers).parse_args(argv)
    term = Terminal.open()
    term.log_to_err(verbose=args.verbose)
    try:
        return handlers[args.command](args, term)
    except ConfigError as exc:
        return term.config_error(exc)
    except KeyboardInterrupt:
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
