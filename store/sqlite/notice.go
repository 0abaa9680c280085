package sqlite

import (
	"context"
	"time"

	"kigen"
)

// CreateNotice implements store.Queries. A duplicate is a unique violation
// (ErrConflict) that fails only its statement: unlike PostgreSQL, SQLite
// does not abort the enclosing transaction, so the caller may go on in it.
func (q queries) CreateNotice(ctx context.Context, municipalityID int64, n *kigen.Notice) (err error) {
	defer wrap(&err, "CreateNotice(municipality %d, card %d, %s)", municipalityID, n.CardID, n.Stage)
	now := q.now()
	var id int64
	return q.atomic(ctx, func(q queries) error {
		// The SELECT yields no row (ErrNotFound) unless the card is in this
		// municipality, and copies its kind so that the notice still counts
		// by kind once the card is deleted.
		err := q.db.QueryRowContext(ctx, `
			INSERT INTO notices (municipality_id, card_id, card_kind, expires_on, stage, tick_date, created_at)
			SELECT municipality_id, id, kind, ?, ?, ?, ?
			FROM cards WHERE municipality_id = ? AND id = ?
			RETURNING id`,
			n.ExpiresOn, string(n.Stage), n.TickDate, formatTime(now), municipalityID, n.CardID,
		).Scan(&id)
		if err != nil {
			return err
		}
		// A notice for the expiry the card's stages were stored for makes
		// them stale, so that ListHoldings reads the notices until the
		// card's next date is set again.
		if _, err := q.db.ExecContext(ctx, `UPDATE cards SET sent_for = NULL WHERE municipality_id = ? AND id = ? AND sent_for = ?`,
			municipalityID, n.CardID, n.ExpiresOn); err != nil {
			return err
		}
		n.ID, n.CreatedAt = id, now
		return nil
	})
}

// ListNotices implements store.Queries.
func (q queries) ListNotices(ctx context.Context, municipalityID int64, cardIDs ...int64) (_ []*kigen.Notice, err error) {
	defer wrap(&err, "ListNotices(municipality %d)", municipalityID)
	if len(cardIDs) == 0 {
		return nil, nil
	}
	return queryAll(ctx, q.db, scanNotice, `
		SELECT id, card_id, expires_on, stage, tick_date, created_at
		FROM notices
		WHERE municipality_id = ? AND card_id IN (SELECT value FROM json_each(?))
		ORDER BY id`,
		municipalityID, idList(cardIDs))
}

func scanNotice(row rowScanner) (*kigen.Notice, error) {
	var n kigen.Notice
	var stage string
	var createdAt time.Time
	err := row.Scan(&n.ID, &n.CardID, &n.ExpiresOn, &stage, &n.TickDate, timeScanner{&createdAt})
	n.Stage, n.CreatedAt = kigen.Stage(stage), createdAt
	return &n, err
}
