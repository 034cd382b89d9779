"""What the demo plays: its config and the scripted chat, kept apart from the code that runs them.

The chat is an Aussie bloggers' weekly chat. ``problogger`` is on the watchlist; he asks a
question nobody answers, shares a post of his own and joins alice and bob talking about
static sites, one of the owner's interests. The owner takes part as ``you``. The chat is
scheduled for the current minute in Brisbane so that it starts as soon as Presence does.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "CHANNEL",
    "DURATION",
    "NETWORK",
    "NOTABLE",
    "OWNER",
    "SCRIPT",
    "WAIT_FOR_OPENINGS",
    "ZONE",
    "config_text",
    "scheduled_end",
    "scheduled_start",
]

CHANNEL = "#bloggers"
NETWORK = "demo"
OWNER = "you"
NOTABLE = "problogger"
ZONE = ZoneInfo("Australia/Brisbane")  # no daylight saving: "now" is never ambiguous
DURATION = 3  # minutes: the scheduled chat (the script takes ~15 s); the demo then fast-forwards
WAIT_FOR_OPENINGS = "(wait for openings)"
"""A step, not a line: the demo waits until the owner has been sent the openings."""

_CONFIG = """\
# Written by `presence demo`: a local ngircd, one scheduled chat, a watchlist and interests.
interests = ["podcasting", "static sites"]

[owner]
name = "You"
# ngircd has no services accounts, so Presence cannot verify you there: owner-only commands
# are refused, but your lines still count as yours (read only) and openings reach you privately.
identities = [{{ platform = "irc", network = "{network}", account = "{owner}", nick = "{owner}" }}]

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

# Really Sundays at 19:30; for the demo, today at the current minute.
[[networks.{network}.channels.schedules]]
name = "Aussie bloggers' chat"
days = ["{day}"]
time = "{time}"
timezone = "{zone}"
duration = {duration}
join_early = 0
stay_after = 0

[sessions]
adhoc = false

[[watchlist]]
name = "Darren"
identities = [{{ platform = "irc", network = "{network}", nick = "{notable}" }}]
notes = "Runs a big blogging site; podcasts weekly."
priority = 5

[plugins.openings]
notify = ["console", "dm"]
unanswered_wait = 5  # seconds; 120 on a real chat
feedback_wait = 5  # seconds before a shared post is worth a reply; 600 on a real chat
cooldown = 0  # so every opening about Darren shows up in a short demo
hourly_cap = 20

[summaries]
folder = "summaries"
formats = ["md", "html", "json"]
timezone = "{zone}"
brief_before = 0
"""


def scheduled_start(now: datetime) -> datetime:
    """The demo chat's start: the current minute in Brisbane (so it is already under way)."""
    return now.astimezone(ZONE).replace(second=0, microsecond=0)


def config_text(host: str, port: int, start: datetime) -> str:
    """The demo's config for a server at ``host:port`` and a chat starting at ``start``."""
    local = start.astimezone(ZONE)
    return _CONFIG.format(
        network=NETWORK,
        host=host,
        port=port,
        channel=CHANNEL,
        owner=OWNER,
        notable=NOTABLE,
        day=local.strftime("%A").lower(),
        time=local.strftime("%H:%M"),
        zone=ZONE.key,
        duration=DURATION,
    )


def scheduled_end(start: datetime) -> datetime:
    """When the demo chat is scheduled to end."""
    return start + timedelta(minutes=DURATION)


# The scripted chat: (member, what they do, text). Presence is in the channel first.
SCRIPT: tuple[tuple[str, str, str], ...] = (
    (OWNER, "join", ""),
    ("alice", "join", ""),
    ("alice", "say", "g'day all, happy Sunday! who's in for the bloggers chat tonight?"),
    (OWNER, "say", "evening alice, cuppa in hand and ready to go"),
    ("bob", "join", ""),
    ("bob", "say", "hi everyone, bob from Perth here, I write a travel blog"),
    (NOTABLE, "join", ""),
    (NOTABLE, "say", "evening all! what's the best budget mic for recording podcast interviews?"),
    ("alice", "say", "bob: how did the Broome trip go?"),
    ("bob", "say", "alice: brilliant, the photos go up on the blog this week"),
    (
        NOTABLE,
        "say",
        "I just published a post on growing an email list from zero: "
        "https://problogger.example/email-list-from-zero",
    ),
    ("carol", "join", ""),
    ("carol", "action", "waves from Hobart"),
    ("alice", "say", "anyone else thinking of moving off WordPress? my site is so slow"),
    ("bob", "say", "alice: same here, the plugins break on every update"),
    (
        NOTABLE,
        "say",
        "alice, bob: I've moved my blog to a static site with Hugo and pages load so much "
        "faster now",
    ),
    ("carol", "say", "bob: which camera do you travel with?"),
    ("bob", "say", "carol: an old Fuji X100, it fits in a pocket"),
    ("", WAIT_FOR_OPENINGS, ""),
    (
        OWNER,
        "say",
        f"{NOTABLE}: for podcast interviews on a budget, a Rode PodMic into a cheap USB "
        "interface is the best mic I have recorded with",
    ),
    (NOTABLE, "say", f"{OWNER}: thanks, I'll look at the PodMic!"),
    (
        OWNER,
        "say",
        f"{NOTABLE}: and loved the email list post, the welcome sequence bit especially",
    ),
    ("bob", "nick", "bob_away"),
    ("carol", "part", "dinner time"),
    ("alice", "say", "!seen carol"),
    (NOTABLE, "quit", "off to record the podcast"),
    (OWNER, "say", "thanks all, see you next Sunday!"),
)
