"""Chat commands: decorated plugin methods that become data, and running them safely.

A plugin marks a method with ``@command("seen", example="!seen alice")``; its docstring
becomes the help text and its example is run by the test suite. The host collects the
commands of every plugin into a :class:`CommandTable`, which parses a chat line, checks
that owner-only commands come from the verified owner (an IRC account or a Discord
user id, never a nick), runs the handler, and turns a handler's failure into a short
apology instead of a crash.
"""

from __future__ import annotations

import inspect
import logging
import re
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from assistant.config import OwnerSettings, Settings
from assistant.events import Identity, MessageReceived, irc_casefold

__all__ = [
    "Command",
    "CommandContext",
    "CommandError",
    "CommandTable",
    "Send",
    "collect_commands",
    "command",
    "is_verified_owner",
]

log = logging.getLogger(__name__)

Send = Callable[[str, str, str], Awaitable[None]]
"""Send text: ``await send(network, target, text)`` (target: a channel or a nick/user id)."""

Handler = Callable[["CommandContext"], Awaitable[None]]

_F = TypeVar("_F", bound=Callable[..., Awaitable[None]])

_ATTR = "_assistant_command"
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_EXAMPLE_PREFIX = "!"
_MAX_REPLY = 400  # stays within one IRC line once the server adds its prefix

REFUSED = "Sorry, only my owner can use {prefix}{name}."
FAILED = "Sorry, that failed."


class CommandError(Exception):
    """A command is declared wrongly (bad name, missing docstring or example, duplicate)."""


@dataclass(frozen=True, slots=True)
class _Spec:
    name: str
    example: str
    owner_only: bool


@dataclass(frozen=True, slots=True)
class Command:
    """One chat command, as data: what it is called, how to use it, and who runs it."""

    name: str
    help: str
    example: str
    owner_only: bool
    plugin: str
    handler: Handler = field(repr=False, compare=False)

    def usage(self, prefix: str) -> str:
        """Return the example as typed with the configured command ``prefix``."""
        return prefix + self.example.removeprefix(_EXAMPLE_PREFIX)


def command(name: str, *, example: str, owner_only: bool = False) -> Callable[[_F], _F]:
    """Mark an ``async def`` plugin method as the chat command ``name``.

    The method's docstring becomes the help text. ``example`` is a full chat line as the
    user would type it with the default prefix (``"!seen alice"``); the test suite runs
    every example, so it must work on a fresh database. ``owner_only`` commands run only
    for the verified owner.

    Raises:
        CommandError: the name, example, docstring or method is not usable.
    """
    if not _NAME.match(name):
        raise CommandError(
            f"command name {name!r} must be lowercase letters, digits, - or _ (max 32)"
        )
    if not (example == f"!{name}" or example.startswith(f"!{name} ")):
        raise CommandError(f"command {name!r}: example {example!r} must start with '!{name}'")

    def mark(method: _F) -> _F:
        is_async = inspect.iscoroutinefunction(method)  # kept apart: it would narrow `method`
        if not is_async:
            raise CommandError(f"command {name!r}: {method.__qualname__} must be `async def`")
        if not inspect.getdoc(method):
            raise CommandError(
                f"command {name!r}: {method.__qualname__} needs a docstring (it is the help text)"
            )
        setattr(method, _ATTR, _Spec(name, example, owner_only))
        return method

    return mark


def _help_text(method: Callable[..., Any]) -> str:
    """Return the first paragraph of the docstring, on one line."""
    doc = inspect.getdoc(method) or ""
    return " ".join(doc.split("\n\n", 1)[0].split())


def collect_commands(plugin_name: str, plugin: object) -> list[Command]:
    """Return the commands declared with ``@command`` on ``plugin``'s class, bound to it."""
    found: list[Command] = []
    for attr in sorted(dir(type(plugin))):
        spec = getattr(inspect.getattr_static(type(plugin), attr, None), _ATTR, None)
        if not isinstance(spec, _Spec):
            continue
        handler = getattr(plugin, attr)
        found.append(
            Command(
                spec.name,
                _help_text(handler),
                spec.example,
                spec.owner_only,
                plugin_name,
                handler,
            )
        )
    return found


def is_verified_owner(identity: Identity, owner: OwnerSettings) -> bool:
    """Tell whether ``identity`` is provably the owner: IRC account or Discord id, never a nick.

    An IRC identity matches an owner reference only by its services account (which the
    server verified); a Discord identity only by its user id. A reference with a
    ``network`` matches only on that network.
    """
    for ref in owner.identities:
        if ref.platform != identity.platform:
            continue
        if ref.network is not None and ref.network != identity.network:
            continue
        if ref.platform == "irc":
            account = identity.account
            if ref.account and account and irc_casefold(ref.account) == irc_casefold(account):
                return True
        elif ref.user_id and identity.user_id == ref.user_id:
            return True
    return False


def _clean(text: str) -> str:
    """Keep a reply on one line and within one message (no CR/LF injection)."""
    line = " ".join(text.split())
    return line if len(line) <= _MAX_REPLY else line[: _MAX_REPLY - 1] + "…"


@dataclass(frozen=True, slots=True)
class CommandContext:
    """What a command handler gets: the message, the parsed command, and a way to reply."""

    event: MessageReceived
    name: str
    args: str
    is_owner: bool
    send: Send = field(repr=False, compare=False)
    prefix: str = "!"

    @property
    def reply_target(self) -> str:
        """Where replies go: the channel asked in, or the asker for a private message."""
        if self.event.channel is not None:
            return self.event.channel
        return self.asker

    @property
    def asker(self) -> str:
        """Where the asker alone is reached: their Discord user id, else their nick."""
        actor = self.event.actor
        if actor.platform == "discord" and actor.user_id is not None:
            return actor.user_id
        return actor.nick

    async def reply(self, text: str) -> None:
        """Answer where the command was asked (privately if it was asked privately)."""
        await self.send(self.event.network, self.reply_target, _clean(text))

    async def reply_privately(self, text: str) -> None:
        """Answer the asker alone, even when the command was asked in a channel."""
        await self.send(self.event.network, self.asker, _clean(text))


class CommandTable:
    """The commands of every loaded plugin, by name, with the built-in ``help``."""

    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}
        self.add([Command("help", _HELP_DOC, "!help seen", False, "core", self._help)])

    def add(self, commands: Iterable[Command]) -> None:
        """Register ``commands``.

        Raises:
            CommandError: a name is already taken (by this or another plugin).
        """
        added: dict[str, Command] = {}
        for cmd in commands:
            taken = self._commands.get(cmd.name) or added.get(cmd.name)
            if taken is not None:
                raise CommandError(
                    f"command {cmd.name!r} of plugin {cmd.plugin!r} clashes with the one "
                    f"of plugin {taken.plugin!r}: disable one of them or rename the command"
                )
            added[cmd.name] = cmd
        self._commands.update(added)

    def get(self, name: str) -> Command | None:
        """Return the command called ``name``, if any."""
        return self._commands.get(name)

    @property
    def commands(self) -> list[Command]:
        """Every command, sorted by name."""
        return sorted(self._commands.values(), key=lambda c: c.name)

    async def dispatch(
        self,
        event: MessageReceived,
        *,
        settings: Settings,
        send: Send,
        errors: Counter[str],
        before: Callable[[str], Awaitable[None]] | None = None,
    ) -> bool:
        """Run the command in ``event``, if it is one; return True when it was handled.

        ``before`` is awaited with the command's plugin name just before its handler runs
        (the plugin host uses it to let the plugin catch up on earlier events).

        Unknown commands, notices and /me actions are ignored (False). An owner-only
        command from anyone but the verified owner gets a polite refusal. A handler that
        raises is logged and counted against its plugin, and the user gets a short
        apology.
        """
        prefix = settings.commands.prefix
        if event.kind != "message" or not event.text.startswith(prefix):
            return False
        rest = event.text[len(prefix) :]
        if not rest or rest[0].isspace():
            return False
        name, *more = rest.split(maxsplit=1)
        args = more[0] if more else ""
        cmd = self._commands.get(name.lower())
        if cmd is None:
            return False
        ctx = CommandContext(
            event=event,
            name=cmd.name,
            args=args.strip(),
            is_owner=is_verified_owner(event.actor, settings.owner),
            send=send,
            prefix=prefix,
        )
        if cmd.owner_only and not ctx.is_owner:
            log.info(
                "refused %s%s from %s on %s", prefix, cmd.name, event.actor.nick, event.network
            )
            await ctx.reply(REFUSED.format(prefix=prefix, name=cmd.name))
            return True
        try:
            if before is not None:
                await before(cmd.plugin)
            await cmd.handler(ctx)
        except Exception:
            errors[cmd.plugin] += 1
            logging.getLogger(f"assistant.plugins.{cmd.plugin}").exception(
                "plugin %s: command %s%s failed", cmd.plugin, prefix, cmd.name
            )
            await ctx.reply(FAILED)
        return True

    async def _help(self, cmd: CommandContext) -> None:
        prefix = cmd.prefix
        wanted = cmd.args.split()[0].lower().removeprefix(prefix) if cmd.args else ""
        if not wanted:
            names = ", ".join(c.name for c in self.commands)
            await cmd.reply(f"Commands: {names}. Say {prefix}help NAME for details.")
            return
        found = self._commands.get(wanted)
        if found is None:
            await cmd.reply(f"I know no command {wanted!r}. Say {prefix}help for the list.")
            return
        owner = " (owner only)" if found.owner_only else ""
        await cmd.reply(f"{prefix}{found.name}{owner}: {found.help} Example: {found.usage(prefix)}")


_HELP_DOC = "List the commands, or explain one: its purpose and an example."
