-- Calendar feed tokens (/cal/{token}.ics): the secret of one resident's
-- feed, stored as its SHA-256 only, revocable. They go with the resident.
CREATE TABLE calendar_tokens (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    hash            BLOB    NOT NULL UNIQUE,
    municipality_id INTEGER NOT NULL REFERENCES municipalities (id),
    resident_id     INTEGER NOT NULL REFERENCES residents (id) ON DELETE CASCADE,
    created_by      TEXT    NOT NULL,
    created_at      TEXT    NOT NULL,
    revoked_at      TEXT    NULL
) STRICT;
CREATE INDEX calendar_tokens_resident_id ON calendar_tokens (resident_id, id);
