"""Presence, a chat-room presence assistant: the public API for plugins.

A plugin imports only from here (``from assistant import Plugin, command, ...``).
These names are the supported surface: the events a plugin receives, the base class and
context it is built with (and the ``Clock`` in it), the hook and command decorators, its
key-value store and the database queries it may run, the ``Summary`` it adds sections to, and
the openings contract (``Detector``, ``Notifier`` and every type they take, give or reach
through their context). Everything else under ``assistant.*`` is internal and may change
without notice. The hooks themselves
are specified in ``assistant.hookspecs``, whose every type is one of these names.
"""

from assistant.clock import Clock
from assistant.commands import Command, CommandContext, command
from assistant.config import ConfigError, OpeningsSettings, Settings
from assistant.events import (
    ChannelEvent,
    Connected,
    Disconnected,
    Event,
    EventScheduled,
    Identity,
    MemberJoined,
    MemberLeft,
    MemberModeChanged,
    MessageAnalyzed,
    MessageDeleted,
    MessageEdited,
    MessageReceived,
    NickChanged,
    OpeningFound,
    PluginFellBehind,
    PresenceChanged,
    SessionEnded,
    SessionStarted,
    TopicChanged,
)
from assistant.hooks import HookResult, hookimpl
from assistant.kvstore import JSONValue, KeyValueStore
from assistant.openings.detector import Detector, DetectorContext
from assistant.openings.interests import InterestMatch, InterestMatcher
from assistant.openings.notable import Notable, NotableLookup
from assistant.openings.notifiers import Notifier
from assistant.openings.opening import Candidate, Opening, ScoreParts
from assistant.openings.pacing import Relationship
from assistant.openings.room import Line, Observation, RoomView
from assistant.people.privacy import opt_in, opt_out
from assistant.plugins import Plugin, PluginConfig, PluginContext
from assistant.storage.database import Database
from assistant.storage.presence import SeenRecord, last_seen
from assistant.summaries.model import Summary, SummarySection

__all__ = [
    "Candidate",
    "ChannelEvent",
    "Clock",
    "Command",
    "CommandContext",
    "ConfigError",
    "Connected",
    "Database",
    "Detector",
    "DetectorContext",
    "Disconnected",
    "Event",
    "EventScheduled",
    "HookResult",
    "Identity",
    "InterestMatch",
    "InterestMatcher",
    "JSONValue",
    "KeyValueStore",
    "Line",
    "MemberJoined",
    "MemberLeft",
    "MemberModeChanged",
    "MessageAnalyzed",
    "MessageDeleted",
    "MessageEdited",
    "MessageReceived",
    "NickChanged",
    "Notable",
    "NotableLookup",
    "Notifier",
    "Observation",
    "Opening",
    "OpeningFound",
    "OpeningsSettings",
    "Plugin",
    "PluginConfig",
    "PluginContext",
    "PluginFellBehind",
    "PresenceChanged",
    "Relationship",
    "RoomView",
    "ScoreParts",
    "SeenRecord",
    "SessionEnded",
    "SessionStarted",
    "Settings",
    "Summary",
    "SummarySection",
    "TopicChanged",
    "command",
    "hookimpl",
    "last_seen",
    "opt_in",
    "opt_out",
]
