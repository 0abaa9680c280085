package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"kigen"
	"kigen/store"
)

// createNoticeSQL inserts the notice if the card is in the municipality,
// copying the card's kind so that a notice detached from a deleted card
// still counts by kind. A duplicate key does nothing rather than fail, so
// that it does not abort the caller's transaction; the first column tells a
// missing card (ErrNotFound) from a duplicate (ErrConflict). A notice for
// the expiry the card's stages were stored for makes them stale, so that
// ListHoldings reads the notices until the card's next date is set again.
const createNoticeSQL = `
WITH card AS (
    SELECT id, municipality_id, kind FROM cards WHERE municipality_id = $1 AND id = $2
), ins AS (
    INSERT INTO notices (municipality_id, card_id, card_kind, expires_on, stage, tick_date, created_at)
    SELECT municipality_id, id, kind, $3, $4, $5, $6 FROM card
    ON CONFLICT (card_id, expires_on, stage) DO NOTHING
    RETURNING id
), stale AS (
    UPDATE cards SET sent_for = NULL
    WHERE municipality_id = $1 AND id = $2 AND sent_for = $3 AND EXISTS (SELECT FROM ins)
)
SELECT EXISTS (SELECT 1 FROM card), (SELECT id FROM ins)`

func (q queries) CreateNotice(ctx context.Context, municipalityID int64, n *kigen.Notice) (err error) {
	defer wrap(&err, "CreateNotice(%d, %d, %s, %s)", municipalityID, n.CardID, n.ExpiresOn, n.Stage)
	now := q.now()
	var (
		found bool
		id    pgtype.Int8
	)
	err = q.db.QueryRow(ctx, createNoticeSQL,
		municipalityID, n.CardID, dateArg(n.ExpiresOn), string(n.Stage), dateArg(n.TickDate), now,
	).Scan(&found, &id)
	switch {
	case err != nil:
		return err
	case !found:
		return store.ErrNotFound
	case !id.Valid:
		return store.ErrConflict
	}
	n.ID, n.CreatedAt = id.Int64, now
	return nil
}

func (q queries) ListNotices(ctx context.Context, municipalityID int64, cardIDs ...int64) (_ []*kigen.Notice, err error) {
	defer wrap(&err, "ListNotices(%d)", municipalityID)
	if len(cardIDs) == 0 {
		return nil, nil
	}
	rows, _ := q.db.Query(ctx, `SELECT id, card_id, expires_on, stage, tick_date, created_at FROM notices
WHERE municipality_id = $1 AND card_id = ANY($2)
ORDER BY id`, municipalityID, cardIDs)
	return collect(rows, scanNotice)
}

func scanNotice(row pgx.CollectableRow) (*kigen.Notice, error) {
	var n kigen.Notice
	err := row.Scan(&n.ID, &n.CardID, date{&n.ExpiresOn}, text[kigen.Stage]{&n.Stage}, date{&n.TickDate}, &n.CreatedAt)
	n.CreatedAt = n.CreatedAt.UTC()
	return &n, err
}
