"""``presence eval``: each analysis measured against labelled data, the figures printed."""

from __future__ import annotations

import argparse
from pathlib import Path

from assistant.commandline.terminal import EXIT_CONFIG, EXIT_OK, Terminal
from assistant.commandline.types import Handler, Subcommands

__all__ = ["add_commands"]


def add_commands(sub: Subcommands) -> dict[str, Handler]:
    """Add ``eval``; return its handler."""
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
    return {"eval": cmd_eval}


def cmd_eval(args: argparse.Namespace, term: Terminal) -> int:
    """Score the reply linker or the unanswered-question detector on annotated logs."""
    # Each kind imports its own machinery (spaCy, the replay): none of it for --help.
    if args.eval_kind == "attendance":
        from assistant.commandline.importing import run_attendance

        return run_attendance(args.paths, term.out, term.err)
    if args.eval_kind == "topics":
        from assistant.commandline.summaries import run_topics_eval

        return run_topics_eval(args.paths, term.out, term.err, open_questions=args.open)
    if args.eval_kind == "openings":
        from assistant.openings.evaluate import run_openings_eval

        return run_openings_eval(args.paths, term.out, term.err, data=args.data)

    from assistant.nlp.disentangle_format import FormatError
    from assistant.nlp.evaluate import run_evaluation
    from assistant.nlp.reply_linker import ModelError

    try:
        run_evaluation(args.eval_kind, args.paths, term.out, model_path=args.model)
    except (FormatError, ModelError) as exc:
        return term.fail(str(exc), EXIT_CONFIG)
    return EXIT_OK
