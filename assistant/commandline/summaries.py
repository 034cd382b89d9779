"""``presence summary``: regenerate the summary of any past session, in any format.

``presence summary --last`` renders the latest session; ``presence summary 12`` session 12.
Without ``--out`` the rendering goes to standard output; with it, a file named after the
session's date and channel is written (atomically) into that folder.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from rich.markup import escape

from assistant.commandline.terminal import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    Terminal,
    config_arg,
)
from assistant.commandline.types import Handler, Subcommands
from assistant.config import Settings, load_settings
from assistant.events import irc_casefold
from assistant.storage.database import Database, missing_history
from assistant.summaries.catchup import (
    CatchupError,
    catchup_json,
    compose_catchup,
    parse_when,
    render_catchup,
)

if TYPE_CHECKING:
    from rich.console import Console

    from assistant.summaries.compose import HookCaller

__all__ = ["add_commands", "run_topics_eval", "summary_plugins"]

EXIT_NOTHING = EXIT_FAILURE
"""Nothing to show: no session yet, or none of that channel."""


def add_commands(sub: Subcommands) -> dict[str, Handler]:
    """Add ``presence summary`` to the ``presence`` command."""
    parser = sub.add_parser(
        "summary",
        help="regenerate the summary of a past session (Markdown, HTML, JSON or minutes)",
        description="Compose the summary of a recorded session again and render it.",
    )
    parser.add_argument(
        "session", nargs="?", type=int, metavar="SESSION", help="the session's id (a number)"
    )
    parser.add_argument("--last", action="store_true", help="the latest session")
    parser.add_argument(
        "--channel", default=None, help="with --last: the latest session in this channel"
    )
    parser.add_argument(
        "--format",
        "-f",
        dest="formats",
        action="append",
        choices=["md", "html", "json", "minutes"],
        help="md (default), html (with the timeline picture), json, or minutes (MeetBot-style); "
        "repeat it to write several with --out",
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="write into this folder instead of printing"
    )
    parser.add_argument(
        "--no-plugins",
        action="store_true",
        help="leave out the sections plugins add (their hooks are not called)",
    )
    config_arg(parser)
    brief = sub.add_parser(
        "brief",
        help="the pre-chat brief for a channel: who usually comes, open questions, topics",
        description="Compose the brief for the next scheduled chat in CHANNEL (or for now).",
    )
    brief.add_argument("channel", metavar="CHANNEL", help='e.g. "#bloggers"')
    brief.add_argument(
        "--network", default=None, help="the network (default: the only one with CHANNEL)"
    )
    config_arg(brief)
    catchup = sub.add_parser(
        "catchup",
        help="catch up on a channel: discussions, open questions, notable members, links",
        description="Summarise what was said in CHANNEL over a span (by default the last 2 h).",
    )
    catchup.add_argument("channel", metavar="CHANNEL", help='e.g. "#bloggers"')
    catchup.add_argument(
        "--network", default=None, help="the network (default: the only one with CHANNEL)"
    )
    catchup.add_argument(
        "--since",
        default="2h",
        help="where the span starts: how long before --until (2h, 90m, 1h30m, 2d) or when "
        "(2026-12-06T19:30, 19:30; read in [summaries] timezone without an offset); default 2h",
    )
    catchup.add_argument(
        "--until", default=None, help="where the span ends, in the same forms (default: now)"
    )
    catchup.add_argument("--json", action="store_true", help="print JSON instead of text")
    config_arg(catchup)
    return {"summary": cmd_summary, "brief": cmd_brief, "catchup": cmd_catchup}


def cmd_catchup(args: argparse.Namespace, term: Terminal) -> int:
    """Print the catch-up of a channel over a span."""
    return asyncio.run(_catchup(args, term))


async def _catchup(args: argparse.Namespace, term: Terminal) -> int:
    settings = load_settings(args.config)
    zone = ZoneInfo(settings.summaries.timezone)
    path = missing_history(settings)
    if path is not None:
        return term.fail(
            f"no database at {path}: nothing was recorded yet "
            f"(check [storage] path in {args.config})"
        )
    try:
        now = datetime.now(UTC)
        end = parse_when(args.until, now, zone, option="--until") if args.until else now
        start = parse_when(args.since, end, zone)
        async with await Database.open_settings(settings) as db:
            catchup = await compose_catchup(
                db, settings, network=args.network, channel=args.channel, start=start, end=end
            )
    except CatchupError as exc:
        return term.fail(str(exc))
    if args.json:
        term.json(catchup_json(catchup))
    if catchup.summary.messages:
        if not args.json:
            sys.stdout.write(render_catchup(catchup))
        return EXIT_OK
    before = catchup.last_before
    hint = (
        f"the latest line before it was said at {before.astimezone(zone):%Y-%m-%dT%H:%M}: "
        "start earlier with --since"
        if before is not None
        else "nothing was recorded there before it either"
    )
    first, last = (start.astimezone(zone), end.astimezone(zone))
    return term.fail(
        f"nothing was said in {catchup.summary.session.channel} "
        f"from {first:%Y-%m-%dT%H:%M} to {last:%Y-%m-%dT%H:%M}; {hint}",
        EXIT_NOTHING,
    )


def cmd_brief(args: argparse.Namespace, term: Terminal) -> int:
    """Print the pre-chat brief for a channel's next scheduled chat."""
    return asyncio.run(_brief(args, term))


async def _brief(args: argparse.Namespace, term: Terminal) -> int:
    from assistant.summaries.brief import compose_brief, render_brief, upcoming_briefs

    settings = load_settings(args.config)
    wanted = irc_casefold(args.channel)
    networks = [
        name
        for name, network in settings.networks.items()
        if (args.network is None or name == args.network)
        and any(irc_casefold(c.name) == wanted for c in network.channels)
    ]
    if len(networks) != 1:
        where = "no configured network has" if not networks else "several networks have"
        return term.fail(f"{where} the channel {args.channel}; name one with --network")
    path = missing_history(settings)
    if path is not None:
        return term.fail(f"no database at {path}")
    now = datetime.now(UTC)
    before = max(settings.summaries.brief_before, 1)
    upcoming = [
        due
        for due in upcoming_briefs(settings, now, before=before)
        if due.network == networks[0] and irc_casefold(due.channel) == wanted
    ]
    async with await Database.open_settings(settings) as db:
        brief = await compose_brief(
            db,
            settings,
            network=networks[0],
            channel=args.channel,
            starts_at=upcoming[0].starts_at if upcoming else now,
            name=upcoming[0].name if upcoming else "",
            series=upcoming[0].name if upcoming else None,
            timezone=upcoming[0].timezone if upcoming else settings.summaries.timezone,
        )
    sys.stdout.write(render_brief(brief))
    return EXIT_OK


def cmd_summary(args: argparse.Namespace, term: Terminal) -> int:
    """Compose the asked session's summary and print or write it."""
    if (args.session is None) == (not args.last):
        term.err.print(
            "Say which session: `presence summary SESSION` or `presence summary --last`."
        )
        return EXIT_USAGE
    return asyncio.run(_summary(args, term))


@asynccontextmanager
async def summary_plugins(
    settings: Settings, db: Database, *, enabled: bool = True
) -> AsyncIterator[HookCaller | None]:
    """The installed plugins, started to add their sections to summaries composed again.

    Yields the host's hook caller (None when ``enabled`` is false). Nothing is sent.
    """
    if not enabled:
        yield None
        return
    from assistant.plugins import PluginHost, discover_plugins

    async def no_send(network: str, target: str, text: str) -> None:
        """Nothing is sent while regenerating a summary."""

    # Every plugin but this area's own, whose start-up would schedule briefs.
    others = {n: c for n, c in discover_plugins().items() if n != "summaries"}
    sections = {n: v for n, v in settings.plugins.items() if n != "summaries"}
    host = PluginHost(
        settings.model_copy(update={"plugins": sections}), db, no_send, plugin_classes=others
    )
    await host.start()
    try:
        yield host.call
    finally:
        await host.stop()


async def _summary(args: argparse.Namespace, term: Terminal) -> int:
    from assistant.summaries.compose import SessionNotFound, compose_summary, find_session
    from assistant.summaries.deliver import SUFFIXES, file_stem, render, write_atomic

    settings = load_settings(args.config)
    path = missing_history(settings)
    if path is not None:
        return term.fail(
            f"no database at {path}: nothing was recorded yet "
            f"(check [storage] path in {args.config})"
        )
    formats = args.formats or ["md"]
    async with (
        await Database.open_settings(settings) as db,
        summary_plugins(settings, db, enabled=not args.no_plugins) as call,
    ):
        try:
            session_id = args.session
            if args.last:
                session_id = await db.run_in_thread(lambda c: find_session(c, args.channel))
            summary = await compose_summary(db, session_id, settings, call=call)
        except SessionNotFound as exc:
            return term.fail(str(exc))
    if args.out is None:
        import sys

        for fmt in formats:
            sys.stdout.write(render(summary, fmt))
        return EXIT_OK
    for fmt in formats:
        target = Path(args.out) / f"{file_stem(summary)}{SUFFIXES[fmt]}"
        await asyncio.to_thread(write_atomic, target, render(summary, fmt))
        term.out.print(f"Wrote {escape(str(target))}", highlight=False)
    return EXIT_OK


def run_topics_eval(
    paths: list[Path], console: Console, errors: Console, *, open_questions: bool = False
) -> int:
    """``presence eval topics``: per-meeting matches and the summary line (2 on a bad path)."""

    from assistant.connectors.replay.translate import ReplayError
    from assistant.summaries.gold_topics import GoldError
    from assistant.summaries.topics_eval import evaluate_topics

    try:
        evaluate_topics(paths, console, open_questions=open_questions)
    except (GoldError, ReplayError) as exc:
        errors.print(f"[bold red]Error[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        return EXIT_USAGE
    return EXIT_OK
