-- Imported chat logs: which files were imported, and which events each import recorded.
--
-- A file whose content hash is in `import_files` was imported whole and is skipped when
-- imported again. Each recorded event also leaves a digest in `imported_events` (of its
-- network, channel, time, author, kind, text and occurrence number in its file), so that an
-- overlapping or longer version of a log (a log that grew since) adds only what is new. A
-- digest refers to the message it recorded, or to the identity whose join, part or nick
-- change it was, with ON DELETE CASCADE: forgetting a person removes their digests too.
CREATE TABLE import_files (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    format TEXT NOT NULL,
    network TEXT NOT NULL,
    channel TEXT NOT NULL,
    lines INTEGER NOT NULL DEFAULT 0,
    recorded INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0,
    bad_lines INTEGER NOT NULL DEFAULT 0,
    replaced_bytes INTEGER NOT NULL DEFAULT 0,
    imported_at REAL NOT NULL
);

-- Keyed by time first: a log is imported in time order, so new digests land at the end of
-- the index instead of at random places in it.
CREATE TABLE imported_events (
    at REAL NOT NULL,
    digest TEXT NOT NULL,
    message_id INTEGER REFERENCES messages (id) ON DELETE CASCADE,
    identity_id INTEGER REFERENCES identities (id) ON DELETE CASCADE,
    CHECK (message_id IS NOT NULL OR identity_id IS NOT NULL),
    PRIMARY KEY (at, digest)
) WITHOUT ROWID;
CREATE INDEX imported_events_message ON imported_events (message_id)
WHERE message_id IS NOT NULL;
CREATE INDEX imported_events_identity ON imported_events (identity_id)
WHERE identity_id IS NOT NULL;
