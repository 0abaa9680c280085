package postgres

import (
	"context"
	"errors"
	"fmt"
	"iter"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"kigen/store"
)

var _ store.MessageLoader = (*Store)(nil)

// messageLoadTables are the tables BulkLoadMessages writes, with their
// columns.
var messageLoadTables = []struct {
	name string
	cols []string
}{
	{"messages", []string{"id", "municipality_id", "resident_id", "channel", "tick_date", "state", "created_at", "updated_at", "last_provider", "last_delivery"}},
	{"deliveries", []string{"id", "message_id", "provider", "state", "provider_message_id", "error_code", "error_reason", "created_at", "updated_at"}},
}

// BulkLoadMessages implements store.MessageLoader as BulkLoad does: COPY
// on one connection without triggers (when the role may: each message's
// last delivery is written with it), the
// secondary indexes dropped first and built again at the end, then the
// identities moved on and VACUUM ANALYZE.
func (s *Store) BulkLoadMessages(ctx context.Context, chunks iter.Seq[[]store.LoadMessage]) (err error) {
	defer wrap(&err, "BulkLoadMessages")
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "SET session_replication_role = replica"); err != nil {
		conn.Release()
		if conn, err = s.pool.Acquire(ctx); err != nil {
			return err
		}
	}
	defer conn.Release()
	tables := []string{messageLoadTables[0].name, messageLoadTables[1].name}
	rows, _ := conn.Query(ctx, `
SELECT i.indexname, i.indexdef FROM pg_indexes i
WHERE i.schemaname = current_schema() AND i.tablename = ANY($1)
  AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)`, tables)
	var names, defs []string
	var name, def string
	if _, err := pgx.ForEachRow(rows, []any{&name, &def}, func() error {
		names, defs = append(names, name), append(defs, def)
		return nil
	}); err != nil {
		return fmt.Errorf("list indexes: %w", err)
	}
	for _, name := range names {
		if _, err := conn.Exec(ctx, "DROP INDEX "+pgx.Identifier{name}.Sanitize()); err != nil {
			return err
		}
	}
	var errs []error
	for chunk := range chunks {
		if err := copyMessages(ctx, conn.Conn(), chunk); err != nil {
			errs = append(errs, err)
			break
		}
	}
	errs = append(errs, ctx.Err())
	ctx = context.WithoutCancel(ctx)
	if _, err := conn.Exec(ctx, "RESET session_replication_role"); err != nil {
		errs = append(errs, err)
	}
	for _, def := range defs {
		if _, err := conn.Exec(ctx, def); err != nil {
			errs = append(errs, err)
		}
	}
	for _, t := range tables {
		if _, err := conn.Exec(ctx, fmt.Sprintf(
			`SELECT setval(pg_get_serial_sequence('%[1]s', 'id'), coalesce((SELECT max(id) FROM %[1]s), 0) + 1, false)`, t)); err != nil {
			errs = append(errs, err)
		}
		if _, err := conn.Exec(ctx, "VACUUM ANALYZE "+t); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// copyMessages COPYs one chunk's messages, then their deliveries.
func copyMessages(ctx context.Context, conn *pgx.Conn, chunk []store.LoadMessage) error {
	var msgs, dels [][]any
	for i := range chunk {
		m := &chunk[i]
		provider, state := m.Last()
		msgs = append(msgs, []any{m.ID, m.MunicipalityID, pgtype.Int8{Int64: m.ResidentID, Valid: m.ResidentID != 0},
			string(m.Channel), dateArg(m.TickDate), string(m.State), m.CreatedAt, m.UpdatedAt,
			pgtype.Text{String: provider, Valid: state != ""}, pgtype.Text{String: string(state), Valid: state != ""}})
		for _, d := range m.Deliveries {
			dels = append(dels, []any{d.ID, m.ID, d.Provider, string(d.State), d.ProviderMessageID, d.ErrorCode, d.ErrorReason, d.CreatedAt, d.UpdatedAt})
		}
	}
	for i, rows := range [][][]any{msgs, dels} {
		if len(rows) == 0 {
			continue
		}
		t := messageLoadTables[i]
		if _, err := conn.CopyFrom(ctx, pgx.Identifier{t.name}, t.cols, pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("copy %s: %w", t.name, err)
		}
	}
	return nil
}
