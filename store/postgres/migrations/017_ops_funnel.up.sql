-- The operators' page (/ops/, docs/operations.md "The ops console") reads
-- the last 24 hours and 7 days of delivery, however many years of history
-- the tables hold: each read is a range of one of these indexes.
--
-- 1. The funnel counts each message of the window by its state and the
--    provider and state of its last delivery. Looking the last delivery
--    up for each of a week's messages (150,000 at national scale) cost
--    seconds on a loaded server, so each message keeps them
--    (last_provider, last_delivery; NULL: no delivery), kept by a trigger
--    on deliveries whatever writes them, and the window is one range of
--    messages_created_at with everything in it. Messages older than 8
--    days are not filled in: no window reaches them.
ALTER TABLE messages ADD COLUMN last_provider text NULL, ADD COLUMN last_delivery text NULL;

UPDATE messages m SET (last_provider, last_delivery) = (
    SELECT d.provider, d.state FROM deliveries d
    WHERE d.message_id = m.id ORDER BY d.created_at DESC, d.id DESC LIMIT 1)
WHERE m.created_at >= now() - interval '8 days';

CREATE FUNCTION messages_last_delivery() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    mid bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN
        mid := OLD.message_id;
    ELSE
        mid := NEW.message_id;
    END IF;
    UPDATE messages m SET (last_provider, last_delivery) = (
        SELECT d.provider, d.state FROM deliveries d
        WHERE d.message_id = mid ORDER BY d.created_at DESC, d.id DESC LIMIT 1)
    WHERE m.id = mid;
    RETURN NULL;
END
$$;
CREATE TRIGGER deliveries_last_insert AFTER INSERT OR DELETE ON deliveries
    FOR EACH ROW EXECUTE FUNCTION messages_last_delivery();
CREATE TRIGGER deliveries_last_update AFTER UPDATE OF state, provider ON deliveries
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.provider IS DISTINCT FROM NEW.provider)
    EXECUTE FUNCTION messages_last_delivery();

CREATE INDEX messages_created_at ON messages (created_at) INCLUDE (channel, state, last_provider, last_delivery);

-- Every "last delivery of a message" lookup (the trigger, lastDeliverySQL)
-- reads this index alone; its leading column serves the foreign key's
-- cascade, so it replaces deliveries_message_id.
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
