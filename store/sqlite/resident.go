package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"kigen"
	"kigen/store"
)

const residentColumns = `id, municipality_id, ref, name, language, status, channel, created_at, updated_at`

func scanResident(row rowScanner) (*kigen.Resident, error) {
	var r kigen.Resident
	var language, status, channel string
	err := row.Scan(&r.ID, &r.MunicipalityID, &r.Ref, &r.Name, &language, &status, &channel,
		timeScanner{&r.CreatedAt}, timeScanner{&r.UpdatedAt})
	if err != nil {
		return nil, err
	}
	r.Language, r.Status, r.Channel = kigen.Language(language), kigen.Status(status), kigen.ChannelPref(channel)
	return &r, nil
}

// upsertResident is UpsertResident of store.Queries but for the flags (flags.go).
func (q queries) upsertResident(ctx context.Context, r *kigen.Resident) (created bool, err error) {
	defer wrap(&err, "UpsertResident(municipality %d)", r.MunicipalityID)
	now := q.now()
	var id int64
	var createdAt time.Time
	err = q.atomic(ctx, func(q queries) error {
		// Two statements, because an upsert's RETURNING cannot tell an insert
		// from an update: DO NOTHING returns no row when the ref exists.
		err := q.db.QueryRowContext(ctx, `
			INSERT INTO residents (municipality_id, ref, name, language, status, channel, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (municipality_id, ref) DO NOTHING
			RETURNING id, created_at`,
			r.MunicipalityID, r.Ref, r.Name, string(r.Language), string(r.Status), string(r.Channel),
			formatTime(now), formatTime(now),
		).Scan(&id, timeScanner{&createdAt})
		if err == nil {
			created = true
			return nil
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		return q.db.QueryRowContext(ctx, `
			UPDATE residents SET name = ?, language = ?, status = ?, channel = ?, updated_at = ?
			WHERE municipality_id = ? AND ref = ?
			RETURNING id, created_at`,
			r.Name, string(r.Language), string(r.Status), string(r.Channel), formatTime(now),
			r.MunicipalityID, r.Ref,
		).Scan(&id, timeScanner{&createdAt})
	})
	if err != nil {
		return false, err
	}
	r.ID, r.CreatedAt, r.UpdatedAt = id, createdAt, now
	return created, nil
}

// GetResident implements store.Queries.
func (q queries) GetResident(ctx context.Context, municipalityID, id int64) (_ *kigen.Resident, err error) {
	defer wrap(&err, "GetResident(municipality %d, %d)", municipalityID, id)
	return scanResident(q.db.QueryRowContext(ctx,
		`SELECT `+residentColumns+` FROM residents WHERE municipality_id = ? AND id = ?`, municipalityID, id))
}

// GetResidentByRef implements store.Queries.
func (q queries) GetResidentByRef(ctx context.Context, municipalityID int64, ref string) (_ *kigen.Resident, err error) {
	defer wrap(&err, "GetResidentByRef(municipality %d)", municipalityID) // a ref may identify a person
	return scanResident(q.db.QueryRowContext(ctx,
		`SELECT `+residentColumns+` FROM residents WHERE municipality_id = ? AND ref = ?`, municipalityID, ref))
}

// ListResidents implements store.Queries.
func (q queries) ListResidents(ctx context.Context, f store.ResidentFilter) (_ []*kigen.Resident, err error) {
	defer wrap(&err, "ListResidents(municipality %d)", f.MunicipalityID)
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	if f.IDs != nil {
		// A non-nil empty list selects no one: a caller filtering by an
		// empty set of IDs must not get the whole municipality.
		return queryAll(ctx, q.db, scanResident, `
			SELECT `+residentColumns+` FROM residents
			WHERE municipality_id = ? AND id > ? AND id IN (SELECT value FROM json_each(?))
			ORDER BY id
			LIMIT ?`,
			f.MunicipalityID, f.AfterID, idList(f.IDs), limit)
	}
	return queryAll(ctx, q.db, scanResident, `
		SELECT `+residentColumns+` FROM residents
		WHERE municipality_id = ? AND id > ?
		ORDER BY id
		LIMIT ?`,
		f.MunicipalityID, f.AfterID, limit)
}

// DeleteResident implements store.Queries. The schema does the rest:
// contacts and cards cascade, notices and messages are detached (SET NULL).
func (q queries) DeleteResident(ctx context.Context, municipalityID, id int64) (err error) {
	defer wrap(&err, "DeleteResident(municipality %d, %d)", municipalityID, id)
	return mustAffect(q.db.ExecContext(ctx,
		`DELETE FROM residents WHERE municipality_id = ? AND id = ?`, municipalityID, id))
}
