-- Kigen's schema on SQLite. It mirrors store/postgres/migrations/001_init.up.sql
-- with SQLite's types: dates are ISO text 'YYYY-MM-DD', timestamps are
-- fixed-width RFC 3339 text in UTC with nanoseconds (so text order is time
-- order), booleans are INTEGER 0/1.
--
-- Tables are STRICT: without it SQLite's type affinity would quietly store a
-- wrongly bound value (a time.Time, a float) instead of failing the write.
-- Ids are INTEGER PRIMARY KEY AUTOINCREMENT so that, like a PostgreSQL
-- identity, an id is never reused: a deleted resident's id must never come
-- back as somebody else (a job, a link or a log line may still carry it).

CREATE TABLE municipalities (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    code          TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    name_latin    TEXT    NOT NULL DEFAULT '',
    contact_phone TEXT    NOT NULL DEFAULT '',
    contact_email TEXT    NOT NULL DEFAULT '',
    contact_url   TEXT    NOT NULL DEFAULT '',
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
) STRICT;

CREATE TABLE residents (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    municipality_id INTEGER NOT NULL REFERENCES municipalities (id),
    ref             TEXT    NOT NULL,
    name            TEXT    NOT NULL DEFAULT '',
    language        TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    channel         TEXT    NOT NULL DEFAULT '',
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    UNIQUE (municipality_id, ref)
) STRICT;

-- ListResidents pages through one municipality by id.
CREATE INDEX residents_municipality_id ON residents (municipality_id, id);

CREATE TABLE contacts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    municipality_id INTEGER NOT NULL REFERENCES municipalities (id),
    resident_id     INTEGER NOT NULL REFERENCES residents (id) ON DELETE CASCADE,
    channel         TEXT    NOT NULL CHECK (channel IN ('email', 'sms')),
    address         TEXT    NOT NULL,
    consent         INTEGER NOT NULL DEFAULT 0 CHECK (consent IN (0, 1)),
    opted_out       INTEGER NOT NULL DEFAULT 0 CHECK (opted_out IN (0, 1)),
    failed          INTEGER NOT NULL DEFAULT 0 CHECK (failed IN (0, 1)),
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    UNIQUE (resident_id, channel)
) STRICT;

CREATE TABLE cards (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    municipality_id    INTEGER NOT NULL REFERENCES municipalities (id),
    resident_id        INTEGER NOT NULL REFERENCES residents (id) ON DELETE CASCADE,
    kind               TEXT    NOT NULL CHECK (kind IN ('residence_card', 'mynumber_card', 'mynumber_cert', 'integrated_card')),
    expires_on         TEXT    NOT NULL,
    renewal_applied_on TEXT,
    next_notice_on     TEXT,
    created_at         TEXT    NOT NULL,
    updated_at         TEXT    NOT NULL,
    UNIQUE (resident_id, kind)
) STRICT;

-- The daily tick reads only the cards whose next notice is due: partial, so
-- the many cards with nothing to do (NULL) are not even in the index, and
-- ordered like ListDueCards so that no sort is needed.
CREATE INDEX cards_due ON cards (next_notice_on, id) WHERE next_notice_on IS NOT NULL;

CREATE TABLE notices (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    municipality_id INTEGER NOT NULL REFERENCES municipalities (id),
    card_id         INTEGER REFERENCES cards (id) ON DELETE SET NULL,
    card_kind       TEXT    NOT NULL,
    expires_on      TEXT    NOT NULL,
    stage           TEXT    NOT NULL,
    tick_date       TEXT    NOT NULL,
    created_at      TEXT    NOT NULL,
    -- A notice is never sent twice. A detached notice (card_id NULL) no
    -- longer takes part: NULLs are distinct.
    UNIQUE (card_id, expires_on, stage)
) STRICT;

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    municipality_id INTEGER NOT NULL REFERENCES municipalities (id),
    resident_id     INTEGER REFERENCES residents (id) ON DELETE SET NULL,
    channel         TEXT    NOT NULL,
    tick_date       TEXT    NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'planned',
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL
) STRICT;

-- Deleting a resident must find their messages without a full scan.
CREATE INDEX messages_resident_id ON messages (resident_id);

CREATE TABLE message_notices (
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    notice_id  INTEGER NOT NULL REFERENCES notices (id) ON DELETE CASCADE,
    PRIMARY KEY (message_id, notice_id)
) STRICT, WITHOUT ROWID;

-- SQLite checks the child side of a foreign key by scanning unless it is
-- indexed.
CREATE INDEX message_notices_notice_id ON message_notices (notice_id);

CREATE TABLE deliveries (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id          INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    provider            TEXT    NOT NULL,
    state               TEXT    NOT NULL,
    provider_message_id TEXT    NOT NULL DEFAULT '',
    error_code          TEXT    NOT NULL DEFAULT '',
    error_reason        TEXT    NOT NULL DEFAULT '',
    created_at          TEXT    NOT NULL,
    updated_at          TEXT    NOT NULL
) STRICT;

CREATE INDEX deliveries_message_id ON deliveries (message_id);
