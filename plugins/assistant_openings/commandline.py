"""``presence relationship PERSON`` and ``presence openings --replay PATH``: the plugin's commands.

``presence`` adds them through ``OpeningsPlugin.commandline``, after the core's commands.
Kept light at import time: the handlers import what they need.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from rich.markup import escape

from assistant import Database, OpeningsSettings
from assistant.commandline import (
    EXIT_OK,
    EXIT_USAGE,
    EvalKind,
    Handler,
    Subcommands,
    Terminal,
    config_arg,
)
from assistant.config import load_settings, plugin_table
from assistant_openings.ledger import Ledger
from assistant_openings.notability import build_notability
from assistant_openings.store import MIGRATIONS_BY_DIALECT, OpeningsStore

__all__ = ["add_commands", "eval_kinds"]


def add_commands(sub: Subcommands) -> dict[str, Handler]:
    """Add ``relationship`` and ``openings`` to ``presence``."""
    rel = sub.add_parser(
        "relationship", help="show your exchanges with a notable member and whether to ask yet"
    )
    rel.add_argument("person", help="the watchlist name (or a nick) of the notable member")
    config_arg(rel)

    op = sub.add_parser("openings", help="find openings in a chat log (replay mode)")
    op.add_argument("--replay", type=Path, required=True, metavar="PATH", help="the chat log")
    op.add_argument(
        "--format",
        default="auto",
        help="log format (auto detects: ubuntu, meetbot, irssi, weechat, znc, ...)",
    )
    op.add_argument("--owner", required=True, metavar="NICK", help="the nick playing you")
    op.add_argument(
        "--notable",
        action="append",
        default=[],
        metavar="NAME",
        help="a notable member: name#1234, a name, a user id or a nick (repeat)",
    )
    op.add_argument(
        "--interests", default="", help='your interests, comma-separated: "podcasting, seo"'
    )
    op.add_argument("--pipeline", default="", help="spaCy pipeline (default: best installed)")
    op.add_argument(
        "--held", action="store_true", help="also print the openings held back, with the reason"
    )
    return {"relationship": cmd_relationship, "openings": cmd_openings}


def eval_kinds() -> dict[str, EvalKind]:
    """``presence eval openings``: surfaced openings against judged moments."""
    return {
        "openings": EvalKind(
            "surfaced openings vs. judged moments (PATH: label .json files or folders; "
            "see docs/openings-labels.md)",
            cmd_eval_openings,
        )
    }


def cmd_eval_openings(args: argparse.Namespace, term: Terminal) -> int:
    """Replay each labelled log and score the openings found against the judged moments."""
    from assistant_openings.evaluate import run_openings_eval

    return run_openings_eval(args.paths, term.out, term.err, data=args.data)


def cmd_relationship(args: argparse.Namespace, term: Terminal) -> int:
    """Print the ledger's counts and stage for one notable member."""

    settings = load_settings(args.config)
    pacing = plugin_table(settings, "openings", OpeningsSettings).pacing
    found = build_notability(settings).find(args.person)
    name = found.name if found is not None else args.person

    async def read() -> list[str]:
        db = await Database.open_settings(settings)
        try:
            await db.apply_migrations("plugin:openings", MIGRATIONS_BY_DIALECT)
            store = OpeningsStore(db, settings.owner.history_key)
            await store.claim_unowned()
            ledger = Ledger(name, (await store.exchanges()).get(name, []))
        finally:
            await db.close()
        return ledger.relationship(pacing).explain()

    for line in asyncio.run(read()):
        term.out.print(line, highlight=False, markup=False)
    if found is None:
        term.out.print(f"({args.person} is not on your watchlist)", style="yellow")
    return EXIT_OK


def cmd_openings(args: argparse.Namespace, term: Terminal) -> int:
    """Replay a log and print each opening as one JSON line."""

    from assistant.connectors.replay import ReplayError
    from assistant_openings.replay import replay_log

    if not args.notable:
        term.err.print("name at least one notable member: --notable NICK", highlight=False)
        return EXIT_USAGE
    interests = [i.strip() for i in args.interests.split(",") if i.strip()]

    def warn(text: str) -> None:
        term.err.print(f"[yellow]![/] {escape(text)}", highlight=False, markup=True, soft_wrap=True)

    try:
        found = asyncio.run(
            replay_log(
                args.replay,
                owner=args.owner,
                notables=args.notable,
                interests=interests,
                log_format=args.format,
                out=sys.stdout,
                pipeline=args.pipeline,
                show_held=args.held,
                warn=warn,
            )
        )
    except ReplayError as exc:
        term.err.print(f"[bold red]Error[/] {exc}", highlight=False, markup=True)
        return EXIT_USAGE
    term.err.print(f"{len(found)} opening(s)", highlight=False)
    return EXIT_OK
