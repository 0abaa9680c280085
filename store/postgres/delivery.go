package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"kigen"
	"kigen/store"
)

const deliveryColumns = `id, message_id, provider, state, provider_message_id, error_code, error_reason, created_at, updated_at`

// createDeliverySQL inserts only if the message exists (no row otherwise),
// rather than fail on the foreign key and abort the caller's transaction.
const createDeliverySQL = `
INSERT INTO deliveries (message_id, provider, state, provider_message_id, error_code, error_reason, created_at, updated_at)
SELECT m.id, $2, $3, $4, $5, $6, $7, $7 FROM messages m WHERE m.id = $1
RETURNING id`

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
	tag, err := q.db.Exec(ctx, `UPDATE deliveries
SET state = $2, provider_message_id = $3, error_code = $4, error_reason = $5, updated_at = $6
WHERE id = $1`, d.ID, string(d.State), d.ProviderMessageID, d.ErrorCode, d.ErrorReason, now)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	d.UpdatedAt = now
	return nil
}

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
