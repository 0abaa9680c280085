-- The history of each municipality's imports (docs/console.md, "Import"):
-- who imported which file when and what it did, dry runs included. A row
-- holds no personal data of the file: its name, size, encoding and counts.
CREATE TABLE imports (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    municipality_id INTEGER NOT NULL REFERENCES municipalities (id),
    actor_id        TEXT    NOT NULL,
    actor_role      TEXT    NOT NULL,
    file_name       TEXT    NOT NULL DEFAULT '',
    size            INTEGER NOT NULL DEFAULT 0,
    encoding        TEXT    NOT NULL DEFAULT '',
    state           TEXT    NOT NULL CHECK (state IN ('dry-run', 'running', 'done', 'refused', 'failed')),
    background      INTEGER NOT NULL DEFAULT 0,
    rows_total      INTEGER NOT NULL DEFAULT 0,
    rows_done       INTEGER NOT NULL DEFAULT 0,
    created         INTEGER NOT NULL DEFAULT 0,
    updated         INTEGER NOT NULL DEFAULT 0,
    unchanged       INTEGER NOT NULL DEFAULT 0,
    gaps_opened     INTEGER NOT NULL DEFAULT 0,
    bad_rows        INTEGER NOT NULL DEFAULT 0,
    warnings        INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    finished_at     TEXT NULL
) STRICT;
CREATE INDEX imports_municipality_id ON imports (municipality_id, id);

-- The file a background import reads, kept only until the import ends
-- (the job's transaction deletes it with the import's result).
CREATE TABLE import_uploads (
    import_id INTEGER PRIMARY KEY REFERENCES imports (id) ON DELETE CASCADE,
    data      BLOB NOT NULL
) STRICT;

-- The problems (refused) or warnings (done) a background import lists,
-- for its result page: Kigen's reasons, as the synchronous import shows them
-- (the English text, and its catalog key and arguments as a JSON array).
CREATE TABLE import_problems (
    import_id  INTEGER NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    warning    INTEGER NOT NULL,
    row_number INTEGER NOT NULL,
    field      TEXT    NOT NULL,
    message    TEXT    NOT NULL,
    reason_key  TEXT    NOT NULL DEFAULT '',
    reason_args TEXT    NOT NULL DEFAULT '[]',
    PRIMARY KEY (import_id, seq)
) STRICT;
