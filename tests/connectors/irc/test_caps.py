"""CAP negotiation decisions, and the connection's guard against lines that break the library."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from assistant.connectors.irc.caps import CapNegotiator, CapReactor


def test_cap_negotiation_requests_what_is_offered_then_ends() -> None:
    caps = CapNegotiator()
    assert caps.on_cap(["LS", "*", "multi-prefix sasl=PLAIN,EXTERNAL"]) == []  # more follows
    sent = caps.on_cap(["LS", "server-time away-notify echo-message"])
    assert sent == ["CAP REQ :away-notify multi-prefix server-time"]
    assert caps.offered["sasl"] == "PLAIN,EXTERNAL"
    assert caps.on_cap(["ACK", "away-notify multi-prefix server-time"]) == ["CAP END"]
    assert caps.acked == {"away-notify", "multi-prefix", "server-time"}
    assert caps.on_cap(["DEL", "away-notify"]) == []
    assert "away-notify" not in caps.acked


def test_cap_negotiation_with_nothing_wanted_or_refused() -> None:
    assert CapNegotiator().on_cap(["LS", "foo bar"]) == ["CAP END"]
    caps = CapNegotiator()
    caps.on_cap(["LS", "multi-prefix"])
    assert caps.on_cap(["NAK", "multi-prefix"]) == ["CAP END"]
    assert caps.acked == set() and caps.done
    assert caps.on_cap(["ACK", "multi-prefix"]) == []  # late replies never send a second END


async def test_connection_survives_latin1_and_lines_the_library_cannot_parse(
    caplog: pytest.LogCaptureFixture,
) -> None:
    reactor = CapReactor(loop=asyncio.get_running_loop())
    conn = reactor.server()
    conn.real_nickname, conn.real_server_name, conn.handlers = "presence", "", {}
    conn.buffer = conn.buffer_class()
    seen: list[Any] = []
    reactor.add_global_handler("all_events", lambda _c, ev: seen.append(ev))
    caplog.set_level(logging.WARNING)
    # One read holding: a latin-1 byte, a bare QUIT (IndexError in the library), an unparsable
    # line, and a normal line that must still arrive.
    conn.process_data(
        b":a!b@c PRIVMSG #x :caf\xe9\r\n:a!b@c QUIT\r\n \r\n:z!y@x PRIVMSG #x :after\r\n"
    )
    texts = [(ev.type, ev.arguments) for ev in seen if ev.type != "all_raw_messages"]
    assert ("pubmsg", ["café"]) in texts
    assert ("quit", [""]) in texts
    assert texts[-1] == ("pubmsg", ["after"])
    assert "could not handle" in caplog.text
    assert "Traceback" not in caplog.text  # the server's fault: one line each, no traceback


def test_sasl_is_requested_only_with_credentials_and_plain_offered() -> None:
    assert CapNegotiator().on_cap(["LS", "sasl server-time"]) == ["CAP REQ :server-time"]
    assert CapNegotiator(sasl=True).on_cap(["LS", "sasl=EXTERNAL server-time"]) == [
        "CAP REQ :server-time"
    ]
    caps = CapNegotiator(sasl=True)
    assert caps.on_cap(["LS", "sasl=PLAIN,AUTHCOOKIE server-time"]) == ["CAP REQ :server-time sasl"]
    assert caps.sasl_state == "requested"
    assert CapNegotiator(sasl=True).on_cap(["LS", "sasl"]) == ["CAP REQ :sasl"]  # 3.1 style


def test_sasl_holds_cap_end_until_the_login_ends() -> None:
    caps = CapNegotiator(sasl=True)
    caps.on_cap(["LS", "sasl=PLAIN server-time"])
    assert caps.on_cap(["ACK", "server-time sasl"]) == ["AUTHENTICATE PLAIN"]
    assert (caps.sasl_state, caps.done) == ("authenticating", False)
    assert caps.finish_sasl(True) == ["CAP END"]
    assert (caps.sasl_state, caps.done) == ("succeeded", True)
    assert caps.finish_sasl(False) == []  # never a second CAP END


def test_a_refused_sasl_request_ends_negotiation() -> None:
    caps = CapNegotiator(sasl=True)
    caps.on_cap(["LS", "sasl=PLAIN"])
    assert caps.on_cap(["NAK", "sasl"]) == ["CAP END"]
    assert caps.sasl_state == "failed"
