-- People: kinds of presence, opt-outs, and the owner's merges (so that a split can undo one).

-- What kind of presence a stay is: in a text channel, or in a Discord voice or stage
-- channel (attendance at a voice event). A member can be in both at once; they are
-- separate stays.
ALTER TABLE presence_intervals ADD COLUMN via TEXT NOT NULL DEFAULT 'channel';
DROP INDEX presence_open;
CREATE INDEX presence_open ON presence_intervals (identity_id, channel_id, via)
WHERE left_at IS NULL;

-- Who asked not to be recorded: an identity key (`Identity.key`) or an IRC account on a
-- network. Only the bare key is kept: it is what is needed to honour the opt-out.
CREATE TABLE people_optouts (
    network TEXT NOT NULL,
    kind TEXT NOT NULL,  -- key | account
    value TEXT NOT NULL, -- case-folded for IRC nicks and accounts
    at REAL NOT NULL,
    PRIMARY KEY (network, kind, value)
) WITHOUT ROWID;

-- One row per merge of two persons (by the owner, an alias, a shared account, or an
-- alternate nick): what a split needs to put things back as they were.
CREATE TABLE people_merges (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES persons (id) ON DELETE CASCADE,  -- the survivor
    at REAL NOT NULL,
    reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX people_merges_person ON people_merges (person_id);

-- The identities the merged-away person brought with them.
CREATE TABLE people_merge_identities (
    merge_id INTEGER NOT NULL REFERENCES people_merges (id) ON DELETE CASCADE,
    identity_id INTEGER NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    PRIMARY KEY (merge_id, identity_id)
);
CREATE INDEX people_merge_identities_identity ON people_merge_identities (identity_id);

-- Both persons' session attendance as it was before the merge combined it
-- (side 'kept': the survivor's rows, 'moved': the merged-away person's), each row as a
-- JSON object of its columns, so that columns added later are restored too.
CREATE TABLE people_merge_attendance (
    merge_id INTEGER NOT NULL REFERENCES people_merges (id) ON DELETE CASCADE,
    side TEXT NOT NULL,
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    row TEXT NOT NULL,
    PRIMARY KEY (merge_id, side, session_id)
);

-- Pairs of identities the owner split apart: automatic linking never joins them again.
CREATE TABLE people_kept_apart (
    identity_id INTEGER NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    other_id INTEGER NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    PRIMARY KEY (identity_id, other_id)
) WITHOUT ROWID;
CREATE INDEX people_kept_apart_other ON people_kept_apart (other_id);

-- Reverse indexes of the analyses, kept by triggers: who was addressed (lower-cased
-- addressee) and which message each reply link points at (the analysis key). Forgetting a
-- person finds what others' analyses derived from them here instead of reading every
-- analysis, and notability counts replies and mentions from them.
CREATE TABLE people_addressed (
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    PRIMARY KEY (name, message_id)
) WITHOUT ROWID;
CREATE INDEX people_addressed_message ON people_addressed (message_id);

CREATE TABLE people_reply_links (
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    target TEXT NOT NULL,
    PRIMARY KEY (target, message_id)
) WITHOUT ROWID;
CREATE INDEX people_reply_links_message ON people_reply_links (message_id);

CREATE TRIGGER people_analysis_added AFTER INSERT ON message_analyses
BEGIN
    INSERT OR IGNORE INTO people_addressed (message_id, name)
    SELECT NEW.message_id, lower(value) FROM json_each(
        CASE WHEN json_valid(NEW.addressees) THEN NEW.addressees ELSE '[]' END);
    INSERT OR IGNORE INTO people_reply_links (message_id, target)
    SELECT NEW.message_id, value FROM json_each(
        CASE WHEN json_valid(NEW.reply_to) THEN NEW.reply_to ELSE '[]' END);
END;

CREATE TRIGGER people_analysis_changed AFTER UPDATE OF addressees, reply_to ON message_analyses
BEGIN
    DELETE FROM people_addressed WHERE message_id = OLD.message_id;
    DELETE FROM people_reply_links WHERE message_id = OLD.message_id;
    INSERT OR IGNORE INTO people_addressed (message_id, name)
    SELECT NEW.message_id, lower(value) FROM json_each(
        CASE WHEN json_valid(NEW.addressees) THEN NEW.addressees ELSE '[]' END);
    INSERT OR IGNORE INTO people_reply_links (message_id, target)
    SELECT NEW.message_id, value FROM json_each(
        CASE WHEN json_valid(NEW.reply_to) THEN NEW.reply_to ELSE '[]' END);
END;

CREATE TRIGGER people_analysis_removed AFTER DELETE ON message_analyses
BEGIN
    DELETE FROM people_addressed WHERE message_id = OLD.message_id;
    DELETE FROM people_reply_links WHERE message_id = OLD.message_id;
END;

INSERT OR IGNORE INTO people_addressed (message_id, name)
SELECT a.message_id, lower(j.value) FROM message_analyses AS a, json_each(a.addressees) AS j
WHERE a.addressees != '[]' AND json_valid(a.addressees);

INSERT OR IGNORE INTO people_reply_links (message_id, target)
SELECT a.message_id, j.value FROM message_analyses AS a, json_each(a.reply_to) AS j
WHERE a.reply_to != '[]' AND json_valid(a.reply_to);
