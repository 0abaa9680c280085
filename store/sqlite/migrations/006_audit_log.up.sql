-- The audit log (docs/architecture.md, "Who may do what"): every view of a resident's
-- personal data and every change, with who did it, as what, where, to which
-- resident (by ref; no foreign key, so that erasing the resident keeps the
-- entry) and when. Append-only: the triggers refuse to change or remove an
-- entry, whoever asks. It holds no personal data: detail is a short text of
-- the action's own (counts, IDs, states).
CREATE TABLE audit_log (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    at              TEXT    NOT NULL,
    actor_id        TEXT    NOT NULL,
    actor_role      TEXT    NOT NULL,
    action          TEXT    NOT NULL,
    municipality_id INTEGER NULL REFERENCES municipalities (id),
    resident_ref    TEXT    NULL,
    detail          TEXT    NOT NULL DEFAULT ''
) STRICT;

-- A municipality's log, newest first, and one resident's.
CREATE INDEX audit_log_municipality_id ON audit_log (municipality_id, id);
CREATE INDEX audit_log_resident_ref ON audit_log (municipality_id, resident_ref, id) WHERE resident_ref IS NOT NULL;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
