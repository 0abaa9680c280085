package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"kigen"
	"kigen/store"
)

const cardColumns = `id, resident_id, kind, expires_on, renewal_applied_on, next_notice_on, created_at, updated_at`

// upsertCardSQL inserts only if the resident is in the municipality (no row
// otherwise). On update a changed expiry clears renewal_applied_on: the
// application was for the old date. A new card has no notices; an updated
// one gets those recorded for its expiry (sent_stages, migration 007).
var upsertCardSQL = `
INSERT INTO cards (municipality_id, resident_id, kind, expires_on, renewal_applied_on, next_notice_on, created_at, updated_at, sent_for)
SELECT r.municipality_id, r.id, $3, $4, $5, $6, $7, $7, $4 FROM residents r
WHERE r.municipality_id = $1 AND r.id = $2` + cardConflictSQL + `
RETURNING id, created_at, renewal_applied_on`

// cardConflictSQL is the update of UpsertCard and UpsertCards.
var cardConflictSQL = `
ON CONFLICT (resident_id, kind) DO UPDATE
SET expires_on = excluded.expires_on,
    renewal_applied_on = CASE WHEN cards.expires_on <> excluded.expires_on THEN NULL ELSE excluded.renewal_applied_on END,
    next_notice_on = excluded.next_notice_on,
    updated_at = excluded.updated_at,
    sent_stages = ` + sentStagesSQL("cards", "excluded.expires_on") + `,
    sent_for = excluded.expires_on`

func (q queries) upsertCard(ctx context.Context, municipalityID int64, c *kigen.Card) (err error) {
	defer wrap(&err, "UpsertCard(%d, %d, %s)", municipalityID, c.ResidentID, c.Kind)
	now := q.now()
	var (
		id        int64
		createdAt = now
		applied   kigen.Date
	)
	err = q.db.QueryRow(ctx, upsertCardSQL,
		municipalityID, c.ResidentID, string(c.Kind), dateArg(c.ExpiresOn), dateArg(c.RenewalAppliedOn),
		dateArg(c.NextNoticeOn), now,
	).Scan(&id, &createdAt, &applied)
	if err != nil {
		return err
	}
	c.ID, c.RenewalAppliedOn, c.CreatedAt, c.UpdatedAt = id, applied, createdAt.UTC(), now
	return nil
}

// ListCards orders kinds bytewise (COLLATE "C"), as SQLite does.
func (q queries) ListCards(ctx context.Context, municipalityID int64, residentIDs ...int64) (_ []*kigen.Card, err error) {
	defer wrap(&err, "ListCards(%d)", municipalityID)
	if len(residentIDs) == 0 {
		return nil, nil
	}
	rows, _ := q.db.Query(ctx, `SELECT `+cardColumns+` FROM cards
WHERE municipality_id = $1 AND resident_id = ANY($2)
ORDER BY resident_id, kind COLLATE "C"`, municipalityID, residentIDs)
	return collect(rows, scanCard)
}

func (q queries) deleteCard(ctx context.Context, municipalityID, residentID int64, kind kigen.CardKind) (err error) {
	defer wrap(&err, "DeleteCard(%d, %d, %s)", municipalityID, residentID, kind)
	tag, err := q.db.Exec(ctx,
		`DELETE FROM cards WHERE municipality_id = $1 AND resident_id = $2 AND kind = $3`,
		municipalityID, residentID, string(kind))
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

func (q queries) SetCardRenewalApplied(ctx context.Context, municipalityID, cardID int64, on kigen.Date) (err error) {
	defer wrap(&err, "SetCardRenewalApplied(%d, %d)", municipalityID, cardID)
	return q.setCardDate(ctx, `UPDATE cards SET renewal_applied_on = $3, updated_at = $4
WHERE municipality_id = $1 AND id = $2`, municipalityID, cardID, on)
}

func (q queries) SetCardNextNoticeOn(ctx context.Context, municipalityID, cardID int64, on kigen.Date) (err error) {
	defer wrap(&err, "SetCardNextNoticeOn(%d, %d)", municipalityID, cardID)
	return q.setCardDate(ctx, `UPDATE cards SET next_notice_on = $3, updated_at = $4,
    sent_stages = `+sentStagesSQL("cards", "cards.expires_on")+`, sent_for = expires_on
WHERE municipality_id = $1 AND id = $2`, municipalityID, cardID, on)
}

func (q queries) setCardDate(ctx context.Context, sql string, municipalityID, cardID int64, on kigen.Date) error {
	tag, err := q.db.Exec(ctx, sql, municipalityID, cardID, dateArg(on), q.now())
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

// listDueCardsSQL reads only due rows through the partial index cards_due
// (next_notice_on, id) WHERE next_notice_on IS NOT NULL: the IS NOT NULL
// term lets the planner match the index predicate, and the ORDER BY is the
// index order, so the LIMIT stops the scan early.
const listDueCardsSQL = `SELECT id, municipality_id, resident_id, next_notice_on FROM cards
WHERE next_notice_on IS NOT NULL AND next_notice_on <= $1
ORDER BY next_notice_on, id
LIMIT $2`

func (q queries) ListDueCards(ctx context.Context, on kigen.Date, limit int) (_ []store.DueCard, err error) {
	defer wrap(&err, "ListDueCards(%s, %d)", on, limit)
	if limit <= 0 {
		return nil, nil
	}
	rows, _ := q.db.Query(ctx, listDueCardsSQL, dateArg(on), limit)
	return collect(rows, func(row pgx.CollectableRow) (store.DueCard, error) {
		var d store.DueCard
		err := row.Scan(&d.CardID, &d.MunicipalityID, &d.ResidentID, date{&d.NextNoticeOn})
		return d, err
	})
}

// scanCard scans cardColumns.
func scanCard(row pgx.CollectableRow) (*kigen.Card, error) {
	var c kigen.Card
	err := row.Scan(&c.ID, &c.ResidentID, text[kigen.CardKind]{&c.Kind}, date{&c.ExpiresOn},
		date{&c.RenewalAppliedOn}, date{&c.NextNoticeOn}, &c.CreatedAt, &c.UpdatedAt)
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return &c, err
}
