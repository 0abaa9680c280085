package sqlite

import (
	"context"

	"kigen/store"
)

// setSMSOptOut is SetSMSOptOut of store.Queries but for the flags (flags.go).
func (q queries) setSMSOptOut(ctx context.Context, phone string, optedOut bool) (_ []store.ResidentKey, err error) {
	defer wrap(&err, "SetSMSOptOut(%t)", optedOut)
	return queryAll(ctx, q.db, func(row rowScanner) (store.ResidentKey, error) {
		var k store.ResidentKey
		err := row.Scan(&k.MunicipalityID, &k.ResidentID)
		return k, err
	}, `UPDATE contacts SET opted_out = ?, updated_at = ?
		WHERE channel = 'sms' AND address = ? AND opted_out <> ?
		RETURNING municipality_id, resident_id`,
		optedOut, formatTime(q.now()), phone, optedOut)
}
