package sqlite

import (
	"context"
	"time"

	"kigen/store"
)

const calendarTokenColumns = `id, hash, municipality_id, resident_id, created_by, created_at, revoked_at`

func scanCalendarToken(row rowScanner) (*store.CalendarToken, error) {
	var t store.CalendarToken
	if err := row.Scan(&t.ID, &t.Hash, &t.MunicipalityID, &t.ResidentID, &t.CreatedBy, timeScanner{&t.CreatedAt},
		nullTimeScanner{&t.RevokedAt}); err != nil {
		return nil, err
	}
	return &t, nil
}

// CreateCalendarToken implements store.Queries.
func (q queries) CreateCalendarToken(ctx context.Context, t *store.CalendarToken) (err error) {
	defer wrap(&err, "CreateCalendarToken(municipality %d, resident %d)", t.MunicipalityID, t.ResidentID)
	var exists bool
	if err := q.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM residents WHERE id = ? AND municipality_id = ?)`,
		t.ResidentID, t.MunicipalityID).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return store.ErrNotFound
	}
	at := q.stamp(t.CreatedAt)
	err = q.db.QueryRowContext(ctx, `INSERT INTO calendar_tokens (hash, municipality_id, resident_id, created_by, created_at, revoked_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		t.Hash, t.MunicipalityID, t.ResidentID, t.CreatedBy, formatTime(at), nullTime(t.RevokedAt)).Scan(&t.ID)
	if err != nil {
		return err
	}
	t.CreatedAt = at
	return nil
}

// GetCalendarTokenByHash implements store.Queries.
func (q queries) GetCalendarTokenByHash(ctx context.Context, hash []byte) (_ *store.CalendarToken, err error) {
	defer wrap(&err, "GetCalendarTokenByHash")
	return scanCalendarToken(q.db.QueryRowContext(ctx, `SELECT `+calendarTokenColumns+` FROM calendar_tokens WHERE hash = ?`, hash))
}

// ListCalendarTokens implements store.Queries.
func (q queries) ListCalendarTokens(ctx context.Context, municipalityID, residentID int64) (_ []*store.CalendarToken, err error) {
	defer wrap(&err, "ListCalendarTokens(municipality %d, resident %d)", municipalityID, residentID)
	return queryAll(ctx, q.db, scanCalendarToken, `SELECT `+calendarTokenColumns+` FROM calendar_tokens
		WHERE resident_id = ? AND municipality_id = ? ORDER BY id`, residentID, municipalityID)
}

// RevokeCalendarTokens implements store.Queries.
func (q queries) RevokeCalendarTokens(ctx context.Context, municipalityID, residentID int64, at time.Time) (_ int, err error) {
	defer wrap(&err, "RevokeCalendarTokens(municipality %d, resident %d)", municipalityID, residentID)
	res, err := q.db.ExecContext(ctx, `UPDATE calendar_tokens SET revoked_at = ?
		WHERE resident_id = ? AND municipality_id = ? AND revoked_at IS NULL`, formatTime(at), residentID, municipalityID)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}
