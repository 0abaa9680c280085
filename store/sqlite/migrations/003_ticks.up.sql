-- One row per run of the daily tick: what it planned, and whether it
-- finished. /readyz reads the latest (LastTick) to tell an overdue tick.
CREATE TABLE ticks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tick_date   TEXT    NOT NULL,
    started_at  TEXT    NOT NULL,
    finished_at TEXT,
    notices     INTEGER NOT NULL DEFAULT 0,
    messages    INTEGER NOT NULL DEFAULT 0
) STRICT;

-- LastTick reads the most recently started tick without a scan.
CREATE INDEX ticks_started_at ON ticks (started_at);
