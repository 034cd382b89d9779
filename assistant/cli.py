"""Where the ``presence`` command was before :mod:`assistant.commandline`; kept while the
area modules move there (issue 28), then removed."""

from __future__ import annotations

from assistant.commandline import build_parser, main
from assistant.commandline.terminal import (
    EXIT_CONFIG,
    EXIT_FAILURE,
    EXIT_OK,
    console,
    errors,
)
from assistant.commandline.terminal import config_arg as _config_arg
from assistant.commandline.terminal import load_config as _load

__all__ = [
    "EXIT_CONFIG",
    "EXIT_FAILURE",
    "EXIT_OK",
    "_config_arg",
    "_load",
    "build_parser",
    "console",
    "errors",
    "main",
]
