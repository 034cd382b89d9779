"""Attending chats: ``presence run`` until stopped, and ``presence demo`` on a local server."""

from __future__ import annotations

import argparse
import asyncio
import gc
import signal
from pathlib import Path

from assistant.commandline.terminal import EXIT_OK, Terminal, config_arg, load_config
from assistant.commandline.types import Handler, Subcommands
from assistant.config import ConfigError, Settings

__all__ = ["add_commands"]


def add_commands(sub: Subcommands) -> dict[str, Handler]:
    """Add ``run`` and ``demo``; return their handlers by name."""
    run = sub.add_parser("run", help="attend the configured chats until stopped (Ctrl-C)")
    config_arg(run)

    demo = sub.add_parser(
        "demo", help="start a local IRC server, attend a scripted chat, print what was recorded"
    )
    demo.add_argument(
        "--keep", type=Path, default=None, help="keep the demo's config and database in this folder"
    )
    demo.add_argument(
        "--web", action="store_true", help="then serve the dashboard of the chat until Ctrl-C"
    )
    return {"run": cmd_run, "demo": cmd_demo}


async def _run(settings: Settings) -> None:
    from assistant.app import Assistant

    assistant = Assistant(settings)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, assistant.request_stop)
    gc.freeze()  # modules and settings live for good: full collections in a flood skip them
    await assistant.run()


def cmd_run(args: argparse.Namespace, term: Terminal) -> int:
    """Attend the configured chats until SIGINT/SIGTERM."""
    settings = load_config(args.config)
    if not settings.networks:
        raise ConfigError([f"{args.config}: networks: no network configured; add [networks.NAME]"])
    asyncio.run(_run(settings))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace, term: Terminal) -> int:
    """Run the scripted demo chat against a local IRC server."""
    from assistant.demo import run_demo

    return asyncio.run(run_demo(term.out, keep=args.keep, web=args.web))
