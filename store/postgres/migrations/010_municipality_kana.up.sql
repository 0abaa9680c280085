-- The reading of a municipality's name in hiragana (おたるし), filled in from
-- the list of local governments when it is added; empty for one added
-- before.
ALTER TABLE municipalities ADD COLUMN name_kana text NOT NULL DEFAULT '';
