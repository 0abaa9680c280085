-- The stages recorded for a card, kept on the card for the tick's read
-- (ListHoldings), which otherwise looks the notices up card by card: the
-- stage names of its notices for the expiry sent_for, comma-separated,
-- as of the last time its next date was set (SetCardNextNoticeOn,
-- SetCardsNextNoticeOn); NULL for none. Computed from the notices alone,
-- which are never deleted, so it never names a stage not recorded; a
-- notice recorded since may be missing, and is at worst planned again and
-- found recorded. It counts only while sent_for is the card's expiry.
ALTER TABLE cards ADD COLUMN sent_stages TEXT;
ALTER TABLE cards ADD COLUMN sent_for TEXT;
UPDATE cards SET sent_for = expires_on, sent_stages = (
    SELECT group_concat(stage, ',') FROM (
        SELECT n.stage FROM notices n
        WHERE n.card_id = cards.id AND n.expires_on = cards.expires_on
        ORDER BY n.stage));

-- The due list (ListDueCards) names each due card's municipality and
-- resident: with them in the partial index, it no longer reads one row of
-- the table per due card. The index is rewritten with every next date
-- anyway.
DROP INDEX cards_due;
CREATE INDEX cards_due ON cards (next_notice_on, id, municipality_id, resident_id) WHERE next_notice_on IS NOT NULL;
