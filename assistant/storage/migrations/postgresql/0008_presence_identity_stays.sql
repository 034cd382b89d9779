-- A person's latest stay in public channels, read from one index; see
-- ../0008_presence_identity_stays.sql.
CREATE INDEX presence_identity_stays ON presence_intervals (identity_id, joined_at, channel_id, left_at);
DROP INDEX presence_identity;
