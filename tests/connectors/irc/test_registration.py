"""Registration without a socket: CAP and SASL PLAIN, failure handling, NickServ, nick fallback.

The password must never reach a log: every test here captures logs at DEBUG and looks for it
(and for its base64 form) in the log text and in the lines sent through the logged path.
"""

from __future__ import annotations

import base64
import logging
from typing import Any

import pytest
from irc.client import Event as LibEvent

from assistant.config import NetworkSettings
from assistant.connectors.irc.registration import Registration

PASSWORD = "correct horse battery staple"
ENV = "PRESENCE_TEST_SASL_PASSWORD"


class FakeLink:
    """Records what registration sends, keeping secret lines apart."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.secret: list[str] = []
        self.nicks: list[str] = []
        self.hung_up = False

    def send(self, line: str) -> None:
        self.sent.append(line)

    def send_secret(self, line: str) -> None:
        self.secret.append(line)

    def nick(self, nick: str) -> None:
        self.nicks.append(nick)

    def disconnect(self) -> None:
        self.hung_up = True


def ev(kind: str, target: str | None = None, *args: str, source: str = "irc.test") -> Any:
    return LibEvent(kind, source, target, list(args))


def settings(**extra: Any) -> NetworkSettings:
    base: dict[str, Any] = {
        "tls": False,
        "nick": "pres",
        "sasl_username": "presacct",
        "sasl_password_env": ENV,
    }
    return NetworkSettings(**(base | extra))


@pytest.fixture
def password(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(ENV, PASSWORD)
    return PASSWORD


def assert_never_logged(caplog: pytest.LogCaptureFixture, link: FakeLink) -> None:
    encoded = base64.b64encode(f"presacct\0presacct\0{PASSWORD}".encode()).decode()
    for secret in (PASSWORD, encoded):
        assert secret not in caplog.text
        assert not any(secret in line for line in link.sent)


def test_sasl_plain_success(password: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    link = FakeLink()
    reg = Registration("testnet", settings(), link)
    reg.handle(ev("cap", "*", "LS", "sasl=PLAIN server-time"))
    reg.handle(ev("cap", "*", "ACK", "server-time sasl"))
    assert link.sent == ["CAP REQ :server-time sasl", "AUTHENTICATE PLAIN"]
    reg.handle(ev("authenticate", "+", source=""))
    expected = base64.b64encode(f"presacct\0presacct\0{password}".encode()).decode()
    assert link.secret == [f"AUTHENTICATE {expected}"]
    reg.handle(ev("loggedin", "pres", "pres!u@h", "presacct", "You are now logged in"))
    reg.handle(ev("saslsuccess", "pres", "SASL authentication successful"))
    assert link.sent[-1] == "CAP END"
    assert reg.account == "presacct" and reg.acked == {"server-time", "sasl"}
    reg.welcomed()  # logged in already: no NickServ
    assert len(link.secret) == 1
    assert "logged in with SASL as presacct" in caplog.text
    assert_never_logged(caplog, link)


def test_a_long_password_is_sent_in_chunks(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(ENV, "z" * 582)  # with "presacct" twice and 2 NULs: 600 bytes, 800 b64
    caplog.set_level(logging.DEBUG)
    link = FakeLink()
    reg = Registration("testnet", settings(), link)
    reg.handle(ev("cap", "*", "LS", "sasl"))
    reg.handle(ev("cap", "*", "ACK", "sasl"))
    reg.handle(ev("authenticate", "+"))
    assert [len(line) for line in link.secret] == [413, 413, 14]
    assert link.secret[-1] == "AUTHENTICATE +"
    assert "z" * 20 not in caplog.text


@pytest.mark.parametrize(
    ("numeric", "meaning"),
    [
        ("saslfail", "904 the account or password was refused"),
        ("sasltoolong", "905"),
        ("saslaborted", "906"),
        ("saslalready", "907"),
        ("nicklocked", "902"),
    ],
)
def test_sasl_failure_is_logged_clearly_and_registration_goes_on(
    password: str, caplog: pytest.LogCaptureFixture, numeric: str, meaning: str
) -> None:
    caplog.set_level(logging.DEBUG)
    link = FakeLink()
    reg = Registration("testnet", settings(), link)
    reg.handle(ev("cap", "*", "LS", "sasl=PLAIN"))
    reg.handle(ev("cap", "*", "ACK", "sasl"))
    reg.handle(ev("authenticate", "+"))
    reg.handle(ev(numeric, "pres", "SASL authentication failed"))
    assert link.sent[-1] == "CAP END"
    assert reg.caps.sasl_state == "failed" and reg.account is None
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "testnet" in errors[0] and meaning in errors[0] and "'presacct'" in errors[0]
    assert ENV in errors[0] and "continuing without logging in" in errors[0]
    reg.welcomed()  # SASL was tried: no NickServ fallback after a failure
    assert len(link.secret) == 1
    assert_never_logged(caplog, link)


def test_nickserv_fallback_when_no_sasl_is_offered(
    password: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    link = FakeLink()
    reg = Registration("testnet", settings(), link)
    reg.handle(ev("cap", "*", "LS", "multi-prefix"))
    assert link.sent == ["CAP REQ :multi-prefix"]
    reg.handle(ev("cap", "*", "ACK", "multi-prefix"))
    assert link.secret == []
    reg.welcomed()
    assert link.secret == [f"PRIVMSG NickServ :IDENTIFY presacct {password}"]
    assert "identifying to NickServ as presacct" in caplog.text
    assert_never_logged(caplog, link)


def test_nickserv_fallback_can_be_turned_off(
    password: str, caplog: pytest.LogCaptureFixture
) -> None:
    link = FakeLink()
    reg = Registration("testnet", settings(nickserv_fallback=False), link)
    reg.handle(ev("cap", "*", "LS", ""))
    reg.welcomed()
    assert link.secret == [] and "nickserv_fallback is off" in caplog.text


def test_without_credentials_nothing_is_attempted(caplog: pytest.LogCaptureFixture) -> None:
    link = FakeLink()
    reg = Registration("testnet", NetworkSettings(tls=False), link)
    reg.handle(ev("cap", "*", "LS", "sasl=PLAIN"))
    reg.welcomed()
    assert link.sent == ["CAP END"] and link.secret == []


def test_a_missing_password_variable_is_an_error_not_a_crash(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv(ENV, raising=False)
    link = FakeLink()
    reg = Registration("testnet", settings(), link)
    reg.handle(ev("cap", "*", "LS", "sasl=PLAIN"))
    reg.welcomed()
    assert link.sent == ["CAP END"] and link.secret == []
    assert f"environment variable {ENV} is not set" in caplog.text


def test_fallback_nicks_then_giving_up() -> None:
    link = FakeLink()
    reg = Registration("testnet", NetworkSettings(tls=False, nick="a", alt_nicks=["b"]), link)
    reg.handle(ev("nicknameinuse", "*", "a", "in use"))
    reg.handle(ev("erroneusnickname", "*", "b", "bad"))
    assert link.nicks == ["b", "a_"] and reg.nick == "a_"
    reg.handle(ev("nicknameinuse", "*", "a_", "in use"))
    assert link.hung_up and reg.error_reason == "no usable nick: a, b, a_"
