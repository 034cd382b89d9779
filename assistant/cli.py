"""The ``presence`` command: set up a config, check it, run the assistant, ask it questions.

Exit statuses: 0 success, 1 runtime failure, 2 a configuration or usage problem the user
must fix (the message says where and how).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from importlib import import_module, resources
from pathlib import Path

from rich.console import Console
from rich.logging import RichHandler

from assistant.config import ConfigError, Settings, load_settings
from assistant.version import presence_version

__all__ = ["main"]

EXIT_OK, EXIT_FAILURE, EXIT_CONFIG = 0, 1, 2
DEFAULT_CONFIG = "presence.toml"

console = Console()
errors = Console(stderr=True)

Handler = Callable[[argparse.Namespace], int]

# Each area that answers the owner's questions adds its subcommands from its own module, so
# this file stays the entry point rather than a list of every feature. An area module has
# ``add_commands(sub) -> dict[str, Handler]``: it adds parsers to ``sub`` (the subparsers of
# ``presence``) and returns the handler of each command name it added. Keep its top-level
# imports light (argparse, pathlib): heavy imports belong inside the handlers.
AREA_COMMANDS: tuple[str, ...] = (
    "assistant.sessions.cli",
    "assistant.importers.cli",
    "assistant.people.cli",
    "assistant.storage.cli",
    "assistant.openings.cli",
    "assistant.summaries.cli",
    "assistant.connectors.replay.cli",
    "assistant.doctor",
    "assistant.web.cli",
)


def _config_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        "-c",
        type=Path,
        default=Path(os.environ.get("PRESENCE_CONFIG", DEFAULT_CONFIG)),
        help=f"configuration file (default: $PRESENCE_CONFIG or {DEFAULT_CONFIG})",
    )


def build_parser(area_handlers: dict[str, Handler] | None = None) -> argparse.ArgumentParser:
    """Describe every subcommand; ``presence --help`` prints this.

    The handlers of the area modules' commands are added to ``area_handlers`` when given.
    """
    parser = argparse.ArgumentParser(
        prog="presence",
        description="Presence attends your community chats, records who came and what they "
        "talked about, and tells you privately when to join in.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    parser.add_argument("--version", action="version", version=f"presence {presence_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    init = sub.add_parser("init", help="write a commented example configuration")
    init.add_argument("path", nargs="?", type=Path, default=Path(DEFAULT_CONFIG))
    init.add_argument("--force", action="store_true", help="overwrite an existing file")

    config = sub.add_parser("config", help="work with the configuration file")
    config_sub = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    check = config_sub.add_parser("check", help="validate a configuration file")
    _config_arg(check)

    run = sub.add_parser("run", help="attend the configured chats until stopped (Ctrl-C)")
    _config_arg(run)

    demo = sub.add_parser(
        "demo", help="start a local IRC server, attend a scripted chat, print what was recorded"
    )
    demo.add_argument(
        "--keep", type=Path, default=None, help="keep the demo's config and database in this folder"
    )
    demo.add_argument(
        "--web", action="store_true", help="then serve the dashboard of the chat until Ctrl-C"
    )

    evaluate = sub.add_parser(
        "eval", help="measure reply linking or unanswered questions on annotated IRC logs"
    )
    evaluate.add_argument(
        "eval_kind",
        choices=["replies", "unanswered", "attendance", "topics", "openings"],
        metavar="ACTION",
        help="replies: reply-link precision/recall/F1; unanswered: unanswered-question P/R/F1; "
        "attendance: MeetBot people present (PATH: X.log.txt with X.txt minutes, or a folder); "
        "topics: summary topics vs. human minutes (PATH: W3C CCG folders with irc.log and "
        "email.log, MeetBot X.log.txt with X.txt, or folders holding them); "
        "openings: surfaced openings vs. judged moments (PATH: label .json files or folders; "
        "see docs/openings-labels.md)",
    )
    evaluate.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="an X.raw.txt with X.annotation.txt beside it, or a folder of such pairs",
    )
    evaluate.add_argument(
        "--open",
        action="store_true",
        help="topics: also print each meeting's unanswered questions with the next line in "
        "their thread, to check by hand",
    )
    evaluate.add_argument(
        "--data",
        type=Path,
        default=Path("..") / "shared" / "data",
        help="openings: the folder the label files' logs are relative to (default ../shared/data)",
    )
    evaluate.add_argument(
        "--model",
        type=Path,
        default=None,
        help="reply-linker parameters (default: the ones shipped with Presence)",
    )
    for module in AREA_COMMANDS:
        added = import_module(module).add_commands(sub)
        if area_handlers is not None:
            area_handlers.update(added)
    return parser


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        datefmt="[%X]",
        handlers=[RichHandler(console=errors, show_path=False, rich_tracebacks=True)],
    )


def _report_config_error(exc: ConfigError) -> int:
    errors.print("[bold red]Configuration error[/]", highlight=False)
    for problem in exc.problems:
        errors.print(f"  • {problem}", highlight=False, markup=False)
    return EXIT_CONFIG


def _load(path: Path) -> Settings:
    from assistant.plugins import validate_plugin_settings

    settings = load_settings(path)
    validate_plugin_settings(settings)
    return settings


def cmd_init(args: argparse.Namespace) -> int:
    """Write the commented example configuration."""
    path: Path = args.path
    if path.exists() and not args.force:
        errors.print(f"{path} already exists; use --force to overwrite it", highlight=False)
        return EXIT_CONFIG
    example = resources.files("assistant").joinpath("templates/presence.example.toml")
    path.write_text(example.read_text(encoding="utf-8"), encoding="utf-8")
    console.print(f"Wrote {path}. Edit it, then run: presence config check --config {path}")
    return EXIT_OK


def cmd_config_check(args: argparse.Namespace) -> int:
    """Validate a configuration file and summarise what it configures."""
    settings = _load(args.config)
    from assistant.doctor import secret_names

    channels = sum(len(n.channels) for n in settings.networks.values())
    missing = [name for name in secret_names(settings) if name not in os.environ]
    console.print(
        f"[green]✓[/] {args.config} is valid: {len(settings.networks)} network(s), "
        f"{channels} channel(s), {len(settings.watchlist)} watched member(s), "
        f"{len(settings.interests)} interest(s)",
        highlight=False,
    )
    for name in missing:
        console.print(
            f"[yellow]![/] environment variable {name} is not set; export it before `presence run`",
            highlight=False,
        )
    import_module("assistant.openings.check").report_identities(settings, console)
    return EXIT_OK


async def _run(settings: Settings) -> None:
    from assistant.app import Assistant

    assistant = Assistant(settings)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, assistant.request_stop)
    gc.freeze()  # modules and settings live for good: full collections in a flood skip them
    await assistant.run()


def cmd_run(args: argparse.Namespace) -> int:
    """Attend the configured chats until SIGINT/SIGTERM."""
    settings = _load(args.config)
    if not settings.networks:
        raise ConfigError([f"{args.config}: networks: no network configured; add [networks.NAME]"])
    asyncio.run(_run(settings))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the scripted demo chat against a local IRC server."""
    from assistant.demo import run_demo

    return asyncio.run(run_demo(console, keep=args.keep, web=args.web))


def cmd_eval(args: argparse.Namespace) -> int:
    """Score the reply linker or the unanswered-question detector on annotated logs."""
    from rich.markup import escape

    if args.eval_kind == "attendance":
        from assistant.importers.cli import run_attendance

        return run_attendance(args.paths, console, errors)
    if args.eval_kind == "topics":
        from assistant.summaries.cli import run_topics_eval

        return run_topics_eval(args.paths, console, errors, open_questions=args.open)
    if args.eval_kind == "openings":
        from assistant.openings.evaluate import run_openings_eval

        return run_openings_eval(args.paths, console, errors, data=args.data)

    from assistant.nlp.disentangle_format import FormatError
    from assistant.nlp.evaluate import run_evaluation
    from assistant.nlp.reply_linker import ModelError

    try:
        run_evaluation(args.eval_kind, args.paths, console, model_path=args.model)
    except (FormatError, ModelError) as exc:
        errors.print(f"[bold red]Error[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        return EXIT_CONFIG
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``presence`` console script."""
    handlers: dict[str, Handler] = {}
    args = build_parser(handlers).parse_args(argv)
    _setup_logging(args.verbose)
    handlers |= {
        "init": cmd_init,
        "config": cmd_config_check,
        "run": cmd_run,
        "demo": cmd_demo,
        "eval": cmd_eval,
    }
    try:
        return handlers[args.command](args)
    except ConfigError as exc:
        return _report_config_error(exc)
    except KeyboardInterrupt:
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
