"""SASL PLAIN for IRC (IRCv3 ``sasl``): the payload encoding and what each reply numeric means.

Kept apart from the socket code so the one place that handles the password in clear is small
and unit-tested: the payload is built here, returned to a caller that writes it to the socket
without logging it, and never stored.
"""

from __future__ import annotations

import base64

__all__ = ["CHUNK", "FAILURES", "SUCCESS", "mechanisms", "plain_payload"]

CHUNK = 400
"""Bytes of base64 per ``AUTHENTICATE`` line; a payload of an exact multiple ends with ``+``."""

SUCCESS = "saslsuccess"
"""The library's event type for 903 RPL_SASLSUCCESS."""

FAILURES = {
    "nicklocked": "902 the account is locked or the nick is held",
    "saslfail": "904 the account or password was refused",
    "sasltoolong": "905 the SASL message was too long",
    "saslaborted": "906 SASL was aborted",
    "saslalready": "907 already logged in",
}
"""The library's event types for the numerics that end SASL without success, and their meaning."""


def mechanisms(value: str) -> frozenset[str]:
    """The mechanisms a ``sasl=PLAIN,EXTERNAL`` CAP value lists (empty: the server did not say)."""
    return frozenset(item.strip().upper() for item in value.split(",") if item.strip())


def plain_payload(account: str, password: str, authzid: str | None = None) -> list[str]:
    """Encode a PLAIN login as the ``AUTHENTICATE`` arguments to send, in order.

    The message is ``authzid NUL authcid NUL password`` (authzid defaults to the account),
    base64-encoded and cut into :data:`CHUNK`-byte pieces; a lone ``+`` follows a payload
    whose length is an exact multiple of the chunk size, so the server knows it is complete.
    """
    message = "\0".join((account if authzid is None else authzid, account, password))
    blob = base64.b64encode(message.encode("utf-8")).decode("ascii")
    chunks = [blob[start : start + CHUNK] for start in range(0, len(blob), CHUNK)]
    if len(blob) % CHUNK == 0:
        chunks.append("+")
    return chunks
