"""SASL PLAIN payload encoding: base64 in 400-byte pieces, a lone ``+`` after an exact multiple."""

from __future__ import annotations

import base64

from assistant.connectors.irc.sasl import CHUNK, mechanisms, plain_payload


def decode(chunks: list[str]) -> bytes:
    return base64.b64decode("".join(chunk for chunk in chunks if chunk != "+"))


def test_short_payload_is_one_line() -> None:
    chunks = plain_payload("ann", "pw")
    assert chunks == [base64.b64encode(b"ann\0ann\0pw").decode()]
    assert decode(plain_payload("ann", "pw", authzid="")) == b"\0ann\0pw"


def test_long_payload_is_split_in_400_byte_pieces() -> None:
    password = "p" * 500  # 500 + 2 x "ann" + 2 NUL = 508 bytes -> 680 base64 characters
    chunks = plain_payload("ann", password)
    assert [len(chunk) for chunk in chunks] == [CHUNK, 280]
    assert decode(chunks) == f"ann\0ann\0{password}".encode()


def test_a_payload_of_an_exact_multiple_ends_with_a_plus() -> None:
    password = "x" * (300 - len("ann\0ann\0"))  # 300 bytes -> exactly 400 base64 characters
    chunks = plain_payload("ann", password)
    assert [len(chunk) for chunk in chunks] == [CHUNK, 1] and chunks[-1] == "+"
    assert decode(chunks) == f"ann\0ann\0{password}".encode()
    password = "y" * (600 - len("ann\0ann\0"))
    assert [len(chunk) for chunk in plain_payload("ann", password)] == [CHUNK, CHUNK, 1]


def test_non_ascii_password_is_utf8() -> None:
    assert decode(plain_payload("ann", "pässwörd")) == "ann\0ann\0pässwörd".encode()


def test_mechanisms_from_the_cap_value() -> None:
    assert mechanisms("PLAIN,external") == {"PLAIN", "EXTERNAL"}
    assert mechanisms("") == frozenset()
