package postgres

import (
	"context"

	"kigen"
)

// listStaleCardsSQL is ListStaleCards' query: O(cards of the municipality),
// an operator's read, not the tick's.
const listStaleCardsSQL = `SELECT ` + cardColumns + ` FROM cards
WHERE municipality_id = $1 AND expires_on < $2
ORDER BY expires_on, id`

func (q queries) ListStaleCards(ctx context.Context, municipalityID int64, before kigen.Date) (_ []*kigen.Card, err error) {
	defer wrap(&err, "ListStaleCards(%d, %s)", municipalityID, before)
	rows, _ := q.db.Query(ctx, listStaleCardsSQL, municipalityID, dateArg(before))
	return collect(rows, scanCard)
}

// listDeliveriesByStateSQL is ListDeliveriesByState's query; the join
// scopes the deliveries to the municipality's messages.
const listDeliveriesByStateSQL = `SELECT d.id, d.message_id, d.provider, d.state, d.provider_message_id, d.error_code, d.error_reason, d.created_at, d.updated_at
FROM deliveries d JOIN messages m ON m.id = d.message_id
WHERE m.municipality_id = $1 AND d.state = $2
ORDER BY d.id`

func (q queries) ListDeliveriesByState(ctx context.Context, municipalityID int64, state kigen.DeliveryState) (_ []*kigen.Delivery, err error) {
	defer wrap(&err, "ListDeliveriesByState(%d, %s)", municipalityID, state)
	rows, _ := q.db.Query(ctx, listDeliveriesByStateSQL, municipalityID, string(state))
	return collect(rows, scanDelivery)
}
