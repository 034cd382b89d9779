"""Replay mode: play a chat log through the live code path and print the openings it finds.

The real :class:`~assistant.app.Assistant` runs, through :class:`~assistant.replay.Replay`
(the one replay driver), with a temporary database, the real analyzer and the ``openings``
plugin, on a :class:`~assistant.clock.ReplayClock` that
follows the analysed lines, so waits are measured in the log's time and cost nothing. Each
opening is written as one JSON line.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from assistant import ChannelEvent, Event
from assistant.config import OpeningsSettings, missing_notables, parse_settings
from assistant.connectors.replay import ReplayError, read_replay
from assistant.openings import Opening
from assistant_openings.notifiers import JsonLinesNotifier

__all__ = ["replay_events", "replay_log"]


def _after_end(settings: OpeningsSettings) -> timedelta:
    """How long after the last line a replay lets time run: past every detector's wait."""
    waits = (settings.unanswered_wait * 3, settings.feedback_wait, settings.lull_wait)
    return timedelta(seconds=max(waits) + 1)


async def replay_log(
    path: Path,
    *,
    owner: str,
    notables: Sequence[str],
    interests: Sequence[str] = (),
    log_format: str = "auto",
    out: IO[str] | None = None,
    openings: dict[str, Any] | None = None,
    pipeline: str = "",
    show_held: bool = False,
    warn: Callable[[str], None] | None = None,
) -> list[Opening]:
    """Replay ``path`` with ``owner`` as the owner's name (a nick, a tag) and ``notables`` watched.

    Each opening sent is written to ``out`` as it is found; with ``show_held``, the ones held
    back follow at the end, each with a ``"held"`` reason (for judging the policy).
    A notable none of the log's identities matches is told to ``warn`` once, before the
    replay, with the closest identities the log has.

    Raises:
        ReplayError: the log cannot be read or replayed.
        ConfigError: ``openings`` (keys of ``[plugins.openings]``) are wrong.
    """
    events = list(read_replay(path, log_format=log_format))
    if not events:
        raise ReplayError(f"{path}: no lines to replay")
    return await replay_events(
        events,
        name=path.name,
        owner=owner,
        notables=notables,
        interests=interests,
        out=out,
        openings=openings,
        pipeline=pipeline,
        show_held=show_held,
        warn=warn,
    )


async def replay_events(
    events: Sequence[Event],
    *,
    name: str,
    owner: str,
    notables: Sequence[str],
    interests: Sequence[str] = (),
    out: IO[str] | None = None,
    openings: dict[str, Any] | None = None,
    pipeline: str = "",
    show_held: bool = False,
    warn: Callable[[str], None] | None = None,
) -> list[Opening]:
    """Replay ``events`` (read from logs named ``name``) as :func:`replay_log` replays a log."""
    from assistant.replay import Replay
    from assistant_openings import OpeningsPlugin

    with tempfile.TemporaryDirectory(prefix="presence-replay-") as folder:
        settings = parse_settings(
            {
                "storage": {"path": str(Path(folder) / "replay.sqlite3")},
                "owner": {
                    "name": owner,
                    "identities": [{"platform": "irc", "account": owner}],
                    "nicks": [owner],
                },
                "watchlist": [
                    {"name": nick, "identities": [{"platform": "irc", "nick": nick}], "priority": 3}
                    for nick in notables
                ],
                "interests": list(interests),
                "analysis": {"pipeline": pipeline},
                "plugins": {"openings": {"notify": [], **(openings or {})}},
            },
            "replay",
        )
        if warn is not None:
            actors = {e.actor for e in events if isinstance(e, ChannelEvent)}
            for warning in missing_notables(settings.watchlist, actors, name):
                warn(warning)
        replay = Replay(
            settings,
            events,
            start=events[0].timestamp,
            plugin_classes={"openings": OpeningsPlugin},
        )
        async with replay:
            plugin = replay.assistant.plugins.instance("openings")
            if not isinstance(plugin, OpeningsPlugin):
                raise ReplayError("the openings plugin did not start (reinstall Presence)")
            engine = plugin.engine
            if out is not None:
                engine.notifiers.append(JsonLinesNotifier(out))
            await replay.play()
            # The log ended, time did not: let the waits started near its end run out (but
            # the end of a log is no silence in the chat: no lulls from it).
            await engine.tick()
            engine.detectors = [d for d in engine.detectors if d.kind != "lull"]
            replay.clock.move_to(replay.clock.now() + _after_end(engine.settings))
            await engine.tick()
        if out is not None and show_held:
            for opening, reason in engine.held:
                out.write(json.dumps({**opening.as_json(), "held": reason}, ensure_ascii=False))
                out.write("\n")
        sent: list[Opening] = engine.sent
        return sent
