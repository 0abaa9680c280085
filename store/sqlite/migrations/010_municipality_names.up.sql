-- Municipalities that messages can name (docs/domain.md §13): the kind
-- (市 区 町 村), names in Hangul, Thai and Devanagari (without the kind),
-- the office residents go to when it is not the municipality's own, and
-- the municipality's calendar (§12): extra closed days and weekend opening
-- days, as ISO dates separated by commas.
ALTER TABLE municipalities ADD COLUMN kind TEXT NOT NULL DEFAULT '' CHECK (kind IN ('', '市', '区', '町', '村'));
ALTER TABLE municipalities ADD COLUMN name_hangul TEXT NOT NULL DEFAULT '';
ALTER TABLE municipalities ADD COLUMN name_thai TEXT NOT NULL DEFAULT '';
ALTER TABLE municipalities ADD COLUMN name_devanagari TEXT NOT NULL DEFAULT '';
ALTER TABLE municipalities ADD COLUMN office TEXT NOT NULL DEFAULT '';
ALTER TABLE municipalities ADD COLUMN closed_days TEXT NOT NULL DEFAULT '';
ALTER TABLE municipalities ADD COLUMN open_days TEXT NOT NULL DEFAULT '';

UPDATE municipalities SET kind = substr(name, -1) WHERE substr(name, -1) IN ('市', '区', '町', '村');

-- The Latin name is kept without its kind now ("Otaru", not "Otaru City";
-- "Chuo", not "Chuo Ward, Sapporo City"); a Latin name that was the
-- Japanese name is none.
UPDATE municipalities SET name_latin = substr(name_latin, 1, instr(name_latin, ' Ward, ') - 1) WHERE instr(name_latin, ' Ward, ') > 0;
UPDATE municipalities SET name_latin = substr(name_latin, 1, length(name_latin) - 5) WHERE name_latin LIKE '% City';
UPDATE municipalities SET name_latin = substr(name_latin, 1, length(name_latin) - 5) WHERE name_latin LIKE '% Ward';
UPDATE municipalities SET name_latin = substr(name_latin, 1, length(name_latin) - 5) WHERE name_latin LIKE '% Town';
UPDATE municipalities SET name_latin = substr(name_latin, 1, length(name_latin) - 8) WHERE name_latin LIKE '% Village';
UPDATE municipalities SET name_latin = '' WHERE name_latin = name;
