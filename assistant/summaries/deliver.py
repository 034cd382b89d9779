"""Deliver a summary: files in a folder, a private digest to the owner, a webhook, a channel.

Files are written atomically (a temporary file in the same folder, then a rename), so a
reader never sees half a summary. Chat deliveries are a short plain-text digest split to
fit the platform: IRC lines of at most ~400 bytes (the 512-byte line minus the prefix a
server adds), Discord messages of at most 2,000 characters. Presence speaks in a channel
only when that channel is listed in ``[summaries] post_to_channels``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from assistant.config import Settings, SummariesSettings
from assistant.storage.database import Database
from assistant.summaries.model import Summary
from assistant.summaries.text import clock, plural

__all__ = [
    "DISCORD_LIMIT",
    "IRC_LINE_BYTES",
    "RENDERERS",
    "SUFFIXES",
    "configured_formats",
    "deliver_summary",
    "digest",
    "file_stem",
    "folder_for",
    "owner_targets",
    "post_webhook",
    "render",
    "split_for",
    "split_text",
    "write_atomic",
    "write_files",
]

log = logging.getLogger(__name__)

IRC_LINE_BYTES = 400
DISCORD_LIMIT = 2000
SUFFIXES = {"md": ".md", "html": ".html", "json": ".json", "minutes": ".minutes.txt"}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

Send = Callable[[str, str, str], Awaitable[None]]


def render(summary: Summary, fmt: str) -> str:
    """Render ``summary`` in format ``md``, ``html``, ``json`` or ``minutes``."""
    if fmt == "md":
        from assistant.summaries.markdown import render_markdown

        return render_markdown(summary)
    if fmt == "html":
        from assistant.summaries.html import render_html

        return render_html(summary)
    if fmt == "json":
        from assistant.summaries.json import render_json

        return render_json(summary)
    if fmt == "minutes":
        from assistant.summaries.minutes import render_minutes

        return render_minutes(summary)
    raise ValueError(f"unknown summary format {fmt!r}; use one of {', '.join(RENDERERS)}")


RENDERERS: tuple[str, ...] = tuple(SUFFIXES)


def file_stem(summary: Summary) -> str:
    """``2024-01-07_libera_chan_s12``: local date, network, channel, session id."""
    s = summary.session
    day = s.started_at.astimezone(s.zone).strftime("%Y-%m-%d")
    parts = [day, s.network, s.channel.lstrip("#&"), f"s{s.id}"]
    return "_".join(_UNSAFE.sub("-", part).strip("-") or "x" for part in parts)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename (synchronous)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_files(summary: Summary, folder: Path, formats: Sequence[str]) -> list[Path]:
    """Render and write one file per format into ``folder``; return the paths (synchronous).

    The minutes are written only when the chat held a MeetBot meeting.
    """
    written = []
    stem = file_stem(summary)
    for fmt in formats:
        if fmt == "minutes" and summary.minutes is None:
            continue
        path = folder / f"{stem}{SUFFIXES[fmt]}"
        write_atomic(path, render(summary, fmt))
        written.append(path)
    return written


def _fit_bytes(word: str, limit: int) -> list[str]:
    pieces, current = [], ""
    for char in word:
        if len((current + char).encode("utf-8")) > limit:
            pieces.append(current)
            current = ""
        current += char
    return [*pieces, current] if current else pieces


def split_text(text: str, limit: int, *, measure: str = "bytes") -> list[str]:
    """Split ``text`` into lines of at most ``limit`` bytes (UTF-8) or characters.

    Lines are broken at spaces where possible, never inside a character; empty lines
    are dropped and no line contains CR or LF.
    """

    def size(s: str) -> int:
        return len(s.encode("utf-8")) if measure == "bytes" else len(s)

    out: list[str] = []
    for raw in text.splitlines():
        line = " ".join(raw.split("\r")).rstrip()
        if not line.strip():
            continue
        current = ""
        for word in line.split(" "):
            candidate = f"{current} {word}" if current else word
            if size(candidate) <= limit:
                current = candidate
                continue
            if current:
                out.append(current)
            if size(word) <= limit:
                current = word
            else:
                chunks = (
                    _fit_bytes(word, limit)
                    if measure == "bytes"
                    else [word[i : i + limit] for i in range(0, len(word), limit)]
                )
                out += chunks[:-1]
                current = chunks[-1]
        if current:
            out.append(current)
    return out


def split_for(platform: str, text: str) -> list[str]:
    """Split a digest into the messages one platform accepts.

    IRC (and anything else): one line per message, at most ``IRC_LINE_BYTES`` bytes.
    Discord: lines packed into messages of at most ``DISCORD_LIMIT`` characters.
    """
    if platform != "discord":
        return split_text(text, IRC_LINE_BYTES)
    messages: list[str] = []
    current = ""
    for line in split_text(text, DISCORD_LIMIT, measure="chars"):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= DISCORD_LIMIT:
            current = candidate
        else:
            messages.append(current)
            current = line
    return [*messages, current] if current else messages


def digest(summary: Summary, files: Sequence[Path] = ()) -> str:
    """A short plain-text digest for a chat message: who came, what is open, what to do."""
    s = summary.session
    zone = s.zone
    lines = [
        f"Summary of {s.title} ({s.channel}, {s.started_at.astimezone(zone):%a %d %b %H:%M}): "
        f"{plural(len(summary.attendance), 'person', 'people')}, "
        f"{plural(summary.messages, 'line')}."
    ]
    notables = [f"{r.label} ({r.lines})" for r in summary.attendance if r.notable]
    if notables:
        lines.append("Notable members: " + ", ".join(notables) + ".")
    others = [f"{r.name} ({r.lines})" for r in summary.attendance if not r.notable]
    if others:
        lines.append("Also here: " + ", ".join(others) + ".")
    if summary.topics:
        lines.append("Topics: " + ", ".join(t.topic for t in summary.topics[:8]) + ".")
    for q in summary.unanswered[:5]:
        lines.append(f"Unanswered ({clock(q.at, zone)}) {q.asker}: {q.text}")
    for f in summary.follow_ups[:5]:
        lines.append(f"Follow up: {f.text}")
    if files:
        lines.append("Written to " + ", ".join(str(p) for p in files))
    return "\n".join(lines)


async def post_webhook(
    url: str,
    document: dict[str, object],
    *,
    attempts: int = 3,
    timeout: float = 10.0,  # noqa: ASYNC109 -- a per-request bound, passed to aiohttp
    backoff: float = 1.0,
) -> int:
    """POST the JSON ``document`` to ``url``; retry on errors and 5xx; return the HTTP status.

    Raises:
        RuntimeError: every attempt failed (the message says how, without the URL's secrets).
    """
    import aiohttp

    problem = ""
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    async with aiohttp.ClientSession(timeout=client_timeout) as session:
        for attempt in range(1, attempts + 1):
            try:
                async with session.post(url, json=document) as response:
                    if response.status < 500:
                        if response.status >= 400:
                            raise RuntimeError(
                                f"webhook refused the summary: HTTP {response.status}"
                            )
                        return response.status
                    problem = f"HTTP {response.status}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                problem = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            if attempt < attempts:
                await asyncio.sleep(backoff * 2 ** (attempt - 1))
    raise RuntimeError(f"webhook failed after {attempts} attempt(s): {problem}")


def configured_formats(config: SummariesSettings) -> list[str]:
    """The file formats to write, in a fixed order."""
    return [fmt for fmt in RENDERERS if fmt in config.formats]


def folder_for(settings: Settings) -> Path:
    """The summaries folder, relative to the config file."""
    return settings.resolve(settings.summaries.folder)


_OWNER_NICK = """
SELECT i.nick FROM identities AS i JOIN networks AS n ON n.id = i.network_id
WHERE n.name = ? AND i.account = ? COLLATE NOCASE
ORDER BY i.id DESC LIMIT 1
"""


async def owner_targets(db: Database, settings: Settings, network: str, platform: str) -> list[str]:
    """Where the owner is reached privately on ``network``: Discord user ids, IRC nicks.

    On IRC the owner is known by services account; the nick last seen with that account
    is the target (none when the account was never seen on that network).
    """
    targets: list[str] = []
    for ref in settings.owner.identities:
        if ref.platform != platform or ref.network not in (None, network):
            continue
        if ref.user_id is not None:
            targets.append(ref.user_id)
        elif ref.account is not None:
            account = ref.account
            row = await db.fetchone(_OWNER_NICK, (network, account))
            if row is not None:
                targets.append(str(row[0]))
    return list(dict.fromkeys(targets))


async def deliver_summary(
    summary: Summary, settings: Settings, *, db: Database, send: Send | None
) -> list[str]:
    """Deliver ``summary`` everywhere ``[summaries]`` says; return what was done, a line each.

    Each way is tried on its own: a failing webhook does not stop the files or the
    digest. Problems are logged and reported in the returned lines.
    """
    config = settings.summaries
    done: list[str] = []
    files: list[Path] = []
    formats = configured_formats(config)
    if formats:
        try:
            files = await asyncio.to_thread(write_files, summary, folder_for(settings), formats)
            done += [f"wrote {path}" for path in files]
        except OSError as exc:
            log.error("summaries: could not write to %s: %s", folder_for(settings), exc)
            done.append(f"files failed: {exc}")
    session = summary.session
    text = digest(summary, files)
    if send is not None and config.deliver_to_owner:
        targets = await owner_targets(db, settings, session.network, session.platform)
        if not targets:
            log.warning(
                "summaries: deliver_to_owner is on, but no owner identity is known on %s "
                "(add [[owner.identities]] for it)",
                session.network,
            )
        for target in targets:
            for part in split_for(session.platform, text):
                await send(session.network, target, part)
            done.append(f"sent to the owner ({target})")
    wanted = {name.casefold() for name in config.post_to_channels}
    if send is not None and session.channel.casefold() in wanted:
        for part in split_for(session.platform, text):
            await send(session.network, session.channel, part)
        done.append(f"posted in {session.channel}")
    if config.webhook_url_env:
        url = os.environ.get(config.webhook_url_env)
        if not url:
            log.error(
                "summaries: environment variable %s (webhook_url_env) is not set; no webhook sent",
                config.webhook_url_env,
            )
            done.append("webhook skipped: URL not set")
        else:
            from assistant.summaries.json import dump_summary

            try:
                status = await post_webhook(url, dump_summary(summary))
                done.append(f"webhook answered {status}")
            except RuntimeError as exc:
                log.error("summaries: %s", exc)
                done.append(str(exc))
    return done
