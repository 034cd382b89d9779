-- Sessions: origin, state, series, per-person attendance; see ../0005_sessions.sql.
ALTER TABLE sessions ADD COLUMN origin TEXT NOT NULL DEFAULT 'adhoc';
ALTER TABLE sessions ADD COLUMN status TEXT NOT NULL DEFAULT 'ended';
ALTER TABLE sessions ADD COLUMN series TEXT;
ALTER TABLE sessions ADD COLUMN timezone TEXT;
ALTER TABLE sessions ADD COLUMN event_id TEXT;
ALTER TABLE sessions ADD COLUMN planned_start DOUBLE PRECISION;
ALTER TABLE sessions ADD COLUMN planned_end DOUBLE PRECISION;

CREATE INDEX sessions_started ON sessions (started_at);
CREATE INDEX sessions_series ON sessions (channel_id, series, started_at);
CREATE INDEX sessions_event ON sessions (event_id) WHERE event_id IS NOT NULL;

ALTER TABLE session_attendance ADD COLUMN present_seconds DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE session_attendance ADD COLUMN already_present BIGINT NOT NULL DEFAULT 0;
ALTER TABLE session_attendance ADD COLUMN first_message_id BIGINT
    REFERENCES messages (id) ON DELETE SET NULL;
ALTER TABLE session_attendance ADD COLUMN last_message_id BIGINT
    REFERENCES messages (id) ON DELETE SET NULL;

CREATE INDEX session_attendance_lines ON session_attendance (session_id, lines);
CREATE INDEX session_attendance_first ON session_attendance (first_message_id);
CREATE INDEX session_attendance_last ON session_attendance (last_message_id);
