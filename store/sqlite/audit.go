package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"kigen/store"
)

// CreateAuditEntry implements store.Queries.
func (q queries) CreateAuditEntry(ctx context.Context, e *store.AuditEntry) (err error) {
	defer wrap(&err, "CreateAuditEntry(%s)", e.Action)
	at := e.At.UTC()
	if e.At.IsZero() {
		at = q.now()
	}
	err = q.db.QueryRowContext(ctx, `
		INSERT INTO audit_log (at, actor_id, actor_role, action, municipality_id, resident_ref, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		RETURNING id`,
		formatTime(at), e.ActorID, e.ActorRole, e.Action, nullID(e.MunicipalityID), nullText(e.ResidentRef), e.Detail,
	).Scan(&e.ID)
	if err != nil {
		return err
	}
	e.At = at
	return nil
}

// ListAuditEntries implements store.Queries.
func (q queries) ListAuditEntries(ctx context.Context, f store.AuditFilter) (_ []*store.AuditEntry, err error) {
	defer wrap(&err, "ListAuditEntries")
	where, args := []string{"1 = 1"}, []any{}
	add := func(cond string, arg any) {
		where = append(where, cond)
		args = append(args, arg)
	}
	if f.MunicipalityID != 0 {
		add("municipality_id = ?", f.MunicipalityID)
	}
	if f.ActorID != "" {
		add("actor_id = ?", f.ActorID)
	}
	if f.ResidentRef != "" {
		add("resident_ref = ?", f.ResidentRef)
	}
	if f.Action != "" {
		add("action = ?", f.Action)
	}
	if !f.From.IsZero() {
		add("at >= ?", formatTime(f.From))
	}
	if !f.To.IsZero() {
		add("at < ?", formatTime(f.To))
	}
	if f.BeforeID != 0 {
		add("id < ?", f.BeforeID)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	return queryAll(ctx, q.db, scanAuditEntry, `
		SELECT id, at, actor_id, actor_role, action, municipality_id, resident_ref, detail
		FROM audit_log
		WHERE `+strings.Join(where, " AND ")+`
		ORDER BY id DESC
		LIMIT ?`, append(args, limit)...)
}

func scanAuditEntry(row rowScanner) (*store.AuditEntry, error) {
	var (
		e   store.AuditEntry
		mid sql.NullInt64
		ref sql.NullString
	)
	if err := row.Scan(&e.ID, timeScanner{&e.At}, &e.ActorID, &e.ActorRole, &e.Action, &mid, &ref, &e.Detail); err != nil {
		return nil, err
	}
	e.MunicipalityID, e.ResidentRef = mid.Int64, ref.String
	return &e, nil
}

// nullText is s, or NULL for "".
func nullText(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
