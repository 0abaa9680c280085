-- The operators' page (/ops/, docs/operations.md "The ops console") reads
-- the last 24 hours and 7 days of delivery, however many years of history
-- the tables hold: each read is a range of one of these covering indexes.
--
-- 1. The funnel: the messages of the window by creation time (timestamps
--    are fixed-width UTC text, so text order is time order), each one's
--    last delivery read from deliveries_last alone. deliveries_last also
--    serves every "last delivery of a message" lookup and the foreign
--    key, so it replaces deliveries_message_id.
CREATE INDEX messages_created_at ON messages (created_at, channel, state);
CREATE INDEX deliveries_last ON deliveries (message_id, created_at DESC, id DESC, provider, state);
DROP INDEX deliveries_message_id;

-- 2. Failures by provider error code: only the failed and bounced
--    deliveries, by creation time.
CREATE INDEX deliveries_failed ON deliveries (created_at, provider, state, error_code, message_id)
    WHERE state IN ('failed', 'bounced');

-- 3. The last report each provider's webhook sent (one row a provider).
CREATE TABLE provider_reports (
    provider    TEXT PRIMARY KEY,
    status      TEXT NOT NULL,
    message_id  INTEGER NOT NULL,
    received_at TEXT NOT NULL
) STRICT;
