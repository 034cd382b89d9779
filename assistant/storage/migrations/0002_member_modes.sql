-- Channel status during a stay (IRC op "@", voice "+", ...): a hint of who runs the room.
--
-- The member's status symbols, highest first ("@+"; '' for none), as of the latest NAMES
-- reply or MODE change while the stay was open; after the stay closes it is the status they
-- last had there.
ALTER TABLE presence_intervals ADD COLUMN modes TEXT NOT NULL DEFAULT '';
