"""The account book: accounts learned from tags, joins, ACCOUNT, WHOX, WHO and WHOIS replies."""

from __future__ import annotations

from typing import Any

from irc.client import Event as LibEvent

from assistant.connectors.irc.accounts import AccountBook

ME = "presence"


def ev(kind: str, source: str | None, target: str | None, *args: str, **tags: str) -> Any:
    return LibEvent(
        kind, source, target, list(args), [{"key": k, "value": v} for k, v in tags.items()]
    )


def learn(book: AccountBook, *events: Any, account_tag: bool = False) -> AccountBook:
    for each in events:
        book.learn(each, account_tag=account_tag, own_nick=ME)
    return book


def test_extended_join_and_account_notify() -> None:
    book = learn(AccountBook(), ev("join", "ann!a@h", "#c", "annacct", "Ann"))
    assert book.account("ANN") == "annacct" and book.userhost("ann") == "a@h"
    learn(book, ev("account", "ann!a@h", "*"))
    assert book.account("ann") is None
    learn(book, ev("account", "ann!a@h", "ann2"))
    assert book.account("ann") == "ann2"
    learn(book, ev("join", "bob!b@h", "#c", "*", "Bob"))
    assert book.account("bob") is None


def test_only_people_in_our_channels_are_kept() -> None:
    book = learn(AccountBook(), ev("privmsg", "stranger!s@h", ME, "hi", account="acct"))
    assert book.get("stranger") is None  # a line from outside our channels leaves no trace
    learn(book, ev("join", "ann!a@h", "#c"), ev("join", "bob!b@h", "#c"))
    book.retain(["ann"])
    assert book.get("bob") is None and book.get("ann") is not None
    book.forget("ann")
    book.clear()
    assert book.get("ann") is None


def test_account_tag_rules_every_line_when_acked() -> None:
    book = learn(AccountBook(), ev("join", "ann!a@h", "#c", "annacct", "Ann"))
    learn(book, ev("pubmsg", "ann!a@h", "#c", "hi"), account_tag=False)
    assert book.account("ann") == "annacct"  # without account-tag an untagged line says nothing
    learn(book, ev("pubmsg", "ann!a@h", "#c", "hi"), account_tag=True)
    assert book.account("ann") is None
    learn(book, ev("pubmsg", "ann!a@h", "#c", "hi", account="annacct"), account_tag=True)
    assert book.account("ann") == "annacct"


def test_who_whox_and_whois_replies() -> None:
    book = learn(
        AccountBook(),
        ev("whospcrpl", "srv", ME, "152", "#c", "ann", "h1", "ann", "G@", "annacct"),
        ev("whospcrpl", "srv", ME, "152", "#c", "bob", "h2", "bob", "H", "0"),
        ev("whospcrpl", "srv", ME, "999", "#c", "eve", "h3", "eve", "H", "evil"),  # not ours
        ev("whospcrpl", "srv", ME, "152", "#c", "p", "h", ME, "H", "me"),
        ev("whoreply", "srv", ME, "#c", "~cy", "h4", "srv", "cy", "G", "0 Cy"),
    )
    ann, bob, cy = book.get("ann"), book.get("bob"), book.get("cy")
    assert ann is not None and (ann.account, ann.userhost, ann.away) == ("annacct", "ann@h1", True)
    assert bob is not None and (bob.account, bob.away) == (None, False)
    assert cy is not None and (cy.userhost, cy.away) == ("~cy@h4", True)
    assert book.get("eve") is None and book.get(ME) is None
    learn(book, ev("whoisaccount", "srv", ME, "bob", "bobacct", "is logged in as"))
    assert book.account("bob") == "bobacct"


def test_nick_chghost_and_away_update_the_entry() -> None:
    book = learn(AccountBook(), ev("join", "ann!a@h", "#c", "annacct", "Ann"))
    learn(book, ev("nick", "ann!a@h", "annie"), ev("chghost", "annie!a@h", "newuser", "new.host"))
    learn(book, ev("away", "annie!newuser@new.host", "lunch"))
    annie = book.get("annie")
    assert book.get("ann") is None and annie is not None
    assert (annie.nick, annie.account, annie.userhost, annie.away) == (
        "annie",
        "annacct",
        "newuser@new.host",
        True,
    )
