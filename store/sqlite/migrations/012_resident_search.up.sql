-- Today's counts of cards expiring within 30 and 90 days (desk.Today) read
-- only this index, with the resident of each card in it. The resident
-- search reads the unique index on (municipality_id, ref) for a ref prefix
-- and contacts_address (migration 002) for an email or phone; a name
-- substring is a scan of the municipality's residents (SQLite has no
-- trigram index), fast enough at the embedded store's scale.
CREATE INDEX cards_expiring ON cards (municipality_id, expires_on, resident_id);
