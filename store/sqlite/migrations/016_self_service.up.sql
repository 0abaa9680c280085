-- Resident self-service (issue 20): sign-ups waiting for their double
-- opt-in, the confirmations of a resident's second channel and the fresh
-- links they ask for (one table: what is sent to confirm an address), the
-- resident's own links (/me/{token}), and where a resident came from.
--
-- A pending row holds the sign-up's fields (JSON) and the address until it
-- is confirmed or expires; its secrets (the link token, the 6-digit code)
-- are derived from the link secret and the row's nonce, and only the
-- token's hash is stored. address_key (a hash of the address) stays for
-- the daily limits after the address is cleared.
CREATE TABLE signups (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    municipality_id INTEGER NOT NULL REFERENCES municipalities (id),
    kind            TEXT    NOT NULL CHECK (kind IN ('signup', 'channel', 'link')),
    resident_id     INTEGER NULL REFERENCES residents (id) ON DELETE CASCADE,
    channel         TEXT    NOT NULL CHECK (channel IN ('email', 'sms')),
    address         TEXT    NOT NULL DEFAULT '',
    address_key     BLOB    NOT NULL,
    client_key      TEXT    NOT NULL DEFAULT '',
    language        TEXT    NOT NULL,
    fields          TEXT    NOT NULL DEFAULT '',
    nonce           BLOB    NOT NULL,
    token_hash      BLOB    NULL UNIQUE,
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'confirmed', 'duplicate', 'expired', 'dismissed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    duplicate_of    INTEGER NULL REFERENCES residents (id) ON DELETE SET NULL,
    created_at      TEXT    NOT NULL,
    expires_at      TEXT    NOT NULL,
    sent_at         TEXT    NULL,
    confirmed_at    TEXT    NULL
) STRICT;
CREATE INDEX signups_channel ON signups (channel, created_at);
CREATE INDEX signups_municipality ON signups (municipality_id, created_at);
CREATE INDEX signups_address_key ON signups (address_key, created_at);
CREATE INDEX signups_client_key ON signups (client_key, created_at);
CREATE INDEX signups_state ON signups (municipality_id, state) WHERE state = 'duplicate';
CREATE INDEX signups_resident_id ON signups (resident_id);

-- The resident's own links: 128-bit tokens stored hashed, expiring,
-- revocable.
CREATE TABLE resident_tokens (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    hash            BLOB    NOT NULL UNIQUE,
    municipality_id INTEGER NOT NULL REFERENCES municipalities (id),
    resident_id     INTEGER NOT NULL REFERENCES residents (id) ON DELETE CASCADE,
    created_at      TEXT    NOT NULL,
    expires_at      TEXT    NOT NULL,
    revoked_at      TEXT    NULL
) STRICT;
CREATE INDEX resident_tokens_resident_id ON resident_tokens (resident_id);

-- Where a resident came from: 'staff' (the counter, an import) or 'self'
-- (signed up themselves).
ALTER TABLE residents ADD COLUMN source TEXT NOT NULL DEFAULT 'staff' CHECK (source IN ('staff', 'self'));
