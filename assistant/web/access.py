"""Who may look: the access token (or password), the session cookie, and CSRF tokens.

The token is made once, on first start, and kept next to the database with mode 0600; a
password from an environment variable replaces it. The cookie and the CSRF token are HMACs
of that secret, so they hold nothing that reveals it, stay valid across restarts, and all
become invalid together when the token is replaced.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from assistant.config import Settings, secret

__all__ = ["COOKIE", "Access", "load_access", "token_path"]

COOKIE = "presence_session"
"""The name of the session cookie."""


def token_path(database: Path) -> Path:
    """Where the access token of the database at ``database`` is kept."""
    return database.with_name(database.name + ".web-token")


@dataclass(frozen=True)
class Access:
    """The secret that opens the dashboard, and the values derived from it."""

    secret: str = field(repr=False)
    new_token: bool = False
    """True when the token was made by this start (it is shown this once)."""
    source: str = ""
    """Where the secret lives, for the owner: the token file, or the environment variable."""

    def _derive(self, purpose: str) -> str:
        return hmac.new(self.secret.encode(), purpose.encode(), hashlib.sha256).hexdigest()

    def accepts(self, offered: str) -> bool:
        """Whether ``offered`` is the token (or password), compared in constant time."""
        return hmac.compare_digest(offered.encode(), self.secret.encode())

    @property
    def cookie(self) -> str:
        """The value of the session cookie of a logged-in browser."""
        return self._derive("presence-web-session")

    @property
    def csrf(self) -> str:
        """The token every state-changing form sends back."""
        return self._derive("presence-web-csrf")

    def cookie_ok(self, value: str | None) -> bool:
        """Whether a request's session cookie is the right one."""
        return value is not None and hmac.compare_digest(value.encode(), self.cookie.encode())

    def csrf_ok(self, value: str | None) -> bool:
        """Whether a form's CSRF field is the right one."""
        return value is not None and hmac.compare_digest(value.encode(), self.csrf.encode())


def _read_or_create(path: Path) -> tuple[str, bool]:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        token = path.read_text(encoding="utf-8").strip()
        if token:
            if path.stat().st_mode & 0o077:
                path.chmod(0o600)  # someone loosened it; the token is as good as a password
            return token, False
        path.unlink()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    token = secrets.token_urlsafe(24)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
    return token, True


def load_access(settings: Settings) -> Access:
    """The configured password, or the token next to the database (made if there is none).

    For a PostgreSQL database the token is ``presence-postgresql.web-token`` next to the
    config file.

    Raises:
        ConfigError: ``password_env`` names a variable that is not set.
    """
    web = settings.web
    if web.password_env is not None:
        value = secret(web.password_env).get_secret_value()
        return Access(value, source=f"${web.password_env}")
    storage = settings.storage
    if storage.backend == "sqlite":
        path = token_path(settings.resolve(storage.path))
    else:  # a server database has no file: next to the config, as its kept summaries are
        path = settings.resolve(Path(f"presence-{storage.backend}.web-token"))
    token, made = _read_or_create(path)
    return Access(token, new_token=made, source=str(path))
