-- Secrets the database keeps for the processes that share it. 'link' is the
-- key from which a message's link token is derived (HMAC), so that every
-- delivery attempt of a message, in any process, carries the same /m/ and
-- /u/ link (docs/operations.md, "Resident pages"). Created on first use
-- (store.Queries.LinkSecret); KIGEN_LINK_SECRET, when set, is used instead.
CREATE TABLE secrets (
    name       text        PRIMARY KEY,
    value      bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
