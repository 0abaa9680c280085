-- The staff console's and the API's resident search (desk.ListResidents):
-- at 4 million residents each condition reads an index, always under the
-- actor's municipality.
--
-- 1. A ref prefix is a range of bytes: an index in the "C" collation reads
--    it in the order pages are given, whatever the database's collation.
CREATE INDEX residents_ref_c ON residents (municipality_id, ref COLLATE "C");

-- 2. A name substring (ILIKE '%…%', kana and Latin alike) reads trigrams.
--    pg_trgm is a trusted extension (PostgreSQL 13+): the database owner
--    may create it. It is installed once per database, in the schema
--    public, and found wherever it is: Kigen's schema need not be public
--    (tests migrate a schema each), and a schema dropped with CASCADE must
--    not take the extension, and every other schema's index, with it. The
--    lock serialises schemas migrating at once, which would otherwise race
--    to create the extension.
SELECT pg_advisory_xact_lock(hashtext('kigen_pg_trgm'));
CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
DO $$
DECLARE s text;
BEGIN
    SELECT n.nspname INTO STRICT s FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
    EXECUTE format('CREATE INDEX residents_name_trgm ON residents USING gin (name %I.gin_trgm_ops)', s);
END
$$;

-- 3. An email or phone is looked up exactly, as stored (normalised by the
--    import's rules), through contacts_address (migration 003).
--
-- 4. Today's counts of cards expiring within 30 and 90 days read only the
--    index, with the resident of each card in it.
CREATE INDEX cards_expiring ON cards (municipality_id, expires_on) INCLUDE (resident_id);
