package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"kigen/store"
)

// setSMSOptOut is SetSMSOptOut of store.Queries but for the flags (flags.go).
func (q queries) setSMSOptOut(ctx context.Context, phone string, optedOut bool) (_ []store.ResidentKey, err error) {
	defer wrap(&err, "SetSMSOptOut(%t)", optedOut)
	rows, err := q.db.Query(ctx, `
		UPDATE contacts SET opted_out = $2, updated_at = $3
		WHERE channel = 'sms' AND address = $1 AND opted_out <> $2
		RETURNING municipality_id, resident_id`, phone, optedOut, q.now())
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.ResidentKey, error) {
		var k store.ResidentKey
		err := row.Scan(&k.MunicipalityID, &k.ResidentID)
		return k, err
	})
}
