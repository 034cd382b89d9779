"""Openings: when to join a conversation with a notable member — and when not to ask yet.

The engine behind the built-in ``openings`` plugin (``plugins/assistant_openings``, whose
detectors propose openings):

- :mod:`~assistant.openings.engine` — events in; detectors asked; openings scored, held back,
  filtered by the policy, stored, notified; outcomes followed.
- :mod:`~assistant.openings.detector` — the detector contract.
- :mod:`~assistant.openings.room` — recent lines and the owner's whereabouts, for detectors.
- :mod:`~assistant.openings.conversation` — where a line stands: answering one member, in an
  open discussion, asking or telling the room; and whether a question was taken up.
- :mod:`~assistant.openings.opening` — candidates, openings and their score parts.
- :mod:`~assistant.openings.policy` — score floor, dedupe, cooldown, hourly cap, quiet hours.
- :mod:`~assistant.openings.pacing` — the exchange ledger and relationship stages.
- :mod:`~assistant.openings.interests` — matching lines to the owner's interests.
- :mod:`~assistant.openings.notable` — who is notable (a seam over the people area).
- :mod:`~assistant.openings.notifiers` — console, private message, webhook, JSON lines.
- :mod:`~assistant.openings.store` — the plugin's tables (openings with outcomes, ledger).
- :mod:`~assistant.openings.replay` — replay mode; the ``presence relationship`` /
  ``presence openings`` commands are the plugin's (``assistant_openings.commandline``).
- :mod:`~assistant.openings.evaluate`, :mod:`~assistant.openings.labels` and
  :mod:`~assistant.openings.matching` — ``presence eval openings``: label files, the
  matching rule, the scores.
"""

from assistant.connectors.replay import ReplayError
from assistant.events import irc_casefold
from assistant.openings.conversation import (
    Stance,
    about_themselves,
    answered,
    at_pace,
    content_words,
    is_bot_command,
    resolves,
    stance,
)
from assistant.openings.detector import Detector
from assistant.openings.evaluate import run_openings_eval
from assistant.openings.notable import Notable, build_notability
from assistant.openings.opening import Candidate, ago, quote
from assistant.openings.pacing import Ledger, LedgerLine
from assistant.openings.replay import replay_log
from assistant.openings.room import Line, Observation
from assistant.openings.runtime import OpeningsRuntime
from assistant.openings.store import MIGRATIONS_BY_DIALECT, OpeningsStore

__all__ = [
    "MIGRATIONS_BY_DIALECT",
    "Candidate",
    "Detector",
    "Ledger",
    "LedgerLine",
    "Line",
    "Notable",
    "Observation",
    "OpeningsRuntime",
    "OpeningsStore",
    "ReplayError",
    "Stance",
    "about_themselves",
    "ago",
    "answered",
    "at_pace",
    "build_notability",
    "content_words",
    "irc_casefold",
    "is_bot_command",
    "quote",
    "replay_log",
    "resolves",
    "run_openings_eval",
    "stance",
]
