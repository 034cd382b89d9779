-- A person's latest stay in public channels, read from one index.
--
-- The People list (`presence people`, the dashboard's People page) finds each person's
-- latest public stay, max(coalesce(left_at, joined_at)) over their stays outside private
-- channels. With the channel and the departure in the index next to the arrival, that is
-- answered from the index alone instead of one table read per stay (the 100 most present
-- of 5,000 people on bench/web.py's database, 8,600 stays: 5.7 -> 1.3 ms). The old index on
-- (identity_id, joined_at) is a prefix of this one and goes.
CREATE INDEX presence_identity_stays ON presence_intervals (identity_id, joined_at, channel_id, left_at);
DROP INDEX presence_identity;
