package sqlite

import (
	"context"
	"time"

	"kigen"
	"kigen/store"
)

// cardConflictSQL is the update of UpsertCard and UpsertCards: a changed
// expiry clears renewal_applied_on, and the card gets the notices recorded
// for its expiry (sent_stages, migration 005; a new card has none).
var cardConflictSQL = `
		ON CONFLICT (resident_id, kind) DO UPDATE SET
			expires_on = excluded.expires_on,
			renewal_applied_on = CASE WHEN cards.expires_on = excluded.expires_on THEN excluded.renewal_applied_on END,
			next_notice_on = excluded.next_notice_on,
			updated_at = excluded.updated_at,
			sent_stages = ` + sentStagesSQL("cards", "excluded.expires_on") + `,
			sent_for = excluded.expires_on`

// upsertCard is UpsertCard of store.Queries but for the flags (flags.go). It reads the stored
// RenewalAppliedOn back into c, since a changed expiry clears it whatever c
// says.
func (q queries) upsertCard(ctx context.Context, municipalityID int64, c *kigen.Card) (err error) {
	defer wrap(&err, "UpsertCard(municipality %d, resident %d, %s)", municipalityID, c.ResidentID, c.Kind)
	now := q.now()
	var (
		id        int64
		renewal   kigen.Date
		createdAt time.Time
	)
	// One statement, so atomic without a transaction: the SELECT yields no
	// row (ErrNotFound) unless the resident is in this municipality.
	err = q.db.QueryRowContext(ctx, `
		INSERT INTO cards (municipality_id, resident_id, kind, expires_on, renewal_applied_on, next_notice_on, created_at, updated_at, sent_for)
		SELECT municipality_id, id, ?1, ?2, ?3, ?4, ?5, ?5, ?2
		FROM residents WHERE municipality_id = ?6 AND id = ?7`+cardConflictSQL+`
		RETURNING id, renewal_applied_on, created_at`,
		string(c.Kind), c.ExpiresOn, c.RenewalAppliedOn, c.NextNoticeOn, formatTime(now),
		municipalityID, c.ResidentID,
	).Scan(&id, &renewal, timeScanner{&createdAt})
	if err != nil {
		return err
	}
	c.ID, c.RenewalAppliedOn, c.CreatedAt, c.UpdatedAt = id, renewal, createdAt, now
	return nil
}

// ListCards implements store.Queries. The cards are found by resident,
// through the unique index on (resident_id, kind): the unary + keeps
// SQLite from reading every card of the municipality through an index
// that starts with municipality_id instead (85 ms a resident's page at
// 12,000 residents).
func (q queries) ListCards(ctx context.Context, municipalityID int64, residentIDs ...int64) (_ []*kigen.Card, err error) {
	defer wrap(&err, "ListCards(municipality %d)", municipalityID)
	if len(residentIDs) == 0 {
		return nil, nil
	}
	return queryAll(ctx, q.db, scanCard, `
		SELECT `+cardColumns+`
		FROM cards
		WHERE +municipality_id = ? AND resident_id IN (SELECT value FROM json_each(?))
		ORDER BY resident_id, kind`,
		municipalityID, idList(residentIDs))
}

const cardColumns = `id, resident_id, kind, expires_on, renewal_applied_on, next_notice_on, created_at, updated_at`

// scanCard scans cardColumns.
func scanCard(row rowScanner) (*kigen.Card, error) {
	var c kigen.Card
	var kind string
	err := row.Scan(&c.ID, &c.ResidentID, &kind, &c.ExpiresOn, &c.RenewalAppliedOn, &c.NextNoticeOn,
		timeScanner{&c.CreatedAt}, timeScanner{&c.UpdatedAt})
	c.Kind = kigen.CardKind(kind)
	return &c, err
}

// deleteCard is DeleteCard of store.Queries but for the flags (flags.go). Its notices are detached by the
// schema (ON DELETE SET NULL).
func (q queries) deleteCard(ctx context.Context, municipalityID, residentID int64, kind kigen.CardKind) (err error) {
	defer wrap(&err, "DeleteCard(municipality %d, resident %d, %s)", municipalityID, residentID, kind)
	return mustAffect(q.db.ExecContext(ctx,
		`DELETE FROM cards WHERE municipality_id = ? AND resident_id = ? AND kind = ?`,
		municipalityID, residentID, string(kind)))
}

// SetCardRenewalApplied implements store.Queries.
func (q queries) SetCardRenewalApplied(ctx context.Context, municipalityID, cardID int64, on kigen.Date) (err error) {
	defer wrap(&err, "SetCardRenewalApplied(municipality %d, card %d)", municipalityID, cardID)
	return mustAffect(q.db.ExecContext(ctx,
		`UPDATE cards SET renewal_applied_on = ?, updated_at = ? WHERE municipality_id = ? AND id = ?`,
		on, formatTime(q.now()), municipalityID, cardID))
}

// SetCardNextNoticeOn implements store.Queries.
func (q queries) SetCardNextNoticeOn(ctx context.Context, municipalityID, cardID int64, on kigen.Date) (err error) {
	defer wrap(&err, "SetCardNextNoticeOn(municipality %d, card %d)", municipalityID, cardID)
	return mustAffect(q.db.ExecContext(ctx,
		`UPDATE cards SET next_notice_on = ?, updated_at = ?, sent_stages = `+sentStagesSQL("cards", "cards.expires_on")+`, sent_for = expires_on
		WHERE municipality_id = ? AND id = ?`,
		on, formatTime(q.now()), municipalityID, cardID))
}

// listDueCardsSQL is ListDueCards' query. The IS NOT NULL term repeats the
// WHERE of the partial index cards_due, which is what lets SQLite use it;
// the ORDER BY is the index's order, so there is no sort. plan_test.go
// checks the plan.
const listDueCardsSQL = `
	SELECT id, municipality_id, resident_id, next_notice_on
	FROM cards
	WHERE next_notice_on IS NOT NULL AND next_notice_on <= ?
	ORDER BY next_notice_on, id
	LIMIT ?`

// ListDueCards implements store.Queries. A limit of 0 or less returns no
// cards.
func (q queries) ListDueCards(ctx context.Context, on kigen.Date, limit int) (_ []store.DueCard, err error) {
	defer wrap(&err, "ListDueCards(%s, %d)", on, limit)
	if limit <= 0 {
		return nil, nil
	}
	return queryAll(ctx, q.db, func(row rowScanner) (store.DueCard, error) {
		var c store.DueCard
		err := row.Scan(&c.CardID, &c.MunicipalityID, &c.ResidentID, &c.NextNoticeOn)
		return c, err
	}, listDueCardsSQL, on, limit)
}
