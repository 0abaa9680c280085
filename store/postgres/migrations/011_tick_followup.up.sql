-- A tick run for a day that was not today in Asia/Tokyo when it started
-- (kigen tick --now, KIGEN_NOW) is recorded as time-travelled, so that no
-- one mistakes it for the day's tick (docs/operations.md, "The tick").
ALTER TABLE ticks ADD COLUMN time_travel boolean NOT NULL DEFAULT false;

-- kigen tick reports every message of its day (CountMessagesOn) and why
-- each one still planned waits (ListPlannedMessagesOn), through this index
-- rather than a scan of every message ever sent.
CREATE INDEX messages_tick_date ON messages (tick_date, state, id);

-- kigen followup pages each section of the list (docs/operations.md, "The
-- follow-up list") through these, a page costing O(page) however many
-- residents: stale cards by expiry, each resident's latest failed message,
-- the sends whose outcome is unknown.
CREATE INDEX cards_expires_on ON cards (municipality_id, expires_on, id);
CREATE INDEX messages_failed ON messages (municipality_id, resident_id, id) WHERE state = 'failed';
CREATE INDEX deliveries_unknown ON deliveries (id) WHERE state = 'unknown';
