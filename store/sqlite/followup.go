package sqlite

import (
	"context"

	"kigen"
)

// listStaleCardsSQL is ListStaleCards' query: O(cards of the municipality),
// an operator's read, not the tick's.
const listStaleCardsSQL = `
	SELECT ` + cardColumns + `
	FROM cards
	WHERE municipality_id = ? AND expires_on < ?
	ORDER BY expires_on, id`

// ListStaleCards implements store.Queries.
func (q queries) ListStaleCards(ctx context.Context, municipalityID int64, before kigen.Date) (_ []*kigen.Card, err error) {
	defer wrap(&err, "ListStaleCards(municipality %d, %s)", municipalityID, before)
	return queryAll(ctx, q.db, scanCard, listStaleCardsSQL, municipalityID, before)
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
