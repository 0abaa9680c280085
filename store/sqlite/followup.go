package sqlite

import (
	"context"

	"kigen"
)

// listStaleCardsSQL is ListStaleCards' query: O(cards of the municipality),
// an operator's read, not the tick's.
const listStaleCardsSQL = `
	SELECT id, resident_id, kind, expires_on, renewal_applied_on, next_notice_on, created_at, updated_at
	FROM cards
	WHERE municipality_id = ? AND expires_on < ?
	ORDER BY expires_on, id`

// ListStaleCards implements store.Queries.
func (q queries) ListStaleCards(ctx context.Context, municipalityID int64, before kigen.Date) (_ []*kigen.Card, err error) {
	defer wrap(&err, "ListStaleCards(municipality %d, %s)", municipalityID, before)
	return queryAll(ctx, q.db, func(row rowScanner) (*kigen.Card, error) {
		var c kigen.Card
		var kind string
		err := row.Scan(&c.ID, &c.ResidentID, &kind, &c.ExpiresOn, &c.RenewalAppliedOn, &c.NextNoticeOn,
			timeScanner{&c.CreatedAt}, timeScanner{&c.UpdatedAt})
		c.Kind = kigen.CardKind(kind)
		return &c, err
	}, listStaleCardsSQL, municipalityID, before)
}

// listDeliveriesByStateSQL is ListDeliveriesByState's query; the join
// scopes the deliveries to the municipality's messages.
const listDeliveriesByStateSQL = `
	SELECT d.id, d.message_id, d.provider, d.state, d.provider_message_id, d.error_code, d.error_reason, d.created_at, d.updated_at
	FROM deliveries d JOIN messages m ON m.id = d.message_id
	WHERE m.municipality_id = ? AND d.state = ?
	ORDER BY d.id`

// ListDeliveriesByState implements store.Queries.
func (q queries) ListDeliveriesByState(ctx context.Context, municipalityID int64, state kigen.DeliveryState) (_ []*kigen.Delivery, err error) {
	defer wrap(&err, "ListDeliveriesByState(municipality %d, %s)", municipalityID, state)
	return queryAll(ctx, q.db, scanDelivery, listDeliveriesByStateSQL, municipalityID, string(state))
}
