"""The first thing a newcomer runs: a scripted chat on a local IRC server, and what was recorded.

It starts ngircd on 127.0.0.1, writes a config for it, runs the real Assistant with the real
IRC connector, lets a few simulated members talk (one asks ``!seen``), shuts Presence down
gracefully and prints what was recorded from the database file.
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from assistant.app import Assistant
from assistant.config import load_settings
from assistant.storage.database import Database
from assistant.storage.presence import attendance
from assistant.testing.irc_client import SimulatedMember
from assistant.testing.ircd import run_ngircd

__all__ = ["run_demo"]

CHANNEL = "#bloggers"
NETWORK = "demo"
PAUSE = 0.15  # between scripted lines, so arrival times differ visibly

CONFIG = """\
# Written by `presence demo`.
[owner]
name = "You"

[storage]
path = "presence.sqlite3"

[networks.{network}]
host = "{host}"
port = {port}
tls = false
nick = "presence"
quit_message = "Presence is leaving the demo"

[[networks.{network}.channels]]
name = "{channel}"

[[watchlist]]
name = "Darren"
identities = [{{ platform = "irc", network = "{network}", nick = "problogger" }}]
notes = "Runs a big blogging site; podcasts weekly."
priority = 5
"""


# The scripted chat: (member, what they do, text). problogger is already in the channel.
SCRIPT: tuple[tuple[str, str, str], ...] = (
    ("alice", "join", ""),
    ("alice", "say", "hi all! anyone else moving their blog to a static site?"),
    ("bob", "join", ""),
    ("bob", "say", "alice: yes, Hugo. builds in a second"),
    ("problogger", "say", "anyone interviewing guests over Skype? what do you record with?"),
    ("carol", "join", ""),
    ("carol", "action", "waves from Melbourne"),
    ("carol", "say", "problogger: I use a Zoom H5 and record locally"),
    ("bob", "nick", "bob_away"),
    ("carol", "part", "dinner time"),
    ("alice", "say", "!seen carol"),
)


async def _play(host: str, port: int, members: dict[str, SimulatedMember], console: Console) -> str:
    """Play :data:`SCRIPT`, printing it as a chat log; return Presence's answer to ``!seen``."""
    for nick, action, text in SCRIPT:
        if nick not in members:
            members[nick] = await SimulatedMember.connect(host, port, nick)
        member = members[nick]
        if action == "join":
            await member.join(CHANNEL)
            console.print(f"[green]-->[/] {nick} joined {CHANNEL}", highlight=False)
        elif action == "say":
            await member.say(CHANNEL, text)
            console.print(f"<{nick}> {text}", highlight=False, markup=False)
        elif action == "action":
            await member.action(CHANNEL, text)
            console.print(f" * {nick} {text}", highlight=False, markup=False)
        elif action == "nick":
            await member.change_nick(text)
            console.print(f"[yellow]--[/] {nick} is now known as {text}", highlight=False)
        elif action == "part":
            await member.part(CHANNEL, text)
            console.print(f"[red]<--[/] {nick} left {CHANNEL} ({text})", highlight=False)
        await asyncio.sleep(PAUSE)
    asker = members[SCRIPT[-1][0]]
    line = await asker.wait_for(r":presence!\S+ PRIVMSG " + CHANNEL + " :", timeout=10)
    answer = line.split(" :", 1)[1]
    console.print(f"<presence> {answer}", highlight=False, markup=False)
    return answer


def _clock(when: datetime | None) -> str:
    return when.astimezone().strftime("%H:%M:%S") if when else "-"


async def _report(db: Database, console: Console) -> None:
    """Print what Presence recorded, read back from its database."""
    rows = await attendance(db, NETWORK, CHANNEL)
    messages = await db.fetchone("SELECT count(*) AS n FROM messages")
    table = Table(title=f"Attendance in {CHANNEL}, as recorded by Presence")
    for column in ("member", "arrived", "left", "lines said", "still here"):
        table.add_column(column, justify="right" if column == "lines said" else "left")
    for row in rows:
        table.add_row(
            row.nick,
            _clock(row.arrived),
            _clock(row.left),
            str(row.lines),
            "yes" if row.present else "no",
        )
    console.print(table)
    console.print(f"Messages recorded: {messages['n'] if messages else 0}")


async def run_demo(console: Console, keep: Path | None = None) -> int:
    """Run the demo; keep its config and database in ``keep`` when given."""
    with tempfile.TemporaryDirectory(prefix="presence-demo-") as scratch:
        workdir = keep or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "presence.sqlite3").unlink(missing_ok=True)
        async with run_ngircd() as server:
            console.print(f"Started ngircd on {server.host}:{server.port}")
            config = workdir / "presence.toml"
            config.write_text(
                CONFIG.format(network=NETWORK, host=server.host, port=server.port, channel=CHANNEL),
                encoding="utf-8",
            )
            members = {
                "problogger": await SimulatedMember.connect(server.host, server.port, "problogger")
            }
            await members["problogger"].join(CHANNEL)
            assistant = Assistant(load_settings(config))
            await assistant.start()
            try:
                await members["problogger"].wait_for(r":presence!\S+ JOIN :?" + CHANNEL, timeout=20)
                console.print(f"Presence joined {CHANNEL}; problogger was already there\n")
                answer = await _play(server.host, server.port, members, console)
                await members["problogger"].quit("off to record")
                console.print("[red]<--[/] problogger quit (off to record)\n", highlight=False)
                await asyncio.sleep(PAUSE)
                await _report(assistant.db, console)
            finally:
                await assistant.stop()
                for member in members.values():
                    await member.close()
        console.print(f"The !seen answer: [bold]{answer}[/]", highlight=False)
        if keep:
            console.print(f"Config and database kept in {workdir}")
    return 0
