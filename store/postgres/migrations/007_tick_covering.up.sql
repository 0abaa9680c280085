-- The rest of the tick's read (ListHoldings) becomes index-only, and the
-- stages sent for each card are kept on the card.
--
-- At 4 M residents a due resident's read used to visit some seven pages,
-- three of them heap pages, and descend the notices' index once per card.
-- Now each of the three unique keys it looks residents, contacts and cards
-- up by carries the columns the rules read, and a card carries the stages
-- recorded for it (sent_stages, for the expiry sent_for). The keys are
-- unchanged, so the composite foreign keys and ON CONFLICT find them as
-- before. Writes pay little: a card's next date is in cards_due already, so
-- updating it was never HOT; residents' status and channel and contacts'
-- flags change rarely.

-- 1. The stages recorded for a card, as of the last time its next date was
--    set (SetCardNextNoticeOn, SetCardsNextNoticeOn): the stage names of
--    its notices for the expiry sent_for, comma-separated in bytewise
--    order; NULL for none. Computed from the notices alone, which are never
--    deleted, so it never names a stage not recorded; a notice recorded
--    since may be missing, and is at worst planned again and found
--    recorded. It counts only while sent_for is the card's expiry: a new
--    expiry (an import) makes ListHoldings read the notices themselves
--    until the card's next date is set again.
ALTER TABLE cards ADD COLUMN sent_stages text NULL, ADD COLUMN sent_for date NULL;
UPDATE cards SET sent_for = expires_on, sent_stages = (
    SELECT string_agg(n.stage, ',' ORDER BY n.stage COLLATE "C") FROM notices n
    WHERE n.card_id = cards.id AND n.expires_on = cards.expires_on AND n.municipality_id = cards.municipality_id);

-- 2. residents (municipality_id, id), referenced by the contacts' and
--    cards' composite foreign keys, which go and come back with it.
ALTER TABLE contacts DROP CONSTRAINT contacts_resident_fkey;
ALTER TABLE cards DROP CONSTRAINT cards_resident_fkey;
ALTER TABLE residents
    DROP CONSTRAINT residents_municipality_id_id_key,
    ADD CONSTRAINT residents_municipality_id_id_key UNIQUE (municipality_id, id) INCLUDE (status, channel);
ALTER TABLE contacts ADD CONSTRAINT contacts_resident_fkey FOREIGN KEY (municipality_id, resident_id)
    REFERENCES residents (municipality_id, id) ON DELETE CASCADE;
ALTER TABLE cards ADD CONSTRAINT cards_resident_fkey FOREIGN KEY (municipality_id, resident_id)
    REFERENCES residents (municipality_id, id) ON DELETE CASCADE;

-- 3. contacts (resident_id, channel): whether the contact is usable.
ALTER TABLE contacts
    DROP CONSTRAINT contacts_resident_id_channel_key,
    ADD CONSTRAINT contacts_resident_id_channel_key UNIQUE (resident_id, channel)
        INCLUDE (municipality_id, address, consent, opted_out, failed);

-- 4. cards (resident_id, kind): everything kigen.Plan reads of a card and
--    of its notices, and its next date.
ALTER TABLE cards
    DROP CONSTRAINT cards_resident_id_kind_key,
    ADD CONSTRAINT cards_resident_id_kind_key UNIQUE (resident_id, kind)
        INCLUDE (municipality_id, id, expires_on, renewal_applied_on, next_notice_on, sent_stages, sent_for);

-- 5. An index-only scan skips the heap only for pages the visibility map
--    marks all-visible, which takes a vacuum after they change. A tick
--    rewrites a few tenths of a percent of the cards, spread over a fifth
--    of their pages, so 2% (migration 006) left most pages unmarked by the
--    end of a week: vacuum cards after each day's tick, and the notices it
--    adds.
ALTER TABLE cards SET (autovacuum_vacuum_scale_factor = 0.002);
ALTER TABLE notices SET (autovacuum_vacuum_insert_scale_factor = 0.005);
