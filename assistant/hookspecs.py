"""The plugin contract: every hook Presence calls, in one place.

A plugin implements a hook by defining a method of the same name decorated with
``assistant.hookimpl``; it may accept any subset of the arguments listed here (pluggy
matches them by name). Every hook may be a plain or an ``async def`` method: the host
awaits whatever is awaitable. A hook that raises is logged with the plugin's name and
counted against it; it never stops the bot or the other plugins.

Plugins receive what they need (their config, store, database, logger, a way to send)
in their constructor through a ``PluginContext``, not through hooks, and their chat
commands are collected from ``@command`` methods, not through a hook. Only hooks the
application really calls belong here; each docstring says when it is called, what each
argument is, what to return, and whether it is awaited (``tests/test_hookspecs.py``
fails otherwise).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:  # the contract imports nothing at run time: every type is in assistant
    from assistant import Detector, Event, Notifier, Summary, SummarySection

__all__ = [
    "PROJECT",
    "assistant_event",
    "assistant_opening_detectors",
    "assistant_opening_notifiers",
    "assistant_replay_finished",
    "assistant_shutdown",
    "assistant_startup",
    "assistant_summary_sections",
    "hookspec",
]

PROJECT = "assistant"
"""The pluggy project name shared by ``hookspec`` and ``assistant.hookimpl``."""

hookspec = pluggy.HookspecMarker(PROJECT)


@hookspec
def assistant_startup() -> Awaitable[None] | None:
    """Prepare the plugin to work, once, at start-up.

    Called: once per run, after every enabled plugin was constructed and its migrations
    were applied, and before the first event is published to any plugin. Networks may
    still be connecting, so a message sent from here can be dropped.

    Returns:
        Nothing; the return value is ignored.

    Raises:
        ConfigError: the plugin's configuration turns out wrong only now (say, it names
            what another plugin contributes through a hook): start-up stops with the
            message, as it does for a wrong ``[plugins.NAME]`` section. Anything else
            raised is logged and counted, and start-up goes on.

    Awaited: yes, when it is ``async``; all plugins' implementations run concurrently
    and start-up continues once all of them have finished (or raised).
    """


@hookspec
def assistant_shutdown() -> Awaitable[None] | None:
    """Release what the plugin holds, once, when Presence stops.

    Called: once per run, after the networks were left and every event already
    published was delivered to the plugin (within the stop timeout), and before the
    database closes, so the plugin can still read and write its state.

    Returns:
        Nothing; the return value is ignored.

    Awaited: yes, when it is ``async``, bounded by the stop timeout; all plugins'
    implementations run concurrently.
    """


@hookspec
def assistant_event(event: Event) -> Awaitable[None] | None:
    """React to one event that happened in a chat.

    Called: for every event of a type the plugin handles (``Plugin.handles``, else the
    annotation of this ``event`` parameter: ``event: SessionEnded`` gets only session
    ends, ``Event`` everything), after it was handed to the recorder (a database read from
    here commits pending writes first, so it sees the event), in the order the events
    arrived. Each plugin has its own queue and task: a plugin receives its events one at
    a time, in order, and a slow plugin delays only itself. Past 10,000 queued events,
    chat events are skipped for it until it catches up, counted in ``ctx.delivery``;
    lifecycle events (``SessionStarted``, ``SessionEnded``, ``Connected``,
    ``Disconnected``) and the types in ``Plugin.must_deliver`` are still queued. A plugin
    that names ``PluginFellBehind`` among its types is given one after catching up.

    Args:
        event: the platform-neutral event (``MessageReceived``, ``MemberJoined``, ...);
            frozen, shared with the other plugins, never to be modified.

    Returns:
        Nothing; the return value is ignored.

    Awaited: yes, when it is ``async``; the plugin's next event is delivered only after
    this call has finished (or raised), so long work belongs in a task of its own.
    """


@hookspec
def assistant_summary_sections(
    summary: Summary,
) -> Awaitable[list[SummarySection] | None] | list[SummarySection] | None:
    """Add sections of the plugin's own to a chat session's summary.

    Called: once per summary, after the core composed it (attendance, topics,
    unanswered questions, links, exchanges, follow-ups) and before it is
    rendered and delivered: when a session ends, and when the owner regenerates one with
    ``presence summary``. All plugins are asked concurrently; a plugin that raises or runs
    longer than 30 seconds adds nothing and the summary still goes out.

    Args:
        summary: the composed ``Summary`` (frozen); ``summary.session`` says which
            channel, network and times, so the plugin can query its own data for them.

    Returns:
        A list of ``SummarySection`` (title, optional paragraph ``text``, plain-text
        ``items``), or ``None`` for nothing. Text is escaped by every renderer: never
        return markup. The sections appear after the core's, in the order plugins
        answered, each tagged with the plugin's name.

    Awaited: yes, when it is ``async``.
    """


@hookspec
def assistant_opening_detectors() -> (
    Awaitable[list[type[Detector]] | None] | list[type[Detector]] | None
):
    """Contribute detectors, the small classes that propose openings to the owner.

    Called: once per run by the ``openings`` plugin, in its ``assistant_startup``, after
    every enabled plugin was built (the contributing plugin's own ``assistant_startup``
    may not have finished yet). The built-in detectors come through this hook too, from
    the ``openings`` plugin itself; they come first, then the other plugins' by name.

    Returns:
        A list of ``Detector`` subclasses (classes, not instances), or ``None`` for none.
        The engine builds each with its ``DetectorContext``. Every class needs a ``kind``
        (the kind of opening it proposes), which ``[plugins.openings] disabled`` names to
        turn off every detector of that kind. A class that is not a ``Detector`` or has
        no ``kind`` stops start-up with an error naming the plugin.

    Awaited: yes, when it is ``async``; all plugins are asked concurrently, and one that
    raises contributes nothing (it is logged and counted), the others still count.
    """


@hookspec
def assistant_opening_notifiers() -> Awaitable[list[Notifier] | None] | list[Notifier] | None:
    """Contribute notifiers, the places each opening found is delivered to.

    Called: once per run by the ``openings`` plugin, in its ``assistant_startup``, after
    every enabled plugin was built. The built-in console, private-message and webhook
    notifiers (``[plugins.openings] notify``) come through this hook too, from the ``openings``
    plugin itself; they come first, then the other plugins' by name.

    Returns:
        A list of notifiers, or ``None`` for none. A notifier has a ``name`` and an
        ``async notify(opening)`` that delivers one ``Opening`` (``opening.line()`` is a
        one-line text of it, ``opening.as_json()`` a JSON object) and raises when it could
        not; a raising notifier is logged and never stops the others. The plugin that
        contributed a notifier closes what it holds in its own ``assistant_shutdown``.

    Awaited: yes, when it is ``async``; all plugins are asked concurrently, and one that
    raises contributes nothing (it is logged and counted).
    """


@hookspec
def assistant_replay_finished() -> (
    Awaitable[dict[str, list[dict[str, Any]]] | None] | dict[str, list[dict[str, Any]]] | None
):
    """Report what the plugin found in a replayed chat log, once the log has been played.

    Called: once per replay (``presence replay``, and any caller of the replay driver
    that asks for its findings), after the last event was played and delivered to every
    plugin and the replay clock ran on past it, before the assistant stops. The plugin
    may first finish what was waiting on time (waits the clock's last move ran out). A
    live run never calls it; a plugin tells a replay by ``ctx.clock.live`` being false.

    Returns:
        What the plugin found, by kind: ``{"openings": [JSON object, ...]}`` (the
        built-in ``openings`` plugin: every opening it sent, ``Opening.as_json()``), or
        ``None`` for nothing. Objects must be JSON-serialisable. The kinds of all plugins
        are merged; ``presence replay`` prints the ``openings``.

    Awaited: yes, when it is ``async``; all plugins are asked concurrently, and one that
    raises contributes nothing (it is logged and counted).
    """
