package postgres

import (
	"context"

	"kigen"
)

// MessageCarriesNotices implements store.Queries.
func (q queries) MessageCarriesNotices(ctx context.Context, municipalityID int64, ch kigen.Channel, noticeIDs []int64) (found bool, err error) {
	defer wrap(&err, "MessageCarriesNotices(%d, %s)", municipalityID, ch)
	if len(noticeIDs) == 0 {
		return false, nil
	}
	err = q.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM message_notices mn JOIN messages m ON m.id = mn.message_id
		WHERE m.municipality_id = $1 AND m.channel = $2 AND mn.notice_id = ANY($3::bigint[]))`,
		municipalityID, string(ch), noticeIDs).Scan(&found)
	return found, err
}
