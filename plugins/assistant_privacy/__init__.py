"""``!optout`` and ``!optin``: anyone may ask not to be recorded, and change their mind.

An opt-out takes effect for the very next event and deletes what was recorded about the
person (the summary files of the sessions they attended are written again without them);
the answer goes to them privately, never to the channel, so that asking is
discreet. The core keeps only the bare identity key, which is what honouring it needs.
"""

from __future__ import annotations

from assistant import CommandContext, Plugin, command, opt_in, opt_out

__all__ = ["PrivacyPlugin"]

OPTED_OUT = (
    "You are opted out: I no longer record anything you say or do here, and I deleted "
    "what I had recorded about you ({rows} records). Say {prefix}optin to undo."
)
OPTED_IN = "You are opted in again: I record what you say from now on (nothing from before)."
NOT_OUT = "You had not opted out; nothing changed."


class PrivacyPlugin(Plugin):
    """Let people opt out of being recorded (and back in), confirmed privately."""

    @command("optout", example="!optout")
    async def optout(self, cmd: CommandContext) -> None:
        """Stop recording you from now on, and delete what was recorded about you."""
        actor = cmd.event.actor
        if actor.platform == "irc" and not actor.account:
            # A nick alone can be taken by someone else later: the opt-out binds the nick.
            self.ctx.log.info("opt-out of unverified nick %s on %s", actor.nick, actor.network)
        rows = await opt_out(
            self.ctx.db, actor, settings=self.ctx.settings, call=self.ctx.call_hook
        )
        await cmd.reply_privately(OPTED_OUT.format(rows=rows, prefix=cmd.prefix))

    @command("optin", example="!optin")
    async def optin(self, cmd: CommandContext) -> None:
        """Be recorded again from now on, after an opt-out."""
        changed = await opt_in(self.ctx.db, cmd.event.actor)
        await cmd.reply_privately(OPTED_IN if changed else NOT_OUT)
