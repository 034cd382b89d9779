-- What the analyzer understood of each recorded channel message; see ../0003_message_analyses.sql.
CREATE TABLE message_analyses (
    message_id BIGINT PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    topics TEXT NOT NULL DEFAULT '[]',
    is_question BIGINT NOT NULL DEFAULT 0,
    addressees TEXT NOT NULL DEFAULT '[]',
    links TEXT NOT NULL DEFAULT '[]',
    acts TEXT NOT NULL DEFAULT '[]',
    reply_to TEXT NOT NULL DEFAULT '[]',
    thread TEXT NOT NULL DEFAULT '',
    analyzed_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX message_analyses_key ON message_analyses (key);
CREATE INDEX message_analyses_thread ON message_analyses (thread);
