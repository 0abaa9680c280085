package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"kigen"
	"kigen/store"
)

const residentColumns = `id, municipality_id, ref, name, language, status, channel, created_at, updated_at`

// upsertResidentSQL inserts only if the municipality exists (no row
// otherwise). xmax is 0 on a row version this statement inserted, and the
// updating transaction's ID on one it updated: it tells creation apart.
const upsertResidentSQL = `
INSERT INTO residents (municipality_id, ref, name, language, status, channel, created_at, updated_at)
SELECT m.id, $2, $3, $4, $5, $6, $7, $7 FROM municipalities m WHERE m.id = $1` + residentConflictSQL + `
RETURNING id, created_at, (xmax = 0)`

// residentConflictSQL is the update of UpsertResident and UpsertResidents.
const residentConflictSQL = `
ON CONFLICT (municipality_id, ref) DO UPDATE
SET name = excluded.name, language = excluded.language, status = excluded.status,
    channel = excluded.channel, updated_at = excluded.updated_at`

func (q queries) upsertResident(ctx context.Context, r *kigen.Resident) (created bool, err error) {
	defer wrap(&err, "UpsertResident(municipality %d)", r.MunicipalityID)
	now := q.now()
	var (
		id        int64
		createdAt = now
	)
	err = q.db.QueryRow(ctx, upsertResidentSQL,
		r.MunicipalityID, r.Ref, r.Name, string(r.Language), string(r.Status), string(r.Channel), now,
	).Scan(&id, &createdAt, &created)
	if err != nil {
		return false, err
	}
	r.ID, r.CreatedAt, r.UpdatedAt = id, createdAt.UTC(), now
	return created, nil
}

func (q queries) GetResident(ctx context.Context, municipalityID, id int64) (_ *kigen.Resident, err error) {
	defer wrap(&err, "GetResident(%d, %d)", municipalityID, id)
	rows, _ := q.db.Query(ctx,
		`SELECT `+residentColumns+` FROM residents WHERE municipality_id = $1 AND id = $2`, municipalityID, id)
	return pgx.CollectExactlyOneRow(rows, scanResident)
}

func (q queries) GetResidentByRef(ctx context.Context, municipalityID int64, ref string) (_ *kigen.Resident, err error) {
	// The ref may identify a person to the municipality: not in the error.
	defer wrap(&err, "GetResidentByRef(%d)", municipalityID)
	rows, _ := q.db.Query(ctx,
		`SELECT `+residentColumns+` FROM residents WHERE municipality_id = $1 AND ref = $2`, municipalityID, ref)
	return pgx.CollectExactlyOneRow(rows, scanResident)
}

func (q queries) ListResidents(ctx context.Context, f store.ResidentFilter) (_ []*kigen.Resident, err error) {
	defer wrap(&err, "ListResidents(%d)", f.MunicipalityID)
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	if f.IDs != nil {
		// A non-nil empty list selects no one: a caller filtering by an
		// empty set of IDs must not get the whole municipality.
		rows, _ := q.db.Query(ctx, `SELECT `+residentColumns+` FROM residents
WHERE municipality_id = $1 AND id > $2 AND id = ANY($4) ORDER BY id LIMIT $3`,
			f.MunicipalityID, f.AfterID, limit, distinct(f.IDs))
		return collect(rows, scanResident)
	}
	rows, _ := q.db.Query(ctx, `SELECT `+residentColumns+` FROM residents
WHERE municipality_id = $1 AND id > $2 ORDER BY id LIMIT $3`, f.MunicipalityID, f.AfterID, limit)
	return collect(rows, scanResident)
}

// DeleteResident relies on the schema: contacts and cards are deleted with
// the resident (ON DELETE CASCADE); notices lose their card and messages
// their resident (ON DELETE SET NULL).
func (q queries) DeleteResident(ctx context.Context, municipalityID, id int64) (err error) {
	defer wrap(&err, "DeleteResident(%d, %d)", municipalityID, id)
	tag, err := q.db.Exec(ctx, `DELETE FROM residents WHERE municipality_id = $1 AND id = $2`, municipalityID, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

func scanResident(row pgx.CollectableRow) (*kigen.Resident, error) {
	var r kigen.Resident
	err := row.Scan(&r.ID, &r.MunicipalityID, &r.Ref, &r.Name, text[kigen.Language]{&r.Language}, text[kigen.Status]{&r.Status}, text[kigen.ChannelPref]{&r.Channel},
		&r.CreatedAt, &r.UpdatedAt)
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	return &r, err
}
