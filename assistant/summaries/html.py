"""Render a summary as one self-contained HTML page, with the activity timeline picture.

The page comes from a Jinja2 template shipped in the package (``templates/``) with
autoescaping on, so every piece of chat text is escaped; links become anchors only for
``http``/``https`` URLs. The picture is embedded as a ``data:`` URI: the file needs nothing
beside it.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context

from assistant.summaries.minutes import render_minutes
from assistant.summaries.model import Summary
from assistant.summaries.text import clock, minutes, span
from assistant.summaries.timeline import timeline_data_uri

__all__ = ["render_html"]


@pass_context
def _clock(context: Context, at: datetime | None) -> str:
    """Format ``at`` as a local clock time in the page's time zone."""
    return clock(at, context["zone"])


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("assistant.summaries", "templates"),
        autoescape=select_autoescape(["html", "html.j2"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["minutes"] = minutes
    env.filters["clock"] = _clock
    env.tests["safe_url"] = lambda url: str(url).lower().startswith(("http://", "https://"))
    return env


def render_html(summary: Summary, *, picture: bool = True) -> str:
    """Return the summary as an HTML page (with the timeline picture unless ``picture=False``)."""
    zone = summary.session.zone
    env = _environment()
    template = env.get_template("summary.html.j2")

    return template.render(
        summary=summary,
        span=span(summary.session.started_at, summary.session.ended_at, zone),
        picture=timeline_data_uri(summary) if picture and summary.timeline else "",
        minutes=render_minutes(summary),
        zone=zone,
    )
