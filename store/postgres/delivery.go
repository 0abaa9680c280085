package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"kigen"
)

const deliveryColumns = `id, message_id, provider, state, provider_message_id, error_code, error_reason, created_at, updated_at`

// createDeliverySQL inserts only if the message exists (no row otherwise),
// rather than fail on the foreign key and abort the caller's transaction.
//
// The same statement keeps the message's last delivery (last_provider,
// last_delivery: migration 017) when the new delivery is its last one.
const createDeliverySQL = `
WITH d AS (
    INSERT INTO deliveries (message_id, provider, state, provider_message_id, error_code, error_reason, created_at, updated_at)
    SELECT m.id, $2, $3, $4, $5, $6, $7, $7 FROM messages m WHERE m.id = $1
    RETURNING id, message_id, provider, state, created_at
), last AS (` + setLastDeliverySQL + `)
SELECT id FROM d`

// setLastDeliverySQL copies the provider and state of the delivery d
// (inserted or updated by the same statement) to its message, when d is
// the message's last delivery (the latest created_at, then id: the order
// of ListDeliveries and lastDeliverySQL) and they changed. The statement's
// snapshot does not hold d's own row, so the probe of deliveries_last
// finds only the others.
const setLastDeliverySQL = `
    UPDATE messages m SET last_provider = d.provider, last_delivery = d.state
    FROM d
    WHERE m.id = d.message_id
      AND (m.last_provider, m.last_delivery) IS DISTINCT FROM (d.provider, d.state)
      AND NOT EXISTS (SELECT FROM deliveries o
                      WHERE o.message_id = d.message_id AND (o.created_at, o.id) > (d.created_at, d.id))`

func (q queries) CreateDelivery(ctx context.Context, d *kigen.Delivery) (err error) {
	defer wrap(&err, "CreateDelivery(message %d)", d.MessageID)
	now := q.now()
	var id int64
	err = q.db.QueryRow(ctx, createDeliverySQL,
		d.MessageID, d.Provider, string(d.State), d.ProviderMessageID, d.ErrorCode, d.ErrorReason, now,
	).Scan(&id)
	if err != nil {
		return err // no row: ErrNotFound
	}
	d.ID, d.CreatedAt, d.UpdatedAt = id, now, now
	return nil
}

func (q queries) UpdateDelivery(ctx context.Context, d *kigen.Delivery) (err error) {
	defer wrap(&err, "UpdateDelivery(%d)", d.ID)
	now := q.now()
	var id int64
	err = q.db.QueryRow(ctx, updateDeliverySQL, d.ID, string(d.State), d.ProviderMessageID, d.ErrorCode, d.ErrorReason, now).Scan(&id)
	if err != nil {
		return err // no row: ErrNotFound
	}
	d.UpdatedAt = now
	return nil
}

// updateDeliverySQL keeps the message's last delivery in the same
// statement (setLastDeliverySQL).
const updateDeliverySQL = `
WITH d AS (
    UPDATE deliveries
    SET state = $2, provider_message_id = $3, error_code = $4, error_reason = $5, updated_at = $6
    WHERE id = $1
    RETURNING id, message_id, provider, state, created_at
), last AS (` + setLastDeliverySQL + `)
SELECT id FROM d`

func (q queries) GetDelivery(ctx context.Context, id int64) (_ *kigen.Delivery, err error) {
	defer wrap(&err, "GetDelivery(%d)", id)
	rows, _ := q.db.Query(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE id = $1`, id)
	return pgx.CollectExactlyOneRow(rows, scanDelivery)
}

func (q queries) ListDeliveries(ctx context.Context, messageID int64) (_ []*kigen.Delivery, err error) {
	defer wrap(&err, "ListDeliveries(%d)", messageID)
	rows, _ := q.db.Query(ctx, `SELECT `+deliveryColumns+` FROM deliveries
WHERE message_id = $1 ORDER BY created_at, id`, messageID)
	return collect(rows, scanDelivery)
}

func scanDelivery(row pgx.CollectableRow) (*kigen.Delivery, error) {
	var d kigen.Delivery
	err := row.Scan(&d.ID, &d.MessageID, &d.Provider, &d.State, &d.ProviderMessageID, &d.ErrorCode, &d.ErrorReason,
		&d.CreatedAt, &d.UpdatedAt)
	d.CreatedAt, d.UpdatedAt = d.CreatedAt.UTC(), d.UpdatedAt.UTC()
	return &d, err
}
