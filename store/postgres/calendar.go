package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"kigen/store"
)

const calendarTokenColumns = `id, hash, municipality_id, resident_id, created_by, created_at, revoked_at`

func scanCalendarToken(row pgx.CollectableRow) (*store.CalendarToken, error) {
	var (
		t       store.CalendarToken
		revoked pgtype.Timestamptz
	)
	err := row.Scan(&t.ID, &t.Hash, &t.MunicipalityID, &t.ResidentID, &t.CreatedBy, &t.CreatedAt, &revoked)
	t.CreatedAt, t.RevokedAt = t.CreatedAt.UTC(), timeOf(revoked)
	return &t, err
}

// CreateCalendarToken implements store.Queries.
func (q queries) CreateCalendarToken(ctx context.Context, t *store.CalendarToken) (err error) {
	defer wrap(&err, "CreateCalendarToken(municipality %d, resident %d)", t.MunicipalityID, t.ResidentID)
	at := stored(t.CreatedAt)
	if t.CreatedAt.IsZero() {
		at = q.now()
	}
	err = q.db.QueryRow(ctx, `INSERT INTO calendar_tokens (hash, municipality_id, resident_id, created_by, created_at, revoked_at)
SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM residents WHERE id = $3 AND municipality_id = $2)
ON CONFLICT (hash) DO NOTHING RETURNING id`,
		t.Hash, t.MunicipalityID, t.ResidentID, t.CreatedBy, at, nullTime(t.RevokedAt)).Scan(&t.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		var taken bool
		if err := q.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM calendar_tokens WHERE hash = $1)`, t.Hash).Scan(&taken); err != nil {
			return err
		}
		if taken {
			return store.ErrConflict
		}
		return store.ErrNotFound
	} else if err != nil {
		return err
	}
	t.CreatedAt = at
	return nil
}

// GetCalendarTokenByHash implements store.Queries.
func (q queries) GetCalendarTokenByHash(ctx context.Context, hash []byte) (_ *store.CalendarToken, err error) {
	defer wrap(&err, "GetCalendarTokenByHash")
	rows, _ := q.db.Query(ctx, `SELECT `+calendarTokenColumns+` FROM calendar_tokens WHERE hash = $1`, hash)
	return pgx.CollectExactlyOneRow(rows, scanCalendarToken)
}

// ListCalendarTokens implements store.Queries.
func (q queries) ListCalendarTokens(ctx context.Context, municipalityID, residentID int64) (_ []*store.CalendarToken, err error) {
	defer wrap(&err, "ListCalendarTokens(municipality %d, resident %d)", municipalityID, residentID)
	rows, _ := q.db.Query(ctx, `SELECT `+calendarTokenColumns+` FROM calendar_tokens
WHERE resident_id = $2 AND municipality_id = $1 ORDER BY id`, municipalityID, residentID)
	return collect(rows, scanCalendarToken)
}

// RevokeCalendarTokens implements store.Queries.
func (q queries) RevokeCalendarTokens(ctx context.Context, municipalityID, residentID int64, at time.Time) (_ int, err error) {
	defer wrap(&err, "RevokeCalendarTokens(municipality %d, resident %d)", municipalityID, residentID)
	tag, err := q.db.Exec(ctx, `UPDATE calendar_tokens SET revoked_at = $3
WHERE resident_id = $2 AND municipality_id = $1 AND revoked_at IS NULL`, municipalityID, residentID, stored(at))
	return int(tag.RowsAffected()), err
}
