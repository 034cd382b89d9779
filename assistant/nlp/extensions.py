"""Every ``._`` extension the assistant's spaCy components set, registered in one place.

Components and callers read these names only; defining them here (never with ``force=True``)
means a clash with another package's extension of the same name fails loudly at load time.
"""

from __future__ import annotations

from typing import Any

from spacy.tokens import Doc, Token

__all__ = ["DOC_EXTENSIONS", "TOKEN_EXTENSIONS", "register_extensions"]

# Attribute extensions only (no getters): components compute each value once per doc, and the
# values are plain Python objects, safe to read after a memory zone ends.
DOC_EXTENSIONS: dict[str, Any] = {
    "assistant_topics": (),  # normalised key phrases and entities, in order of appearance
    "assistant_is_question": False,
    "assistant_addressees": (),  # roster nicks (as the roster spells them) the message addresses
    "assistant_links": (),  # URLs as written
    "assistant_acts": (),  # dialogue acts: greeting, thanks, request_for_help, ...
    # Set before the pipeline runs: which channel's roster addressees come from (any hashable
    # key given to `set_roster(..., channel=)`); None means the roster set without a channel.
    "assistant_roster": None,
}
TOKEN_EXTENSIONS: dict[str, Any] = {
    "assistant_is_nick": False,  # the token names someone on the roster (or is an @mention)
    "assistant_is_link": False,
}


def _ensure(cls: type[Doc] | type[Token], name: str, default: Any) -> None:
    wanted = (default, None, None, None)
    if cls.has_extension(name):
        existing = cls.get_extension(name)
        if existing != wanted:
            raise ValueError(
                f"{cls.__name__}._.{name} is already defined differently ({existing!r}); "
                "another package uses the same extension name"
            )
        return
    cls.set_extension(name, default=default)


def register_extensions() -> None:
    """Define the assistant's extensions once; calling it again is a no-op, a clash an error."""
    for name, default in DOC_EXTENSIONS.items():
        _ensure(Doc, name, default)
    for name, default in TOKEN_EXTENSIONS.items():
        _ensure(Token, name, default)
