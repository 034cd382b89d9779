"""The first thing a newcomer runs: a scripted weekly chat on a local IRC server, attended live.

It starts ngircd on 127.0.0.1 and writes a config with a watchlist, interests and a schedule
for the current minute (:mod:`assistant.demo_script`). The real Assistant attends with the real
IRC connector while simulated members act out the chat: the session starts by the schedule,
openings about the notable member print on the terminal and reach the owner privately on IRC.
Once the script is played the demo fast-forwards the session clock (:mod:`assistant.demo_clock`)
to the scheduled end, so the tracker ends the session and the summaries plugin writes the
summary; the demo then prints the attendance and where the summary files are, and last the
dashboard's address: with ``--web`` it serves the dashboard on the demo's database until
Ctrl-C, else it says how ``presence web`` serves it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import signal
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from assistant.app import Assistant
from assistant.config import ConfigError, Settings, load_settings
from assistant.demo_clock import DemoClock
from assistant.demo_script import (
    CHANNEL,
    DURATION,
    NETWORK,
    NOTABLE,
    OWNER,
    SCRIPT,
    WAIT_FOR_OPENINGS,
    ZONE,
    config_text,
    scheduled_end,
    scheduled_start,
)
from assistant.events import Event, SessionEnded, SessionStarted
from assistant.hooks import hookimpl
from assistant.plugins import Plugin, discover_plugins
from assistant.storage.database import Database
from assistant.storage.presence import attendance
from assistant.testing.irc_client import SimulatedMember
from assistant.testing.ircd import NgircdNotFoundError, run_ngircd

__all__ = ["run_demo"]

PAUSE = 0.4  # seconds between scripted lines, so the chat reads like one
EXPECTED_OPENINGS = 4  # the arrival, the question nobody answers, the shared post, static sites
PRESENCE_WAIT = 30.0  # at most, for Presence to connect and join the channel
OPENINGS_WAIT = 30.0  # at most, for the openings to reach the owner
ENDED_WAIT = 20.0  # at most, for the tracker to end the session after the fast-forward
SUMMARY_WAIT = 30.0  # at most, for the summary files after the session ended
FORMATS = (".md", ".html", ".json")
EXCERPT_SECTIONS = ("## Attendance", "## Openings")


class _Show:
    """What the demo prints, and what it saw happen (session ends, private messages)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.ended: asyncio.Queue[SessionEnded] = asyncio.Queue()
        self.private: list[str] = []

    def stamp(self) -> str:
        return datetime.now(ZONE).strftime("%H:%M:%S")

    def line(self, text: str, *, markup: bool = True) -> None:
        self.console.print(
            f"[dim]{self.stamp()}[/] {text if markup else escape(text)}", highlight=False
        )

    def observer(self) -> type[Plugin]:
        """A plugin that prints the sessions the tracker starts and ends."""
        show = self

        class DemoObserver(Plugin):
            @hookimpl
            def assistant_event(self, event: Event) -> None:
                if isinstance(event, SessionStarted):
                    show.line(
                        f"[bold blue]● session started:[/] {escape(event.name)} in "
                        f"{escape(event.channel)} (by its schedule)"
                    )
                elif isinstance(event, SessionEnded):
                    show.line(
                        f"[bold blue]■ session ended:[/] {escape(event.name)} in "
                        f"{escape(event.channel)}; the summary is being written"
                    )
                    show.ended.put_nowait(event)

        return DemoObserver

    async def watch_private(self, owner: SimulatedMember) -> None:
        """Print each private message Presence sends the owner as it arrives."""
        seen = 0
        prefix = re.compile(rf"^(@\S+ )?:presence!\S+ PRIVMSG {re.escape(OWNER)} :")
        while True:
            for raw in owner.lines[seen:]:
                found = prefix.match(raw)
                if found:
                    text = raw[found.end() :]
                    self.private.append(text)
                    self.line(f"[bold magenta]✉ private to {OWNER}:[/] [magenta]{escape(text)}[/]")
            seen = len(owner.lines)
            await asyncio.sleep(0.1)

    async def openings_arrived(self) -> bool:
        """Wait (bounded) until the expected openings reached the owner."""
        deadline = time.monotonic() + OPENINGS_WAIT
        while time.monotonic() < deadline:
            if sum(text.startswith("Opening") for text in self.private) >= EXPECTED_OPENINGS:
                return True
            await asyncio.sleep(0.2)
        return False


async def _wait_for_presence(member: SimulatedMember) -> None:
    """Ask the server for the channel's names until Presence is among them."""
    listed = re.compile(rf" 353 \S+ [=*@] {re.escape(CHANNEL)} :(.* )?[@+]?presence( |$)")

    def answer(line: str) -> bool:
        return " 366 " in line or listed.search(line) is not None

    async with asyncio.timeout(PRESENCE_WAIT):
        while True:
            await member.send_raw(f"NAMES {CHANNEL}")
            if " 353 " in await member.wait_for(answer, PRESENCE_WAIT):
                return
            await asyncio.sleep(0.2)


async def _play(
    host: str, port: int, members: dict[str, SimulatedMember], show: _Show
) -> str | None:
    """Play :data:`SCRIPT` as a chat log; return Presence's answer to ``!seen``, if any."""
    answer = None
    for nick, action, text in SCRIPT:
        if action == WAIT_FOR_OPENINGS:
            show.line(
                f"[dim]… nobody answers {NOTABLE}'s question; Presence waits a few seconds "
                "(`unanswered_wait`) before calling it an opening[/]"
            )
            if not await show.openings_arrived():
                show.line("[yellow]the openings did not all arrive in time; carrying on[/]")
            continue
        if nick not in members:
            members[nick] = await SimulatedMember.connect(host, port, nick)
        member = members[nick]
        if action == "join":
            await member.join(CHANNEL)
            show.line(f"[green]-->[/] {nick} joined {CHANNEL}")
        elif action == "say":
            await member.say(CHANNEL, text)
            show.line(f"<{nick}> {text}", markup=False)
            if text.startswith("!seen"):
                line = await member.wait_for(
                    rf":presence!\S+ PRIVMSG {re.escape(CHANNEL)} :", timeout=10
                )
                answer = line.split(" :", 1)[1]
                show.line(f"<presence> {answer}", markup=False)
        elif action == "action":
            await member.action(CHANNEL, text)
            show.line(f" * {nick} {text}", markup=False)
        elif action == "nick":
            await member.change_nick(text)
            show.line(f"[yellow]--[/] {nick} is now known as {escape(text)}")
        elif action == "part":
            await member.part(CHANNEL, text)
            show.line(f"[red]<--[/] {nick} left {CHANNEL} ({escape(text)})")
        elif action == "quit":
            await member.quit(text)
            show.line(f"[red]<--[/] {nick} quit ({escape(text)})")
        await asyncio.sleep(PAUSE)
    return answer


def _local(when: datetime | None) -> str:
    return when.astimezone(ZONE).strftime("%H:%M:%S") if when else "-"


async def _report(db: Database, console: Console) -> None:
    """Print the attendance Presence recorded, read back from its database."""
    rows = await attendance(db, NETWORK, CHANNEL)
    table = Table(title=f"Attendance in {CHANNEL} (Brisbane time)")
    for column in ("member", "arrived", "left", "lines said", "still here"):
        table.add_column(column, justify="right" if column == "lines said" else "left")
    for row in rows:
        table.add_row(
            row.nick,
            _local(row.arrived),
            _local(row.left),
            str(row.lines),
            "yes" if row.present else "no",
        )
    console.print(table)


def _written(folder: Path, session_id: int, since: float) -> list[Path]:
    """The session's summary files in ``folder`` written after ``since`` (synchronous)."""
    return [
        path
        for suffix in FORMATS
        for path in folder.glob(f"*_s{session_id}{suffix}")
        if path.stat().st_mtime >= since
    ]


async def _summary_files(folder: Path, session_id: int, since: float) -> list[Path]:
    """Wait (bounded) for the session's summary files, written after ``since``."""
    deadline = time.monotonic() + SUMMARY_WAIT
    while True:
        found = await asyncio.to_thread(_written, folder, session_id, since)
        if len(found) == len(FORMATS) or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.2)


def _excerpt(markdown: Path) -> Iterator[str]:
    """The summary's heading, its attendance and its openings: what the demo was about."""
    sections = re.split(r"\n(?=## )", markdown.read_text(encoding="utf-8").strip())
    shown = [sections[0]] + [
        section for section in sections if section.startswith(EXCERPT_SECTIONS)
    ]
    for section in shown:
        yield from (line for line in section.splitlines() if line.strip())
    yield f"… and {len(sections) - len(shown)} more sections"


@contextlib.contextmanager
def _quiet_logging() -> Iterator[None]:
    """Keep Presence's routine INFO lines out of the show (``-v`` still shows everything)."""
    root = logging.getLogger()
    before = root.level
    if before == logging.INFO:
        root.setLevel(logging.WARNING)
    try:
        yield
    finally:
        root.setLevel(before)


class _DemoFailed(Exception):
    """The demo cannot go on; the message says what happened and what to try."""


async def _attend(
    console: Console, workdir: Path, show: _Show, clock: DemoClock
) -> tuple[str | None, list[Path]]:
    """Run the chat with Presence attending; return the ``!seen`` answer and summary files."""
    began = time.time()
    start = scheduled_start(clock.now())
    end = scheduled_end(start)
    members: dict[str, SimulatedMember] = {}
    async with run_ngircd() as server:
        console.print(f"Started ngircd on {server.host}:{server.port} (loopback only)")
        config = workdir / "presence.toml"
        config.write_text(config_text(server.host, server.port, start), encoding="utf-8")
        settings = load_settings(config)
        console.print(
            f"The Aussie bloggers' chat is scheduled today {start:%H:%M} to {end:%H:%M} "
            f"Brisbane time ({DURATION} minutes); watching {NOTABLE}; your interests: "
            f"{', '.join(settings.interests)}.\n"
            f"Openings print here and reach you privately on IRC as [bold]{OWNER}[/].\n",
            highlight=False,
        )
        assistant = Assistant(
            settings, plugin_classes={**discover_plugins(), "demo": show.observer()}, clock=clock
        )
        members[OWNER] = await SimulatedMember.connect(server.host, server.port, OWNER)
        watcher = asyncio.create_task(show.watch_private(members[OWNER]))
        await assistant.start()
        try:
            try:
                await _wait_for_presence(members[OWNER])
            except TimeoutError:
                raise _DemoFailed(
                    f"Presence did not join {CHANNEL} within {PRESENCE_WAIT:g} s"
                ) from None
            show.line(f"Presence joined {CHANNEL}")
            answer = await _play(server.host, server.port, members, show)
            show.line(
                "[bold]The script is over: fast-forwarding the clock to the scheduled end, "
                f"{end:%H:%M}[/]"
            )
            clock.fast_forward(end)
            try:
                async with asyncio.timeout(ENDED_WAIT):
                    ended = await show.ended.get()
            except TimeoutError:
                raise _DemoFailed(
                    f"the session did not end within {ENDED_WAIT:g} s of its scheduled end"
                ) from None
            folder = settings.resolve(settings.summaries.folder)
            files = await _summary_files(folder, ended.session_id, began)
            if len(files) < len(FORMATS):
                raise _DemoFailed(f"the summary was not written to {folder} in time")
            console.print()
            await _report(assistant.db, console)
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            await assistant.stop()
            for member in members.values():
                await member.close()
    return answer, files


async def _dashboard(console: Console, settings: Settings) -> int:
    """Serve the dashboard of the demo's database until Ctrl-C (or SIGTERM)."""
    from assistant.web.dashboard import start_dashboard

    def say(text: str) -> None:
        console.print(text, highlight=False, markup=False, soft_wrap=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with await Database.open(settings.resolve(settings.storage.path)) as db:
            try:
                server = await start_dashboard(db, settings, say=say)
            except ConfigError:  # the port is taken (another dashboard?): any free one
                console.print(
                    f"Port {settings.web.port} is taken; the dashboard takes a free one.",
                    highlight=False,
                )
                try:
                    server = await start_dashboard(db, settings, port=0, say=say)
                except ConfigError as exc:
                    console.print(f"[bold red]The dashboard did not start:[/] {escape(str(exc))}")
                    return 1
            console.print("The dashboard stays up until Ctrl-C.", highlight=False)
            try:
                await stop.wait()
            finally:
                await server.stop()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    return 0


def _dashboard_address(console: Console, settings: Settings, config: Path) -> None:
    """Say where ``presence web`` serves the demo's dashboard (its token made now)."""
    from assistant.web.access import load_access

    access = load_access(settings)
    host = settings.web.host
    url = f"http://{f'[{host}]' if ':' in host else host}:{settings.web.port}/"
    if access.new_token:
        address = f"{url}?token={access.secret}"
    else:
        address = f"{url} (log in with the token or password from {access.source})"
    console.print(
        f"\nDashboard: {address} once `presence web -c {config}` serves it "
        "(`presence demo --web` keeps it up after the chat)",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )


async def run_demo(console: Console, keep: Path | None = None, *, web: bool = False) -> int:
    """Run the demo; its config, database and summaries stay in ``keep`` (else a temp folder).

    ``web``: then serve the dashboard of what was recorded until Ctrl-C.
    """
    workdir = keep or Path(tempfile.mkdtemp(prefix="presence-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "presence.sqlite3").unlink(missing_ok=True)
    show = _Show(console)
    try:
        with _quiet_logging():
            answer, files = await _attend(console, workdir, show, DemoClock())
    except (_DemoFailed, NgircdNotFoundError) as exc:
        console.print(f"[bold red]The demo stopped:[/] {escape(str(exc))}", highlight=False)
        console.print(f"Run `presence -v demo` to see more; its files are in {workdir}")
        return 1
    if answer:
        console.print(f"The !seen answer: [bold]{escape(answer)}[/]", highlight=False)
    openings = sum(text.startswith("Opening") for text in show.private)
    console.print(f"Openings sent to you privately: {openings}", highlight=False)
    console.print("\n[bold]The summary of the chat:[/]", highlight=False)
    for path in sorted(files, key=lambda p: FORMATS.index(p.suffix)):
        console.print(f"  {path}", highlight=False, markup=False)
    markdown = next(path for path in files if path.suffix == ".md")
    console.print("\n[dim]From the Markdown summary:[/]", highlight=False)
    for line in _excerpt(markdown):
        console.print(f"  │ {line}", highlight=False, markup=False)
    console.print(f"\nConfig, database and summaries are in {workdir}", highlight=False)
    config = workdir / "presence.toml"
    settings = load_settings(config)
    if web:
        console.print()
        return await _dashboard(console, settings)
    _dashboard_address(console, settings, config)
    return 0
