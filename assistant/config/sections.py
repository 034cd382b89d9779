"""What Presence does there: the owner, storage, analysis, people, openings, summaries."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from assistant.config.base import IdentityRef, Section, check_env_name, check_zone


class OwnerSettings(Section):
    """Who Presence works for; only these verified identities may run privileged commands."""

    name: str = Field(default="owner", description="how summaries and notices address you")
    identities: list[IdentityRef] = Field(
        default_factory=list,
        description="your verified identities: IRC accounts and/or Discord user ids",
    )
    nicks: list[str] = Field(
        default_factory=list,
        description=(
            "names your lines appear under where you cannot be verified (an IRC nick, a "
            "Discord name#1234 or display name): they count as yours in exchanges, openings "
            "taken and summaries, never for commands"
        ),
    )
    key: str = Field(
        default="",
        description=(
            "what your own openings and exchanges are stored under, so that instances with "
            "other owners sharing the database keep theirs apart; empty: your `name`"
        ),
    )

    @property
    def history_key(self) -> str:
        """What the owner's own rows (openings, exchanges) are stored under: ``key`` or ``name``."""
        return self.key.strip() or self.name

    @field_validator("identities")
    @classmethod
    def _verified_only(cls, refs: list[IdentityRef]) -> list[IdentityRef]:
        for ref in refs:
            if ref.platform == "irc" and not ref.account:
                raise ValueError(
                    "an IRC owner identity needs `account` (a nick alone can be taken by "
                    "anyone; list it in [owner] nicks to count your lines without trusting it)"
                )
            if ref.platform == "discord" and not ref.user_id:
                raise ValueError("a Discord owner identity needs `user_id`")
        return refs


class StorageSettings(Section):
    """Where and how Presence records."""

    backend: Literal["sqlite", "postgresql"] = Field(
        default="sqlite",
        description=(
            '"sqlite" (one file, the default) or "postgresql" (a server, which several '
            "instances can share; needs dsn_env)"
        ),
    )
    path: Path = Field(
        default=Path("presence.sqlite3"),
        description="SQLite database file (relative paths are relative to the config file)",
    )
    dsn_env: str | None = Field(
        default=None,
        description=(
            'with backend = "postgresql": the NAME of the environment variable holding the '
            "DSN, postgresql://user:password@host:port/database (the password is never logged)"
        ),
    )
    batch_size: int = Field(
        default=2000,
        ge=1,
        description="the most writes a crash can lose; transactions hold at most half this many",
    )
    flush_interval: float = Field(
        default=0.25,
        gt=0,
        le=60,
        description="commit pending writes at least this often, in seconds",
    )

    _env = field_validator("dsn_env")(check_env_name)

    @model_validator(mode="after")
    def _postgresql_needs_a_dsn(self) -> StorageSettings:
        if self.backend == "postgresql" and not self.dsn_env:
            raise ValueError(
                'backend = "postgresql" needs dsn_env: the NAME of the environment variable '
                "holding the DSN (postgresql://user:password@host:port/database)"
            )
        if self.backend == "sqlite" and self.dsn_env:
            raise ValueError('dsn_env is for backend = "postgresql"; remove it or set backend')
        return self


class AnalysisSettings(Section):
    """Understanding the talk with spaCy, in a worker process off the event loop."""

    enabled: bool = Field(
        default=True, description="analyse channel messages (topics, questions, replies)"
    )
    pipeline: str = Field(
        default="",
        description='spaCy pipeline package or directory; "" picks the best installed one',
    )
    entities: bool = Field(
        default=False,
        description="named entities as topics too: a few more topics, about 40% more parse time",
    )
    spare_worker: bool = Field(
        default=True,
        description="a second pipeline process that parses on otherwise idle CPU time",
    )
    batch_size: int = Field(
        default=64, ge=1, le=10_000, description="messages sent to the worker at once (at most)"
    )
    batch_wait: float = Field(
        default=0.05,
        gt=0,
        le=10,
        description="longest a message waits, in seconds, while the worker is busy",
    )


class CommandSettings(Section):
    """Chat commands."""

    prefix: str = Field(default="!", min_length=1, max_length=3, description='e.g. "!" or "."')


class WatchedMember(Section):
    """A notable member the owner hopes to get to know."""

    name: str = Field(description="a name for this person")
    identities: list[IdentityRef] = Field(
        default_factory=list, description="their nicks/accounts/user ids"
    )
    notes: str = Field(default="", description="who they are, what they care about")
    tags: list[str] = Field(default_factory=list, description="free-form tags")
    priority: int = Field(default=1, ge=1, le=5, description="1 (nice) to 5 (most wanted)")


class PacingThresholds(Section):
    """How much give-and-take each relationship stage needs (stranger → ... → ready)."""

    noticed_exchanges: int = Field(
        default=1, ge=1, description="exchanges (either direction) to count as noticed"
    )
    exchanged_exchanges: int = Field(
        default=3, ge=1, description="exchanges, with replies both ways, to count as exchanged"
    )
    rapport_exchanges: int = Field(default=8, ge=1, description="exchanges needed for rapport")
    rapport_chats: int = Field(default=2, ge=1, description="separate chats needed for rapport")
    ready_exchanges: int = Field(default=15, ge=1, description="exchanges needed before an ask")
    ready_chats: int = Field(default=3, ge=1, description="separate chats needed before an ask")
    ready_initiations: int = Field(
        default=2, ge=0, description="times they started an exchange with you, needed before an ask"
    )
    ready_reciprocity: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="balance of replies each way (0-1: fewer/more of the two) needed before an ask",
    )
    chat_gap: float = Field(
        default=3 * 3600,
        gt=0,
        description="seconds of silence between you two after which a new chat begins",
    )


class OpeningsSettings(Section):
    """``[plugins.openings]``: when to tell the owner of an opening with a notable member, and how.

    The ``openings`` plugin's ``Config`` extends it with its own keys and validates the table
    when the plugin is loaded; core code that reads it outside the plugin uses
    :func:`~assistant.config.plugin_table`.
    """

    unanswered_wait: float = Field(
        default=120, ge=0, description="seconds a notable member's question waits for an answer"
    )
    away_wait: float = Field(
        default=1800,
        ge=0,
        description="seconds a member's question put to a notable member may stay unanswered, "
        "with the notable silent, before helping the asker is an opening",
    )
    feedback_wait: float = Field(
        default=600,
        ge=0,
        description="seconds after a notable member shares their own work before you are told "
        "(time to read it and reply with something specific)",
    )
    follow_notes: bool = Field(
        default=False,
        description='also send "follow this thread" notes: one of your interests raised inside '
        "someone else's one-to-one exchange (a third voice would interrupt it)",
    )
    lines_per_opening: int = Field(
        default=200,
        ge=0,
        description="in a busy channel (more than this many lines in the last hour), at least "
        "this many lines between one opening about it and the next (0: no limit besides "
        "hourly_cap)",
    )
    lull_wait: float = Field(
        default=300, gt=0, description="seconds of silence after a notable member's line: a lull"
    )
    quiet_channel: int = Field(
        default=10,
        ge=1,
        description="a channel with at most this many lines in the 10 minutes before is quiet",
    )
    min_score: float = Field(
        default=0.35, ge=0, le=1, description="openings scoring below this (0-1) are not sent"
    )
    cooldown: float = Field(
        default=900, ge=0, description="seconds between two openings about the same person"
    )
    hourly_cap: int = Field(default=6, ge=1, description="at most this many openings an hour")
    repeat_after: float = Field(
        default=3600,
        ge=0,
        description="seconds after which the same words from the same person (asked again, "
        "still unanswered) can be an opening again",
    )
    quiet_hours: str = Field(
        default="",
        pattern=r"^$|^\d{1,2}:\d{2}-\d{1,2}:\d{2}$",
        description='"HH:MM-HH:MM" in `timezone` when nothing is sent ("" for none)',
    )
    timezone: str = Field(default="UTC", description='your time zone, e.g. "Australia/Sydney"')
    conversation_window: float = Field(
        default=300,
        gt=0,
        description="seconds after your last line in a conversation that you count as in it "
        "(openings there are held back)",
    )
    taken_window: float = Field(
        default=600,
        gt=0,
        description="seconds after an opening in which speaking to that person counts as taking it",
    )
    learn_interests: int = Field(
        default=3,
        ge=0,
        description="a topic you mention this many times becomes an interest (0: never learn)",
    )
    unseen_warning_hours: float = Field(
        default=24,
        ge=0,
        description="after attending this many hours, each watchlist member no recorded "
        "identity matches is named once in the log, with the closest identities seen (0: never)",
    )
    similarity_pipeline: str = Field(
        default="",
        description="spaCy pipeline with word vectors for fuzzy interest matching "
        '("" off; one without vectors falls back to words)',
    )
    similarity: float = Field(
        default=0.75, gt=0, le=1, description="vector similarity (0-1) that counts as a match"
    )
    notify: list[Literal["console", "dm", "webhook"]] = Field(
        default=["console", "dm"],
        description='where openings go: "console", "dm" (private message to you), "webhook"',
    )
    webhook_url_env: str | None = Field(
        default=None, description="environment variable holding the webhook URL (JSON POST)"
    )
    webhook_timeout: float = Field(
        default=5, gt=0, le=60, description="seconds before a webhook attempt is abandoned"
    )
    webhook_retries: int = Field(
        default=3, ge=0, le=10, description="webhook retries after a failure or a 5xx answer"
    )
    pacing: PacingThresholds = Field(
        default_factory=PacingThresholds, description="[plugins.openings.pacing] stage thresholds"
    )

    _env = field_validator("webhook_url_env")(check_env_name)

    _zone = field_validator("timezone")(check_zone)


class AliasSettings(Section):
    """Identities that are one person (e.g. their IRC nick and their Discord user id)."""

    name: str = Field(description="a name for this person")
    identities: list[IdentityRef] = Field(
        default_factory=list, description="their nicks/accounts/user ids, on any platform"
    )


class PrivacySettings(Section):
    """People who must not be recorded."""

    optout: list[IdentityRef] = Field(
        default_factory=list,
        description="identities never recorded; what was recorded of them is deleted at start-up",
    )


class SummariesSettings(Section):
    """The summary written after each chat session, and where it goes."""

    folder: Path = Field(
        default=Path("summaries"),
        description="folder summaries are written to (relative to the config file)",
    )
    formats: list[Literal["md", "html", "json", "minutes"]] = Field(
        default=["md", "html", "json", "minutes"],
        description='file formats to write: "md", "html", "json", "minutes" (MeetBot-style, '
        "only when the chat held a meeting); [] writes no files",
    )
    deliver_to_owner: bool = Field(
        default=False, description="send you a short digest privately on the session's network"
    )
    post_to_channels: list[str] = Field(
        default_factory=list,
        description='channels where the digest is also posted, e.g. ["#bloggers"] (off by default)',
    )
    webhook_url_env: str | None = Field(
        default=None,
        description="environment variable holding a URL the JSON summary is POSTed to",
    )
    timezone: str = Field(
        default="UTC",
        description="time zone times are shown in when the session has none of its own",
    )
    top_topics: int = Field(
        default=10, ge=1, le=100, description="how many of the session's topics to list"
    )
    brief_before: int = Field(
        default=15,
        ge=0,
        le=24 * 60,
        description="minutes before a scheduled chat to deliver the pre-chat brief (who usually "
        "comes, open questions, notable members' topics) like a summary; 0: no brief",
    )
    notable_top: int = Field(
        default=0,
        ge=0,
        le=100,
        description="also count the N people ranked most notable (`presence people`) as notable "
        "members; 0: only the [[watchlist]]",
    )

    _env = field_validator("webhook_url_env")(check_env_name)

    _zone = field_validator("timezone")(check_zone)


class WebSettings(Section):
    """The local dashboard (`presence web`, or `presence run` with ``enabled = true``)."""

    enabled: bool = Field(
        default=False, description="`presence run` also serves the dashboard, in the same process"
    )
    host: str = Field(
        default="127.0.0.1",
        min_length=1,
        description="address to listen on; anything but loopback (127.0.0.1, ::1) lets other "
        "machines reach the dashboard and prints a warning",
    )
    port: int = Field(default=8787, ge=0, le=65535, description="TCP port (0: any free port)")
    password_env: str | None = Field(
        default=None,
        description="environment variable holding the password to log in with, instead of the "
        "random token kept next to the database",
    )

    _env = field_validator("password_env")(check_env_name)


__all__ = [
    "AliasSettings",
    "AnalysisSettings",
    "CommandSettings",
    "OpeningsSettings",
    "OwnerSettings",
    "PacingThresholds",
    "PrivacySettings",
    "StorageSettings",
    "SummariesSettings",
    "WatchedMember",
    "WebSettings",
]
