-- A tick run for a day that was not today in Asia/Tokyo when it started
-- (kigen tick --now, KIGEN_NOW) is recorded as time-travelled, so that no
-- one mistakes it for the day's tick (docs/operations.md, "The tick").
ALTER TABLE ticks ADD COLUMN time_travel INTEGER NOT NULL DEFAULT 0 CHECK (time_travel IN (0, 1));
