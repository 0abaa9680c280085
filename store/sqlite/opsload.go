package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"

	"kigen/store"
)

var _ store.MessageLoader = (*Store)(nil)

// BulkLoadMessages implements store.MessageLoader as BulkLoad does: one
// transaction of prepared inserts a chunk, foreign keys off and without
// waiting for the disk; then ANALYZE, so that the planner knows the
// indexes' sizes.
func (s *Store) BulkLoadMessages(ctx context.Context, chunks iter.Seq[[]store.LoadMessage]) (err error) {
	defer wrap(&err, "BulkLoadMessages")
	for _, p := range []string{"PRAGMA foreign_keys = OFF", "PRAGMA synchronous = OFF"} {
		if _, err := s.db.ExecContext(ctx, p); err != nil {
			return err
		}
	}
	defer func() {
		for _, p := range []string{"PRAGMA foreign_keys = ON", "PRAGMA synchronous = NORMAL"} {
			if _, perr := s.db.ExecContext(context.WithoutCancel(ctx), p); perr != nil {
				err = errors.Join(err, perr)
			}
		}
	}()
	for chunk := range chunks {
		if err := s.withTx(ctx, func(tx *sql.Tx) error { return loadMessages(ctx, tx, chunk) }); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, "PRAGMA analysis_limit = 1000; ANALYZE messages; ANALYZE deliveries")
	return err
}

// loadMessages inserts one chunk's messages and deliveries in tx.
func loadMessages(ctx context.Context, tx *sql.Tx, chunk []store.LoadMessage) error {
	msgSt, err := tx.PrepareContext(ctx, `INSERT INTO messages (id, municipality_id, resident_id, channel, tick_date, state, created_at, updated_at, last_provider, last_delivery) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer msgSt.Close()
	delSt, err := tx.PrepareContext(ctx, `INSERT INTO deliveries (id, message_id, provider, state, provider_message_id, error_code, error_reason, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer delSt.Close()
	for i := range chunk {
		m := &chunk[i]
		provider, state := m.Last()
		if _, err := msgSt.ExecContext(ctx, m.ID, m.MunicipalityID, nullID(m.ResidentID), string(m.Channel), m.TickDate, string(m.State),
			formatTime(m.CreatedAt), formatTime(m.UpdatedAt),
			sql.NullString{String: provider, Valid: state != ""}, sql.NullString{String: string(state), Valid: state != ""}); err != nil {
			return fmt.Errorf("insert message: %w", err)
		}
		for _, d := range m.Deliveries {
			if _, err := delSt.ExecContext(ctx, d.ID, m.ID, d.Provider, string(d.State), d.ProviderMessageID, d.ErrorCode, d.ErrorReason,
				formatTime(d.CreatedAt), formatTime(d.UpdatedAt)); err != nil {
				return fmt.Errorf("insert delivery: %w", err)
			}
		}
	}
	return nil
}
