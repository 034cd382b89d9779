"""``presence eval openings LABELS...``: replay labelled logs and score the openings surfaced.

Each label file's logs are read in order into one chat (the first log's channel for all),
replayed through :func:`~assistant_openings.replay.replay_events` — the code behind
``presence openings --replay`` — with the owner, notables and interests the file names.
Every event keeps its source position beside it (``file``, ``n``): ``n`` is the 0-based
record of a CSV export and the 0-based line of any other log (for the #ubuntu raw format,
the corpus's message id). Each surfaced opening is placed at the event behind it and matched
to the labelled moments by the rule in :mod:`~assistant_openings.matching`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from assistant import ChannelEvent, Event, MessageReceived
from assistant.connectors.replay.translate import ReplayError, read_replay_records
from assistant.openings import Opening
from assistant_openings.labels import KINDS, LabelError, LabelFile, Moment, label_paths, load_labels
from assistant_openings.matching import Judged, Placed, match, score

__all__ = [
    "DEFAULT_DATA",
    "Chat",
    "evaluate_openings",
    "judge_file",
    "place",
    "read_chat",
    "run_openings_eval",
]

DEFAULT_DATA = Path("..") / "shared" / "data"


@dataclass(slots=True)
class Chat:
    """A label file's logs read as one chat: events, each one's (file, n), and log sizes."""

    events: list[Event]
    positions: list[tuple[str, int]]
    sizes: dict[str, int]
    """How many records (CSV) or lines (other logs) each file has: the bound of ``n``."""


def read_chat(labels: LabelFile, data: Path) -> Chat:
    """Read the label file's logs from ``data``, and check its moments against them.

    Raises:
        LabelError: a log is missing or a moment's ``n`` is past the end of its file.
        ReplayError: a log cannot be read as a chat log.
    """
    chat = Chat([], [], {})
    channel: str | None = None
    for name in labels.logs:
        path = data / name
        if not path.is_file():
            raise LabelError(f"{labels.path}: log {name} not found in {data}")
        by_record = path.suffix.lower() == ".csv"
        size = 0
        for ordinal, (number, events) in enumerate(
            read_replay_records(path, channel=channel, network="replay")
        ):
            n = ordinal if by_record else number - 1
            size = ordinal + 1
            for event in events:
                if channel is None and isinstance(event, ChannelEvent):
                    channel = event.channel
                chat.events.append(event)
                chat.positions.append((name, n))
        chat.sizes[name] = size if by_record else _line_count(path)
    for index, moment in enumerate(labels.moments):
        if moment.n >= chat.sizes[moment.file]:
            raise LabelError(
                f"{labels.path}: moment {index} ({moment.file} n={moment.n}): past the end "
                f"of the log ({chat.sizes[moment.file]} messages)"
            )
    return chat


def _line_count(path: Path) -> int:
    from assistant.importers.reading import read_log

    return len(read_log(path).lines)


def place(openings: Sequence[Opening], chat: Chat) -> list[Placed]:
    """Place each opening at the replayed event behind it.

    The event is the message with the opening's message id if one has it; else an event by
    the opening's nick at its message time with its text (a join for a textless opening),
    the ``#k`` the analyzer adds to a repeated key picking the k-th such message.
    """
    by_id: dict[str, int] = {}
    by_when: dict[tuple[str, float], list[int]] = defaultdict(list)
    for i, event in enumerate(chat.events):
        if isinstance(event, MessageReceived) and event.message_id:
            by_id.setdefault(event.message_id, i)
        if isinstance(event, ChannelEvent):
            by_when[event.actor.nick, event.timestamp.timestamp()].append(i)
    placed = []
    for opening in openings:
        c = opening.candidate
        found = by_id.get(c.message_id or "")
        if found is None:
            same = by_when.get((c.nick, c.at.timestamp()), [])
            texts = [i for i in same if _text(chat.events[i]) == c.text]
            _, _, suffix = (c.message_id or "").partition("#")
            k = int(suffix) - 1 if suffix.isdigit() else 0
            pool = texts or same
            found = pool[min(k, len(pool) - 1)] if pool else None
        file, n = chat.positions[found] if found is not None else ("?", None)
        placed.append(Placed(file, n, c.person.name, c.kind, opening.score))
    return placed


def _text(event: Event) -> str:
    return event.text if isinstance(event, MessageReceived) else ""


async def judge_file(labels: LabelFile, data: Path, errors: Console) -> list[Judged]:
    """Replay one label file's logs and match the openings surfaced to its moments."""
    from assistant_openings.replay import replay_events

    chat = read_chat(labels, data)
    if not chat.events:
        raise ReplayError(f"{labels.path}: its logs have no lines to replay")

    def warn(text: str) -> None:
        errors.print(f"[yellow]![/] {escape(text)}", highlight=False, soft_wrap=True)

    sent = await replay_events(
        chat.events,
        name=", ".join(labels.logs),
        owner=labels.owner,
        notables=labels.notables,
        interests=labels.interests,
        warn=warn,
    )
    return match(place(sent, chat), labels.moments)


def _percent(value: float) -> str:
    return f"{100 * value:.1f}"


def evaluate_openings(
    paths: list[Path], console: Console, errors: Console, data: Path = DEFAULT_DATA
) -> None:
    """Replay every label file, print a table per kind, the unjudged openings, and the line.

    Raises:
        LabelError: a label file is wrong.
        ReplayError: a log cannot be replayed.
    """
    import asyncio

    files = [load_labels(path) for path in label_paths(paths)]
    if not files:
        raise LabelError("no label files found (name .json files or folders holding them)")
    judged: list[Judged] = []
    moments: list[Moment] = []
    for labels in files:
        judged.extend(asyncio.run(judge_file(labels, data, errors)))
        moments.extend(labels.moments)

    table = Table(title="openings by kind", box=box.SIMPLE_HEAD, show_edge=False)
    for column in ("kind", "surfaced", "good", "bad", "unjudged", "good moments", "recall"):
        table.add_column(column, justify="left" if column == "kind" else "right", no_wrap=True)
    kinds = sorted(KINDS | {j.opening.kind for j in judged})
    for kind in kinds:
        row = score(
            [j for j in judged if j.opening.kind == kind],
            [m for m in moments if m.kind == kind],
            judged,
        )
        if row.surfaced or row.labelled:
            table.add_row(
                kind,
                str(row.surfaced),
                str(row.good),
                str(row.bad),
                str(row.unjudged),
                str(row.good_moments),
                _percent(row.recall),
            )
    console.print(table)
    unjudged = [j.opening for j in judged if j.moment is None]
    if unjudged:
        console.print(f"unjudged openings ({len(unjudged)}): judge them and rerun", highlight=False)
        for o in unjudged:
            console.print(
                f"  {o.file} n={o.n} {o.kind} {o.notable} score={o.score:.3f}",
                highlight=False,
                markup=False,
            )
    total = score(judged, moments)
    console.print(
        f"openings: precision={_percent(total.precision)} recall={_percent(total.recall)} "
        f"f1={_percent(total.f1)} precision_at_20={_percent(total.precision_at_20)} "
        f"surfaced={total.surfaced} labelled={total.labelled}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )


def run_openings_eval(
    paths: list[Path], console: Console, errors: Console, *, data: Path = DEFAULT_DATA
) -> int:
    """``presence eval openings``: table, unjudged openings, summary line (2: bad labels)."""
    try:
        evaluate_openings(paths, console, errors, data)
    except (LabelError, ReplayError) as exc:
        errors.print(f"[bold red]Error[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        return 2
    return 0
