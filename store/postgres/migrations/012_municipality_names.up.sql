-- Municipalities that messages can name (docs/domain.md §13): the kind
-- (市 区 町 村), names in Hangul, Thai and Devanagari (without the kind),
-- the office residents go to when it is not the municipality's own, and
-- the municipality's calendar (§12): extra closed days and weekend opening
-- days, as ISO dates separated by commas.
ALTER TABLE municipalities
    ADD COLUMN kind            text NOT NULL DEFAULT '' CHECK (kind IN ('', '市', '区', '町', '村')),
    ADD COLUMN name_hangul     text NOT NULL DEFAULT '',
    ADD COLUMN name_thai       text NOT NULL DEFAULT '',
    ADD COLUMN name_devanagari text NOT NULL DEFAULT '',
    ADD COLUMN office          text NOT NULL DEFAULT '',
    ADD COLUMN closed_days     text NOT NULL DEFAULT '',
    ADD COLUMN open_days       text NOT NULL DEFAULT '';

UPDATE municipalities SET kind = right(name, 1) WHERE right(name, 1) IN ('市', '区', '町', '村');

-- The Latin name is kept without its kind now ("Otaru", not "Otaru City";
-- "Chuo", not "Chuo Ward, Sapporo City"); a Latin name that was the
-- Japanese name is none.
UPDATE municipalities SET name_latin = regexp_replace(name_latin, ' (City|Ward|Town|Village)(, .*)?$', '');
UPDATE municipalities SET name_latin = '' WHERE name_latin = name;
