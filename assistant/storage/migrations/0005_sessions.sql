-- Sessions: where a chat came from (a weekly schedule, a platform's scheduled event, or a
-- burst of activity), its state, and per person what their attendance was.
--
-- A session's `started_at`/`ended_at` are its real bounds (for an upcoming one, the planned
-- start); `planned_start`/`planned_end` are what the schedule or event said. `series` names
-- the recurring chat a session belongs to (the schedule's name, or the event's name), so
-- attendance can be compared week to week; `timezone` is where its local times are read.

ALTER TABLE sessions ADD COLUMN origin TEXT NOT NULL DEFAULT 'adhoc';  -- schedule | event | adhoc
ALTER TABLE sessions ADD COLUMN status TEXT NOT NULL DEFAULT 'ended';  -- upcoming | active | ended | cancelled
ALTER TABLE sessions ADD COLUMN series TEXT;
ALTER TABLE sessions ADD COLUMN timezone TEXT;
ALTER TABLE sessions ADD COLUMN event_id TEXT;  -- the platform's id of a scheduled event
ALTER TABLE sessions ADD COLUMN planned_start REAL;
ALTER TABLE sessions ADD COLUMN planned_end REAL;

CREATE INDEX sessions_started ON sessions (started_at);
CREATE INDEX sessions_series ON sessions (channel_id, series, started_at);
CREATE INDEX sessions_event ON sessions (event_id) WHERE event_id IS NOT NULL;

-- Seconds present: the sum of the person's stays overlapping the session, overlaps merged.
-- First and last words refer to the messages themselves, never copy their text: forgetting
-- a person deletes their messages, and the references empty with them. SET NULL rather than
-- CASCADE because a retention purge of old messages must not delete who attended.
ALTER TABLE session_attendance ADD COLUMN present_seconds REAL NOT NULL DEFAULT 0;
ALTER TABLE session_attendance ADD COLUMN already_present INTEGER NOT NULL DEFAULT 0;
ALTER TABLE session_attendance ADD COLUMN first_message_id INTEGER
    REFERENCES messages (id) ON DELETE SET NULL;
ALTER TABLE session_attendance ADD COLUMN last_message_id INTEGER
    REFERENCES messages (id) ON DELETE SET NULL;

-- Head counts and lines per session read from the index alone (`presence sessions`).
CREATE INDEX session_attendance_lines ON session_attendance (session_id, lines);

-- Deleting a message looks up what refers to it; without these every delete scans attendance.
CREATE INDEX session_attendance_first ON session_attendance (first_message_id);
CREATE INDEX session_attendance_last ON session_attendance (last_message_id);
