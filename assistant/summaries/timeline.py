"""The activity timeline picture: who was present when, their message ticks, notables highlighted.

Drawn with matplotlib's Agg backend (no display needed) from ``Summary.timeline`` and
returned as PNG bytes, which the HTML page embeds as a ``data:`` URI so it stays one file.
"""

from __future__ import annotations

import base64
import io
from datetime import datetime

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MultipleLocator

from assistant.summaries.model import Summary

__all__ = ["MAX_ROWS", "timeline_data_uri", "timeline_png"]

MAX_ROWS = 40
"""People drawn at most (notables first, then the most talkative); more would be unreadable."""

_NOTABLE = "#d9822b"
_OTHER = "#5b7db1"
_WIDTH = 9.0
_ROW_INCHES = 0.32
_ROW_POINTS = _ROW_INCHES * 72
"""The picture's width in inches (810 pixels at 90 dpi)."""
_STEPS = (60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600)
"""Candidate spacings of the time axis ticks, in seconds (at most ~10 ticks are drawn)."""


def _x(at: datetime) -> float:
    return at.timestamp()


def timeline_png(summary: Summary) -> bytes:
    """Draw the timeline and return it as PNG bytes."""
    rows = list(summary.timeline[:MAX_ROWS])
    zone = summary.session.zone
    height = 1.2 + _ROW_INCHES * max(len(rows), 1)
    # The object-oriented API (no pyplot): no global state, safe in threads.
    fig = Figure(figsize=(_WIDTH, height), dpi=90)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    start = summary.session.started_at
    end = summary.session.ended_at or max(
        [start, *(t for r in rows for t in r.ticks), *(b for r in rows for _, b in r.intervals)]
    )
    ticks: dict[str, tuple[list[float], list[float]]] = {_NOTABLE: ([], []), _OTHER: ([], [])}
    bars: dict[str, list[list[tuple[float, float]]]] = {_NOTABLE: [], _OTHER: []}
    for y, row in enumerate(reversed(rows)):
        colour = _NOTABLE if row.notable else _OTHER
        bars[colour] += [
            [(_x(a), y - 0.3), (_x(b), y - 0.3), (_x(b), y + 0.3), (_x(a), y + 0.3)]
            for a, b in row.intervals
        ]
        xs, ys = ticks[colour]
        xs += [_x(t) for t in row.ticks]
        ys += [float(y)] * len(row.ticks)
    for colour, boxes in bars.items():  # one collection per colour, not one per person
        if boxes:
            ax.add_collection(PolyCollection(boxes, facecolors=colour, alpha=0.35, linewidths=0))
    # Ticks as "|" markers of one line per colour: thousands draw as fast as one artist
    # (a vlines collection builds a path per tick, ~40 times slower).
    for colour, (xs, ys) in ticks.items():
        if xs:
            ax.plot(
                xs,
                ys,
                linestyle="none",
                marker="|",
                markersize=_ROW_POINTS * 0.6,
                markeredgewidth=1.2,
                color=colour,
            )
    ax.set_yticks(range(len(rows)))
    labels = ax.set_yticklabels([("★ " if r.notable else "") + r.name for r in reversed(rows)])
    for label, row in zip(labels, reversed(rows), strict=True):
        if row.notable:
            label.set_color(_NOTABLE)
            label.set_fontweight("bold")
    ax.set_ylim(-0.7, max(len(rows), 1) - 0.3)
    left, right = _x(start), max(_x(end), _x(start) + 60)
    ax.set_xlim(left, right)
    step = next((s for s in _STEPS if (right - left) / s <= 10), _STEPS[-1])
    ax.xaxis.set_major_locator(MultipleLocator(step))
    ax.xaxis.set_major_formatter(
        FuncFormatter(lambda x, _pos: datetime.fromtimestamp(x, zone).strftime("%H:%M"))
    )
    ax.grid(axis="x", alpha=0.3)
    ax.set_title("Who was here, and when they spoke", fontsize=10)
    ax.tick_params(labelsize=8)
    # Fixed margins instead of tight_layout(), which draws the whole figure once more.
    widest = max((len(r.name) + (2 if r.notable else 0) for r in rows), default=4)
    fig.subplots_adjust(
        left=min(0.45, (0.25 + 0.075 * widest) / _WIDTH),
        right=0.98,
        bottom=0.45 / height,
        top=1 - 0.35 / height,
    )
    buffer = io.BytesIO()
    # Fast zlib level: a flat-coloured chart barely gets smaller at higher levels.
    fig.savefig(buffer, format="png", pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def timeline_data_uri(summary: Summary) -> str:
    """The picture as a ``data:image/png;base64,...`` URI for an ``<img src>``."""
    return "data:image/png;base64," + base64.b64encode(timeline_png(summary)).decode("ascii")
