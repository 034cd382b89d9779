-- Core schema: who was where and when, and what they said.
--
-- Conventions (keep them in later migrations):
--   * Timestamps are unix seconds as REAL, always UTC (the queries return aware datetimes).
--   * Flags are INTEGER 0/1.
--   * A network or channel has a case-folded `key` (what the platform compares) and a
--     display `name`; an identity's `key` is `Identity.key` (Discord user id, else the
--     RFC 1459 case-folded nick).
--   * A plugin table that refers to persons, identities or messages must declare
--     ON DELETE CASCADE: forgetting a person then reaches it, and without it the
--     forgetting fails loudly (foreign_keys is ON) instead of leaving something behind.

CREATE TABLE networks (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    platform TEXT NOT NULL
);

CREATE TABLE channels (
    id INTEGER PRIMARY KEY,
    network_id INTEGER NOT NULL REFERENCES networks (id),
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    -- Never revealed in answers given elsewhere; once set, only an explicit UPDATE clears it.
    private INTEGER NOT NULL DEFAULT 0,
    UNIQUE (network_id, key)
);

-- AUTOINCREMENT: the id of a forgotten person (or identity) is never given to someone
-- else, so a reference that outlived the forgetting cannot point at a new human.
CREATE TABLE persons (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at REAL NOT NULL
);

CREATE TABLE identities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    platform TEXT NOT NULL,
    network_id INTEGER NOT NULL REFERENCES networks (id),
    key TEXT NOT NULL,
    nick TEXT NOT NULL,
    account TEXT,
    user_id TEXT,
    userhost TEXT,
    -- Set by the trigger below when not given, so it is never NULL after the INSERT.
    person_id INTEGER REFERENCES persons (id),
    first_seen REAL NOT NULL,
    status TEXT,
    status_message TEXT,
    status_at REAL,
    UNIQUE (network_id, key)
);
CREATE INDEX identities_person ON identities (person_id);
CREATE INDEX identities_nick ON identities (network_id, nick COLLATE NOCASE);

-- Each new identity is its own person unless the INSERT links it to one (a nick change).
CREATE TRIGGER identities_own_person AFTER INSERT ON identities
WHEN NEW.person_id IS NULL
BEGIN
    INSERT INTO persons (created_at) VALUES (NEW.first_seen);
    UPDATE identities SET person_id = last_insert_rowid() WHERE id = NEW.id;
END;

CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    channel_id INTEGER NOT NULL REFERENCES channels (id),
    identity_id INTEGER NOT NULL REFERENCES identities (id),
    at REAL NOT NULL,
    kind TEXT NOT NULL,  -- message | action | notice
    text TEXT NOT NULL,
    message_id TEXT,     -- the platform's id, when it has one
    reply_to TEXT,       -- the platform's id of the message replied to
    edited INTEGER NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0  -- the text is blanked too
);
CREATE INDEX messages_channel_at ON messages (channel_id, at);
CREATE INDEX messages_identity_at ON messages (identity_id, at);
CREATE INDEX messages_platform_id ON messages (channel_id, message_id)
WHERE message_id IS NOT NULL;

-- One row per stay of an identity in a channel; left_at IS NULL while they are there.
CREATE TABLE presence_intervals (
    id INTEGER PRIMARY KEY,
    identity_id INTEGER NOT NULL REFERENCES identities (id),
    channel_id INTEGER NOT NULL REFERENCES channels (id),
    joined_at REAL NOT NULL,
    already_present INTEGER NOT NULL DEFAULT 0,  -- in the roster when Presence joined
    left_at REAL,
    -- part | quit | kick | netsplit | nick | disconnected (Presence lost the connection:
    -- when they really left is unknown, it is not a departure)
    left_kind TEXT,
    left_reason TEXT,
    left_by INTEGER REFERENCES identities (id)  -- the kicker
);
CREATE INDEX presence_identity ON presence_intervals (identity_id, joined_at);
CREATE INDEX presence_channel ON presence_intervals (channel_id, joined_at);
CREATE INDEX presence_open ON presence_intervals (identity_id, channel_id) WHERE left_at IS NULL;
CREATE INDEX presence_left_by ON presence_intervals (left_by) WHERE left_by IS NOT NULL;

-- Spans when Presence was not connected to a network: nothing is known about them.
CREATE TABLE connection_gaps (
    id INTEGER PRIMARY KEY,
    network_id INTEGER NOT NULL REFERENCES networks (id),
    started_at REAL NOT NULL,
    ended_at REAL,
    reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX connection_gaps_network ON connection_gaps (network_id, started_at);

CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    channel_id INTEGER NOT NULL REFERENCES channels (id),
    name TEXT NOT NULL DEFAULT '',
    started_at REAL NOT NULL,
    ended_at REAL
);
CREATE INDEX sessions_channel ON sessions (channel_id, started_at);

CREATE TABLE session_attendance (
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    arrived_at REAL,
    left_at REAL,
    lines INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, person_id)
);
CREATE INDEX session_attendance_person ON session_attendance (person_id);

CREATE TABLE topics (
    id INTEGER PRIMARY KEY,
    channel_id INTEGER NOT NULL REFERENCES channels (id),
    at REAL NOT NULL,
    identity_id INTEGER REFERENCES identities (id),  -- NULL when a server announced it
    topic TEXT NOT NULL
);
CREATE INDEX topics_channel ON topics (channel_id, at);
CREATE INDEX topics_identity ON topics (identity_id) WHERE identity_id IS NOT NULL;

-- The scoped key-value store behind PluginContext.store.
CREATE TABLE plugin_kv (
    plugin TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (plugin, key)
) WITHOUT ROWID;
