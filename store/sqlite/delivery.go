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
	err = q.atomic(ctx, func(q queries) error {
		err := q.db.QueryRowContext(ctx, `
		INSERT INTO deliveries (message_id, provider, state, provider_message_id, error_code, error_reason, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING id`,
			d.MessageID, d.Provider, string(d.State), d.ProviderMessageID, d.ErrorCode, d.ErrorReason,
			formatTime(now), formatTime(now),
		).Scan(&id)
		if err != nil {
			return err
		}
		return q.setLastDelivery(ctx, id, d.MessageID, d.Provider, d.State, formatTime(now))
	})
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
	err = q.atomic(ctx, func(q queries) error {
		var messageID int64
		var provider, created string
		err := q.db.QueryRowContext(ctx, `
		UPDATE deliveries
		SET state = ?, provider_message_id = ?, error_code = ?, error_reason = ?, updated_at = ?
		WHERE id = ?
		RETURNING message_id, provider, created_at`,
			string(d.State), d.ProviderMessageID, d.ErrorCode, d.ErrorReason, formatTime(now), d.ID,
		).Scan(&messageID, &provider, &created)
		if err != nil {
			return err
		}
		if err := (timeScanner{&createdAt}).Scan(created); err != nil {
			return err
		}
		return q.setLastDelivery(ctx, d.ID, messageID, provider, d.State, created)
	})
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

// setLastDelivery copies the provider and state of the delivery id (of
// messageID, created at createdAt as stored), just inserted or updated in
// the same transaction, to its message (last_provider, last_delivery:
// migration 015) when it is the message's last delivery (the latest
// created_at, then id: the order of lastDeliverySQL) and they changed.
func (q queries) setLastDelivery(ctx context.Context, id, messageID int64, provider string, state kigen.DeliveryState, createdAt string) error {
	_, err := q.db.ExecContext(ctx, `
		UPDATE messages SET last_provider = ?1, last_delivery = ?2
		WHERE id = ?3
		  AND (last_provider, last_delivery) IS NOT (?1, ?2)
		  AND NOT EXISTS (SELECT 1 FROM deliveries o
		                  WHERE o.message_id = ?3 AND (o.created_at, o.id) > (?4, ?5))`,
		provider, string(state), messageID, createdAt, id)
	return err
}
