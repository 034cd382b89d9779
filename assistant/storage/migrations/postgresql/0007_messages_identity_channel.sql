-- A person's lines and latest line in public channels, read from one index; see
-- ../0007_messages_identity_channel.sql.
CREATE INDEX messages_identity_at_channel ON messages (identity_id, at, channel_id);
DROP INDEX messages_identity_at;
