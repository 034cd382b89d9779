-- Channel status during a stay; see ../0002_member_modes.sql.
ALTER TABLE presence_intervals ADD COLUMN modes TEXT NOT NULL DEFAULT '';
