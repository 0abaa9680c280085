-- The operators' page (/ops/, docs/operations.md "The ops console") reads
-- the last 24 hours and 7 days of delivery, however many years of history
-- the tables hold: each read is a range of one of these covering indexes.
--
-- 1. The funnel counts each message of the window by its state and the
--    provider and state of its last delivery, which each message keeps
--    (last_provider, last_delivery; NULL: no delivery), kept by triggers
--    on deliveries whatever writes them, so that the window is one range
--    of messages_created_at (timestamps are fixed-width UTC text: text
--    order is time order). Messages older than 8 days are not filled in:
--    no window reaches them.
ALTER TABLE messages ADD COLUMN last_provider TEXT;
ALTER TABLE messages ADD COLUMN last_delivery TEXT;

UPDATE messages SET
    last_provider = (SELECT d.provider FROM deliveries d WHERE d.message_id = messages.id ORDER BY d.created_at DESC, d.id DESC LIMIT 1),
    last_delivery = (SELECT d.state FROM deliveries d WHERE d.message_id = messages.id ORDER BY d.created_at DESC, d.id DESC LIMIT 1)
WHERE created_at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-8 days');

CREATE TRIGGER deliveries_last_insert AFTER INSERT ON deliveries
BEGIN
    UPDATE messages SET
        last_provider = (SELECT d.provider FROM deliveries d WHERE d.message_id = NEW.message_id ORDER BY d.created_at DESC, d.id DESC LIMIT 1),
        last_delivery = (SELECT d.state FROM deliveries d WHERE d.message_id = NEW.message_id ORDER BY d.created_at DESC, d.id DESC LIMIT 1)
    WHERE id = NEW.message_id;
END;
CREATE TRIGGER deliveries_last_update AFTER UPDATE OF state, provider ON deliveries
WHEN OLD.state IS NOT NEW.state OR OLD.provider IS NOT NEW.provider
BEGIN
    UPDATE messages SET
        last_provider = (SELECT d.provider FROM deliveries d WHERE d.message_id = NEW.message_id ORDER BY d.created_at DESC, d.id DESC LIMIT 1),
        last_delivery = (SELECT d.state FROM deliveries d WHERE d.message_id = NEW.message_id ORDER BY d.created_at DESC, d.id DESC LIMIT 1)
    WHERE id = NEW.message_id;
END;
CREATE TRIGGER deliveries_last_delete AFTER DELETE ON deliveries
BEGIN
    UPDATE messages SET
        last_provider = (SELECT d.provider FROM deliveries d WHERE d.message_id = OLD.message_id ORDER BY d.created_at DESC, d.id DESC LIMIT 1),
        last_delivery = (SELECT d.state FROM deliveries d WHERE d.message_id = OLD.message_id ORDER BY d.created_at DESC, d.id DESC LIMIT 1)
    WHERE id = OLD.message_id;
END;

CREATE INDEX messages_created_at ON messages (created_at, channel, state, last_provider, last_delivery);

-- Every "last delivery of a message" lookup (the triggers,
-- lastDeliverySQL) reads this index alone; it also serves the foreign
-- key, so it replaces deliveries_message_id.
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
