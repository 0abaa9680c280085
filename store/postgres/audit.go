package postgres

import (
	"context"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"kigen/store"
)

// createAuditEntrySQL inserts only if the municipality (when one is given)
// exists, and returns no row otherwise, rather than fail on the foreign key
// and abort the action's transaction.
const createAuditEntrySQL = `
INSERT INTO audit_log (at, actor_id, actor_role, action, municipality_id, resident_ref, detail)
SELECT $1, $2, $3, $4, $5, $6, $7
WHERE $5::bigint IS NULL OR EXISTS (SELECT 1 FROM municipalities WHERE id = $5)
RETURNING id`

// CreateAuditEntry implements store.Queries.
func (q queries) CreateAuditEntry(ctx context.Context, e *store.AuditEntry) (err error) {
	defer wrap(&err, "CreateAuditEntry(%s)", e.Action)
	at := stored(e.At)
	if e.At.IsZero() {
		at = q.now()
	}
	err = q.db.QueryRow(ctx, createAuditEntrySQL, at, e.ActorID, e.ActorRole, e.Action,
		nullID(e.MunicipalityID), pgtype.Text{String: e.ResidentRef, Valid: e.ResidentRef != ""}, e.Detail,
	).Scan(&e.ID)
	if err != nil {
		return err // no row: ErrNotFound
	}
	e.At = at
	return nil
}

// ListAuditEntries implements store.Queries.
func (q queries) ListAuditEntries(ctx context.Context, f store.AuditFilter) (_ []*store.AuditEntry, err error) {
	defer wrap(&err, "ListAuditEntries")
	where, args := []string{"true"}, []any{}
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, cond+" $"+strconv.Itoa(len(args)))
	}
	if f.MunicipalityID != 0 {
		add("municipality_id =", f.MunicipalityID)
	}
	if f.ActorID != "" {
		add("actor_id =", f.ActorID)
	}
	if f.ResidentRef != "" {
		add("resident_ref =", f.ResidentRef)
	}
	if f.Action != "" {
		add("action =", f.Action)
	}
	if !f.From.IsZero() {
		add("at >=", f.From)
	}
	if !f.To.IsZero() {
		add("at <", f.To)
	}
	if f.BeforeID != 0 {
		add("id <", f.BeforeID)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	args = append(args, limit)
	rows, _ := q.db.Query(ctx, `SELECT id, at, actor_id, actor_role, action, municipality_id, resident_ref, detail
FROM audit_log
WHERE `+strings.Join(where, " AND ")+`
ORDER BY id DESC
LIMIT $`+strconv.Itoa(len(args)), args...)
	return collect(rows, scanAuditEntry)
}

func scanAuditEntry(row pgx.CollectableRow) (*store.AuditEntry, error) {
	var (
		e   store.AuditEntry
		mid pgtype.Int8
		ref pgtype.Text
	)
	err := row.Scan(&e.ID, &e.At, &e.ActorID, &e.ActorRole, &e.Action, &mid, &ref, &e.Detail)
	e.At, e.MunicipalityID, e.ResidentRef = e.At.UTC(), mid.Int64, ref.String
	return &e, err
}
