-- What the analyzer understood of each recorded channel message.
--
-- One row per message, written after the message itself through the same writer. `key` is
-- the name the analysis was published under (MessageAnalyzed.message_id: the platform's id,
-- else one the analyzer made up) and `reply_to` holds the keys of the earlier messages it
-- answers (an empty list: it starts a new conversation); `thread` is the key of the first
-- message of its conversation (its own key when it starts one). List columns are JSON arrays.
CREATE TABLE message_analyses (
    message_id INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    topics TEXT NOT NULL DEFAULT '[]',
    is_question INTEGER NOT NULL DEFAULT 0,
    addressees TEXT NOT NULL DEFAULT '[]',
    links TEXT NOT NULL DEFAULT '[]',
    acts TEXT NOT NULL DEFAULT '[]',
    reply_to TEXT NOT NULL DEFAULT '[]',
    thread TEXT NOT NULL DEFAULT '',
    analyzed_at REAL NOT NULL
);
CREATE INDEX message_analyses_key ON message_analyses (key);
CREATE INDEX message_analyses_thread ON message_analyses (thread);
