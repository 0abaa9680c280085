-- The operators' page (/ops/, docs/operations.md "The ops console") reads
-- the last 24 hours and 7 days of delivery, however many years of history
-- the tables hold: each read is a range of one of these indexes.
--
-- 1. The funnel: the messages of the window, by creation time, with
--    channel and state in the index; each one's last delivery is read from
--    deliveries_last without visiting the table. deliveries_last also
--    serves every "last delivery of a message" lookup (lastDeliverySQL),
--    and its leading column the foreign key's cascade, so it replaces
--    deliveries_message_id.
CREATE INDEX messages_created_at ON messages (created_at) INCLUDE (channel, state);
CREATE INDEX deliveries_last ON deliveries (message_id, created_at DESC, id DESC) INCLUDE (provider, state);
DROP INDEX deliveries_message_id;

-- 2. Failures by provider error code: only the failed and bounced
--    deliveries, by creation time.
CREATE INDEX deliveries_failed ON deliveries (created_at) INCLUDE (provider, state, error_code, message_id)
    WHERE state IN ('failed', 'bounced');

-- 3. The last report each provider's webhook sent (one row a provider).
CREATE TABLE provider_reports (
    provider    text PRIMARY KEY,
    status      text NOT NULL,
    message_id  bigint NOT NULL,
    received_at timestamptz NOT NULL
);
