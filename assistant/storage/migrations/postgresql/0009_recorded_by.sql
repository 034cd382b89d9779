-- Which running instance recorded a line, opened or ended a stay; see ../0009_recorded_by.sql.
-- Nullable without a default: adding them rewrites nothing.
ALTER TABLE messages ADD COLUMN recorded_by BIGINT;
ALTER TABLE presence_intervals ADD COLUMN recorded_by BIGINT;
ALTER TABLE presence_intervals ADD COLUMN closed_by BIGINT;
