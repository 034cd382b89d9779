"""``presence eval``: each analysis measured against labelled data, the figures printed."""

from __future__ import annotations

import argparse
from importlib import import_module
from pathlib import Path

from assistant.commandline.terminal import EXIT_CONFIG, EXIT_OK, Terminal
from assistant.commandline.types import EvalKind, Handler, Subcommands
from assistant.plugin_loading import plugin_command_modules

__all__ = ["add_commands"]


_CORE_KINDS = {
    "replies": "reply-link precision/recall/F1",
    "unanswered": "unanswered-question P/R/F1",
    "attendance": "MeetBot people present (PATH: X.log.txt with X.txt minutes, or a folder)",
    "topics": "summary topics vs. human minutes (PATH: W3C CCG folders with irc.log and "
    "email.log, MeetBot X.log.txt with X.txt, or folders holding them)",
}


def plugin_eval_kinds() -> dict[str, EvalKind]:
    """The kinds of ``presence eval`` the installed plugins' command modules add."""
    kinds: dict[str, EvalKind] = {}
    for module in plugin_command_modules():
        found = getattr(import_module(module), "eval_kinds", None)
        if found is not None:
            kinds.update({k: v for k, v in found().items() if k not in _CORE_KINDS})
    return kinds


def add_commands(sub: Subcommands) -> dict[str, Handler]:
    """Add ``eval``; return its handler."""
    evaluate = sub.add_parser(
        "eval", help="measure reply linking or unanswered questions on annotated IRC logs"
    )
    plugins = plugin_eval_kinds()
    helps = {**_CORE_KINDS, **{kind: found.help for kind, found in plugins.items()}}
    evaluate.add_argument(
        "eval_kind",
        choices=list(helps),
        metavar="ACTION",
        help="; ".join(f"{kind}: {text}" for kind, text in helps.items()),
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

    def run(args: argparse.Namespace, term: Terminal) -> int:
        found = plugins.get(args.eval_kind)
        return found.run(args, term) if found is not None else cmd_eval(args, term)

    return {"eval": run}


def cmd_eval(args: argparse.Namespace, term: Terminal) -> int:
    """Score the reply linker or the unanswered-question detector on annotated logs."""
    # Each kind imports its own machinery (spaCy, the replay): none of it for --help.
    if args.eval_kind == "attendance":
        from assistant.commandline.importing import run_attendance

        return run_attendance(args.paths, term.out, term.err)
    if args.eval_kind == "topics":
        from assistant.commandline.summaries import run_topics_eval

        return run_topics_eval(args.paths, term.out, term.err, open_questions=args.open)

    from assistant.nlp.disentangle_format import FormatError
    from assistant.nlp.evaluate import run_evaluation
    from assistant.nlp.reply_linker import ModelError

    try:
        run_evaluation(args.eval_kind, args.paths, term.out, model_path=args.model)
    except (FormatError, ModelError) as exc:
        return term.fail(str(exc), EXIT_CONFIG)
    return EXIT_OK
