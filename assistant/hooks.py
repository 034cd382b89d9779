"""Calling hooks: await what is awaitable, name the plugin behind each result, isolate failures.

pluggy finds and orders the implementations; calling them is done here instead of
through ``pm.hook.NAME(...)`` because implementations may be ``async def`` and because
one plugin raising must never stop the others (pluggy would propagate the first error,
and its ``firstresult`` would stop at an un-awaited coroutine).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import pluggy

from assistant import hookspecs

__all__ = [
    "HookResult",
    "call_hook",
    "call_impl",
    "first_answer",
    "hookimpl",
    "new_plugin_manager",
    "plugin_logger",
]

hookimpl = pluggy.HookimplMarker(hookspecs.PROJECT)
"""Mark a plugin method as the implementation of the hook of the same name."""


@dataclass(frozen=True, slots=True)
class HookResult:
    """What one plugin's implementation of a hook gave back: a value, or the error it raised."""

    plugin: str
    value: object
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        """True when the implementation returned instead of raising (or timing out)."""
        return self.error is None


def plugin_logger(name: str) -> logging.Logger:
    """Return the logger of plugin ``name``, so its messages are filtered per plugin."""
    return logging.getLogger(f"assistant.plugins.{name}")


def new_plugin_manager() -> pluggy.PluginManager:
    """Build a plugin manager that knows the contract in ``assistant.hookspecs``."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    return pm


def _impls(pm: pluggy.PluginManager, hook_name: str) -> list[pluggy.HookImpl]:
    """Return the implementations of ``hook_name`` in pluggy's call order."""
    caller: pluggy.HookCaller | None = getattr(pm.hook, hook_name, None)
    if caller is None or not caller.has_spec():
        raise ValueError(f"{hook_name!r} is not a hook of assistant.hookspecs")
    return list(reversed(caller.get_hookimpls()))


def _check_args(pm: pluggy.PluginManager, hook_name: str, args: Mapping[str, object]) -> None:
    caller: pluggy.HookCaller = getattr(pm.hook, hook_name)
    assert caller.spec is not None
    expected = set(caller.spec.argnames)
    if set(args) != expected:
        raise TypeError(f"{hook_name} takes {sorted(expected)}, was called with {sorted(args)}")


async def call_impl(
    impl: pluggy.HookImpl,
    hook_name: str,
    args: Mapping[str, object],
    *,
    errors: Counter[str] | None = None,
    time_limit: float | None = None,
) -> HookResult:
    """Call one implementation, await it if needed, and turn an exception into a result.

    The error is logged on the plugin's logger with the plugin's name and counted in
    ``errors``; only cancellation of the caller propagates.
    """
    name = impl.plugin_name
    deadline: asyncio.Timeout | None = None
    try:
        value = impl.function(*(args[arg] for arg in impl.argnames))
        if inspect.isawaitable(value):
            async with asyncio.timeout(time_limit) as deadline:
                value = await value
    except Exception as exc:
        if errors is not None:
            errors[name] += 1
        log = plugin_logger(name)
        if isinstance(exc, TimeoutError) and deadline is not None and deadline.expired():
            log.error("plugin %s: %s did not finish within %s s", name, hook_name, time_limit)
        else:
            log.error("plugin %s: %s raised", name, hook_name, exc_info=exc)
        return HookResult(name, None, exc)
    return HookResult(name, value)


async def call_hook(
    pm: pluggy.PluginManager,
    hook_name: str,
    args: Mapping[str, object] | None = None,
    /,
    *,
    errors: Counter[str] | None = None,
    time_limit: float | None = None,
) -> list[HookResult]:
    """Call every implementation of ``hook_name`` concurrently and return all their results.

    ``args`` maps each argument of the hook specification to its value. Results come in
    pluggy's call order (``tryfirst`` first), one per implementation, each naming its
    plugin; an implementation that raised (or ran longer than ``time_limit`` seconds) is logged,
    counted in ``errors`` and reported in its result. It never raises because a plugin
    raised.

    Raises:
        ValueError: ``hook_name`` is not in ``assistant.hookspecs``.
        TypeError: ``args`` does not match the hook's arguments (a bug in the caller).
    """
    args = dict(args or {})
    impls = _impls(pm, hook_name)
    _check_args(pm, hook_name, args)
    calls = [
        call_impl(impl, hook_name, args, errors=errors, time_limit=time_limit) for impl in impls
    ]
    return list(await asyncio.gather(*calls))


async def first_answer(
    pm: pluggy.PluginManager,
    hook_name: str,
    args: Mapping[str, object] | None = None,
    /,
    *,
    errors: Counter[str] | None = None,
    time_limit: float | None = None,
) -> HookResult | None:
    """Ask the implementations of ``hook_name`` one at a time; the first non-``None`` answer wins.

    Implementations are asked in pluggy's call order and the rest are not called once
    one answered; one that raises is logged, counted and skipped. Returns ``None`` when
    nobody answered. (This replaces pluggy's ``firstresult``, which cannot await.)

    Raises:
        ValueError: ``hook_name`` is not in ``assistant.hookspecs``.
        TypeError: ``args`` does not match the hook's arguments (a bug in the caller).
    """
    args = dict(args or {})
    impls = _impls(pm, hook_name)
    _check_args(pm, hook_name, args)
    for impl in impls:
        result = await call_impl(impl, hook_name, args, errors=errors, time_limit=time_limit)
        if result.ok and result.value is not None:
            return result
    return None
