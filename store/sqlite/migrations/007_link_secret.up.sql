-- Secrets the database keeps for the processes that share it. 'link' is the
-- key from which a message's link token is derived (HMAC), so that every
-- delivery attempt of a message carries the same /m/ and /u/ link
-- (docs/operations.md, "Resident pages"). Created on first use
-- (store.Queries.LinkSecret); KIGEN_LINK_SECRET, when set, is used instead.
CREATE TABLE secrets (
    name       TEXT PRIMARY KEY,
    value      BLOB NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
