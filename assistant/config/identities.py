"""Identities as users write them: ``name#1234``, a display name, a Discord user id, a nick.

A user names a person the way a chat shows them: Discord's ``name#1234`` tag (an export
keeps it; mentions and display names drop it), the bare name, the numeric user id, an IRC
nick or services account. These functions match such a written name, or a configured
:class:`~assistant.config.IdentityRef`, against an identity as recorded (live or imported),
and find the closest names seen when nothing matches. Matching here never grants a
privilege: that stays with verified identities (``assistant.commands.is_verified_owner``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from typing import Protocol

from assistant.config.base import IdentityRef
from assistant.config.sections import OwnerSettings, WatchedMember
from assistant.events import irc_casefold

__all__ = [
    "SeenIdentity",
    "attributed_to_owner",
    "closest_names",
    "display_name",
    "missing_notables",
    "ref_matches",
    "split_tag",
    "written_matches",
]

_TAG = re.compile(r"^(.+?)#(\d{4})$")


class SeenIdentity(Protocol):
    """An identity as recorded: what the matching here reads of it."""

    @property
    def nick(self) -> str: ...

    @property
    def account(self) -> str | None: ...

    @property
    def user_id(self) -> str | None: ...


def split_tag(text: str) -> tuple[str, str | None]:
    """``("name", "1234")`` for a Discord tag ``name#1234``; ``(text, None)`` otherwise."""
    found = _TAG.match(text.strip())
    if found is None:
        return text.strip(), None
    return found.group(1), found.group(2)


def _fold(text: str) -> str:
    return irc_casefold(text.strip())


def _names(*texts: str | None) -> tuple[set[str], bool]:
    """The folded forms of ``texts`` (a tag also as its bare name), and whether one is a tag."""
    forms: set[str] = set()
    tagged = False
    for text in texts:
        if not text:
            continue
        forms.add(_fold(text))
        base, tag = split_tag(text)
        if tag is not None:
            forms.add(_fold(base))
            tagged = True
    return forms, tagged


def _written_in(written: str, forms: set[str], tagged: bool) -> bool:
    if _fold(written) in forms:
        return True
    base, tag = split_tag(written)
    # "name#1234" still finds "name" where no tag was recorded (a live display name, an
    # IRC nick); where a tag was recorded, only the same tag is the same person.
    return tag is not None and not tagged and _fold(base) in forms


def written_matches(written: str, identity: SeenIdentity) -> bool:
    """Whether ``written`` (a tag, name, nick, account or user id) names ``identity``."""
    if identity.user_id is not None and written.strip() == identity.user_id:
        return True
    forms, tagged = _names(identity.nick, identity.account)
    return _written_in(written, forms, tagged)


def ref_matches(ref: IdentityRef, identity: SeenIdentity) -> bool:
    """Whether a configured reference names ``identity`` (its platform and network aside).

    A user id matches only that id; an account matches the recorded account (or its tag's
    bare name); a nick matches the nick, the account, or either's tag as users write them.
    """
    if ref.user_id is not None and identity.user_id == ref.user_id.strip():
        return True
    if ref.account is not None:
        forms, tagged = _names(identity.account)
        if _written_in(ref.account, forms, tagged):
            return True
    return ref.nick is not None and written_matches(ref.nick, identity)


def display_name(identity: SeenIdentity) -> str:
    """How to show an identity so a user can write it back: the tag when one was recorded."""
    for text in (identity.account, identity.nick):
        if text and split_tag(text)[1] is not None:
            return text
    return identity.nick


def closest_names(written: str, seen: Iterable[str], limit: int = 3) -> list[str]:
    """The names in ``seen`` closest to ``written`` (case aside), best first."""
    by_fold: dict[str, str] = {}
    for name in seen:
        by_fold.setdefault(name.casefold(), name)
    wanted = split_tag(written)[0].casefold()
    found = difflib.get_close_matches(wanted, list(by_fold), n=limit, cutoff=0.5)
    if len(found) < limit:
        # A tag differs from its bare name by its "#1234": compare bare names too.
        bare = {split_tag(name)[0]: name for name in by_fold}
        for near in difflib.get_close_matches(wanted, list(bare), n=limit, cutoff=0.5):
            if bare[near] not in found:
                found.append(bare[near])
    return [by_fold[name] for name in found[:limit]]


def attributed_to_owner(
    owner: OwnerSettings, platform: str, network: str, identity: SeenIdentity
) -> bool:
    """Whether lines by ``identity`` count as the owner's (read-only: never a privilege).

    A verified identity (IRC account, Discord user id) counts; so, where the server
    verified no account, does the configured account written as a nick, and anywhere one
    of ``[owner] nicks`` as users write it. An IRC identity logged in to another account
    is someone else, whatever its nick.
    """
    for ref in owner.identities:
        if ref.platform != platform or ref.network not in (None, network):
            continue
        if ref.user_id is not None and identity.user_id == ref.user_id:
            return True
        if ref.account is not None:
            if identity.account is not None:
                if _fold(identity.account) == _fold(ref.account):
                    return True
            elif written_matches(ref.account, identity):
                return True
    for name in owner.nicks:
        if platform == "irc" and identity.account is not None:
            if _fold(identity.account) == _fold(name):
                return True
        elif written_matches(name, identity):
            return True
    return False


def missing_notables(
    watchlist: Sequence[WatchedMember], seen: Iterable[SeenIdentity], where: str
) -> list[str]:
    """A warning for each watched member none of the ``seen`` identities matches.

    Each names the closest identities seen, as users can write them back (``name#1234``
    where a tag was recorded), so a misspelt or mis-tagged notable is never a silent zero.
    """
    identities = list(seen)
    names = sorted({display_name(i) for i in identities})
    warnings = []
    for member in watchlist:
        if any(ref_matches(ref, i) for ref in member.identities for i in identities):
            continue
        written = [r.nick or r.account or r.user_id or "" for r in member.identities]
        near: list[str] = []
        for text in [member.name, *written]:
            near += [n for n in closest_names(text, names) if n not in near]
        hint = f"; closest identities seen: {', '.join(near[:5])}" if near else ""
        shown = ", ".join(dict.fromkeys(w for w in [member.name, *written] if w))
        warnings.append(f"notable {shown!r} never appears in {where}{hint}")
    return warnings
