package sqlite

import (
	"context"
	"strings"

	"kigen"
)

// MessageCarriesNotices implements store.Queries.
func (q queries) MessageCarriesNotices(ctx context.Context, municipalityID int64, ch kigen.Channel, noticeIDs []int64) (found bool, err error) {
	defer wrap(&err, "MessageCarriesNotices(%d, %s)", municipalityID, ch)
	if len(noticeIDs) == 0 {
		return false, nil
	}
	args := make([]any, 0, len(noticeIDs)+2)
	args = append(args, municipalityID, string(ch))
	for _, id := range noticeIDs {
		args = append(args, id)
	}
	err = q.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM message_notices mn JOIN messages m ON m.id = mn.message_id
		WHERE m.municipality_id = ? AND m.channel = ? AND mn.notice_id IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(noticeIDs)), ", ")+`))`,
		args...).Scan(&found)
	return found, err
}
