-- ReserveSignup in one statement (one round trip instead of four): counts
-- one more sign-up under each key, in key order (so that two reservations
-- lock their rows in the same order and never deadlock); if a count goes
-- over its limit, takes every count back (the block's subtransaction) and
-- returns that key's index (from 0), else -1. With async, the commit of
-- the caller's statement does not wait for its WAL flush (the setting lasts
-- until the transaction ends: false inside a caller's transaction).
CREATE FUNCTION kigen_reserve_signup(d date, keys text[], limits integer[], async boolean) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    refused integer;
BEGIN
    IF async THEN
        PERFORM set_config('synchronous_commit', 'off', true);
    END IF;
    BEGIN
        WITH counted AS (
            INSERT INTO signup_counts (day, key, n)
            SELECT d, k, 1 FROM unnest(keys) AS k ORDER BY k COLLATE "C"
            ON CONFLICT (day, key) DO UPDATE SET n = signup_counts.n + 1
            RETURNING key, n)
        SELECT min(l.i) INTO refused
        FROM counted c JOIN unnest(keys, limits) WITH ORDINALITY AS l(k, lim, i) ON c.key = l.k
        WHERE c.n > l.lim;
        IF refused IS NOT NULL THEN
            RAISE EXCEPTION 'over the limit' USING ERRCODE = 'KG001';
        END IF;
    EXCEPTION WHEN SQLSTATE 'KG001' THEN
        RETURN refused - 1;
    END;
    RETURN -1;
END
$$;
