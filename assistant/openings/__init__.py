"""Openings: the contract a detector or notifier is written against, and what the plugin keeps here.

The engine that finds openings is the built-in ``openings`` plugin
(``plugins/assistant_openings``: engine, policy, conversation, runtime, replay mode,
``presence eval openings``, the detectors). What stays in the core:

- :mod:`~assistant.openings.detector` — the detector contract.
- :mod:`~assistant.openings.opening` — candidates, openings and their score parts.
- :mod:`~assistant.openings.room` — recent lines and the owner's whereabouts, for detectors.
- :mod:`~assistant.openings.notable` — what a detector is told of a notable member.
- :mod:`~assistant.openings.interests` — matching lines to the owner's interests.
- :mod:`~assistant.openings.notifiers` — the notifier protocol.
- :mod:`~assistant.openings.pacing` — relationship stages (the ledger is the plugin's).

The public part is re-exported by :mod:`assistant`; this package's ``__all__`` is what the
built-in plugin imports from here.
"""

from assistant.events import irc_casefold
from assistant.openings.detector import Detector, DetectorContext
from assistant.openings.interests import InterestMatcher, Similarity, words
from assistant.openings.notable import Notable, NotableLookup
from assistant.openings.notifiers import Notifier
from assistant.openings.opening import Candidate, Opening, ScoreParts, ago, quote
from assistant.openings.pacing import STAGES, Relationship
from assistant.openings.room import Line, Observation, RoomView

__all__ = [
    "STAGES",
    "Candidate",
    "Detector",
    "DetectorContext",
    "InterestMatcher",
    "Line",
    "Notable",
    "NotableLookup",
    "Notifier",
    "Observation",
    "Opening",
    "Relationship",
    "RoomView",
    "ScoreParts",
    "Similarity",
    "ago",
    "irc_casefold",
    "quote",
    "words",
]
