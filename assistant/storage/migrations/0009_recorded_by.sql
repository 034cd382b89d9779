-- Which running instance recorded a line, opened a stay or ended it (issue 34).
--
-- Several instances may attend one channel while sharing one PostgreSQL database; a line
-- without a platform id (IRC) then reaches each of them, and each would store its own copy.
-- On PostgreSQL every Recorder stamps its rows with a random number of its own, and a copy
-- is skipped when another instance stored the same line (channel, speaker, kind, text)
-- within seconds of it (see assistant/recorder.py). SQLite is one instance per file: its
-- rows keep the column NULL, and nothing is checked.
ALTER TABLE messages ADD COLUMN recorded_by INTEGER;
ALTER TABLE presence_intervals ADD COLUMN recorded_by INTEGER;
ALTER TABLE presence_intervals ADD COLUMN closed_by INTEGER;
