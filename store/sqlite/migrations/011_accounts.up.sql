-- Accounts (docs/accounts.md): staff and admins of a municipality and
-- operators (of none), who sign in with a password and a TOTP code. Every
-- secret that is only compared is stored as its hash (setup links,
-- sessions, API tokens); the TOTP secret is kept as it is, since the server
-- computes codes from it.
CREATE TABLE accounts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    email           TEXT    NOT NULL UNIQUE,
    role            TEXT    NOT NULL CHECK (role IN ('staff', 'admin', 'operator')),
    municipality_id INTEGER NULL REFERENCES municipalities (id),
    password_hash   TEXT    NOT NULL DEFAULT '',
    totp_secret     TEXT    NOT NULL DEFAULT '',
    totp_last_step  INTEGER NOT NULL DEFAULT 0,
    setup_done      INTEGER NOT NULL DEFAULT 0,
    locked_until    TEXT    NULL,
    disabled_at     TEXT    NULL,
    created_at      TEXT    NOT NULL,
    CHECK ((role = 'operator') = (municipality_id IS NULL))
) STRICT;
CREATE INDEX accounts_municipality_id ON accounts (municipality_id);

-- One-time setup links (72 h).
CREATE TABLE setup_tokens (
    hash       BLOB    PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at TEXT    NOT NULL,
    expires_at TEXT    NOT NULL,
    used_at    TEXT    NULL
) STRICT;
CREATE INDEX setup_tokens_account_id ON setup_tokens (account_id);

-- Signed-in browsers: idle and absolute timeouts.
CREATE TABLE sessions (
    hash         BLOB    PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at   TEXT    NOT NULL,
    last_seen_at TEXT    NOT NULL,
    expires_at   TEXT    NOT NULL
) STRICT;
CREATE INDEX sessions_account_id ON sessions (account_id);

-- Failed logins, counted per account and per client over a window.
CREATE TABLE login_failures (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NULL REFERENCES accounts (id) ON DELETE CASCADE,
    client_key TEXT    NOT NULL,
    at         TEXT    NOT NULL
) STRICT;
CREATE INDEX login_failures_account_id ON login_failures (account_id, at);
CREATE INDEX login_failures_client_key ON login_failures (client_key, at);
CREATE INDEX login_failures_at ON login_failures (at);

-- Bearer tokens of the JSON API, of one municipality.
CREATE TABLE api_tokens (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    hash            BLOB    NOT NULL UNIQUE,
    name            TEXT    NOT NULL,
    municipality_id INTEGER NOT NULL REFERENCES municipalities (id),
    scope           TEXT    NOT NULL CHECK (scope IN ('read', 'write')),
    created_by      TEXT    NOT NULL,
    created_at      TEXT    NOT NULL,
    last_used_at    TEXT    NULL,
    revoked_at      TEXT    NULL
) STRICT;
CREATE INDEX api_tokens_municipality_id ON api_tokens (municipality_id, id);
