package sqlite

import (
	"context"
	"time"

	"kigen"
)

const deliveryColumns = `id, message_id, provider, state, provider_message_id, error_code, error_reason, created_at, updated_at`

func scanDelivery(row rowScanner) (*kigen.Delivery, error) {
	var d kigen.Delivery
	var state string
	err := row.Scan(&d.ID, &d.MessageID, &d.Provider, &state, &d.ProviderMessageID, &d.ErrorCode, &d.ErrorReason,
		timeScanner{&d.CreatedAt}, timeScanner{&d.UpdatedAt})
	if err != nil {
		return nil, err
	}
	d.State = kigen.DeliveryState(state)
	return &d, nil
}

// CreateDelivery implements store.Queries. A missing message is a foreign
// key violation, hence ErrNotFound.
func (q queries) CreateDelivery(ctx context.Context, d *kigen.Delivery) (err error) {
	defer wrap(&err, "CreateDelivery(message %d)", d.MessageID)
	now := q.now()
	var id int64
	err = q.db.QueryRowContext(ctx, `
		INSERT INTO deliveries (message_id, provider, state, provider_message_id, error_code, error_reason, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING id`,
		d.MessageID, d.Provider, string(d.State), d.ProviderMessageID, d.ErrorCode, d.ErrorReason,
		formatTime(now), formatTime(now),
	).Scan(&id)
	if err != nil {
		return err
	}
	d.ID, d.CreatedAt, d.UpdatedAt = id, now, now
	return nil
}

// UpdateDelivery implements store.Queries. It also reads CreatedAt back
// into d.
func (q queries) UpdateDelivery(ctx context.Context, d *kigen.Delivery) (err error) {
	defer wrap(&err, "UpdateDelivery(%d)", d.ID)
	now := q.now()
	var createdAt time.Time
	err = q.db.QueryRowContext(ctx, `
		UPDATE deliveries
		SET state = ?, provider_message_id = ?, error_code = ?, error_reason = ?, updated_at = ?
		WHERE id = ?
		RETURNING created_at`,
		string(d.State), d.ProviderMessageID, d.ErrorCode, d.ErrorReason, formatTime(now), d.ID,
	).Scan(timeScanner{&createdAt})
	if err != nil {
		return err
	}
	d.CreatedAt, d.UpdatedAt = createdAt, now
	return nil
}

// GetDelivery implements store.Queries.
func (q queries) GetDelivery(ctx context.Context, id int64) (_ *kigen.Delivery, err error) {
	defer wrap(&err, "GetDelivery(%d)", id)
	return scanDelivery(q.db.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE id = ?`, id))
}

// ListDeliveries implements store.Queries. Ids only grow
// (AUTOINCREMENT), so id order is creation order, even under a fixed clock.
func (q queries) ListDeliveries(ctx context.Context, messageID int64) (_ []*kigen.Delivery, err error) {
	defer wrap(&err, "ListDeliveries(message %d)", messageID)
	return queryAll(ctx, q.db, scanDelivery,
		`SELECT `+deliveryColumns+` FROM deliveries WHERE message_id = ? ORDER BY id`, messageID)
}
