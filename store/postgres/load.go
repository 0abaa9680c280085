package postgres

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"kigen"
	"kigen/store"
)

var _ store.Bench = (*Store)(nil)

// BulkLoad implements store.Bench. It COPYs the chunks into the real tables on one connection that
// skips the foreign-key triggers (session_replication_role = replica, when
// the role may: the rows are consistent by contract). The secondary
// indexes that no constraint needs are dropped first and built again at
// the end, which is much faster than keeping them up to date row by row;
// then the identities go on after the IDs loaded, and VACUUM ANALYZE
// leaves the tables as autovacuum keeps them (statistics, visibility map).
func (s *Store) BulkLoad(ctx context.Context, chunks iter.Seq[[]store.LoadResident]) (err error) {
	defer wrap(&err, "BulkLoad")
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "SET session_replication_role = replica"); err != nil {
		// Not a superuser: keep the checks, slower. The failed statement
		// leaves the connection as it was.
		conn.Release()
		if conn, err = s.pool.Acquire(ctx); err != nil {
			return err
		}
	}
	indexes, err := dropLoadIndexes(ctx, conn)
	if err == nil {
		now := s.timestamp()
		for chunk := range chunks {
			if err = copyChunk(ctx, conn, chunk, now); err != nil {
				break
			}
		}
		if err == nil {
			err = ctx.Err()
		}
	}
	if err != nil {
		// Close the connection rather than return it to the pool with its
		// checks off.
		conn.Conn().Close(context.WithoutCancel(ctx))
		conn.Release()
		return err
	}
	defer conn.Release()
	var errs []error
	if _, err := conn.Exec(ctx, "RESET session_replication_role"); err != nil {
		errs = append(errs, err)
	}
	for _, def := range indexes {
		if _, err := conn.Exec(ctx, def); err != nil {
			errs = append(errs, err)
		}
	}
	for _, t := range loadTables {
		if _, err := conn.Exec(ctx, fmt.Sprintf(
			`SELECT setval(pg_get_serial_sequence('%[1]s', 'id'), coalesce((SELECT max(id) FROM %[1]s), 0) + 1, false)`, t.name)); err != nil {
			errs = append(errs, err)
		}
		if _, err := conn.Exec(ctx, "VACUUM ANALYZE "+t.name); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// loadTables are the tables BulkLoad writes, in the order it writes them,
// with their columns.
var loadTables = []struct {
	name string
	cols []string
}{
	{"residents", []string{"id", "municipality_id", "ref", "name", "language", "status", "channel", "created_at", "updated_at", "unreachable", "gap_open"}},
	{"contacts", []string{"id", "municipality_id", "resident_id", "channel", "address", "consent", "opted_out", "failed", "created_at", "updated_at"}},
	{"cards", []string{"id", "municipality_id", "resident_id", "kind", "expires_on", "renewal_applied_on", "next_notice_on", "created_at", "updated_at", "sent_stages", "sent_for"}},
	{"notices", []string{"id", "municipality_id", "card_id", "card_kind", "expires_on", "stage", "tick_date", "created_at"}},
}

// dropLoadIndexes drops the indexes of the tables BulkLoad writes that no
// constraint needs, and returns the statements that create them again.
func dropLoadIndexes(ctx context.Context, conn *pgxpool.Conn) ([]string, error) {
	tables := make([]string, len(loadTables))
	for i, t := range loadTables {
		tables[i] = t.name
	}
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
		return nil, fmt.Errorf("list indexes: %w", err)
	}
	for _, name := range names {
		if _, err := conn.Exec(ctx, "DROP INDEX "+pgx.Identifier{name}.Sanitize()); err != nil {
			return nil, err
		}
	}
	return defs, nil
}

// copyChunk COPYs one chunk's rows into each table.
func copyChunk(ctx context.Context, conn *pgxpool.Conn, chunk []store.LoadResident, now time.Time) error {
	rows := make([][][]any, len(loadTables))
	for i := range chunk {
		r := &chunk[i]
		unreachable, gapOpen := r.Flags()
		rows[0] = append(rows[0], []any{r.ID, r.MunicipalityID, r.Ref, r.Name, string(r.Language), string(r.Status), string(r.Channel), now, now,
			unreachable, gapOpen})
		for _, c := range r.Contacts {
			rows[1] = append(rows[1], []any{c.ID, r.MunicipalityID, r.ID, string(c.Channel), c.Address, c.Consent, c.OptedOut, c.Failed, now, now})
		}
		for _, c := range r.Cards {
			st := r.StagesSent(c)
			rows[2] = append(rows[2], []any{c.ID, r.MunicipalityID, r.ID, string(c.Kind), dateArg(c.ExpiresOn), dateArg(c.RenewalAppliedOn), dateArg(c.NextNoticeOn), now, now,
				pgtype.Text{String: st, Valid: st != ""}, dateArg(c.ExpiresOn)})
		}
		for _, n := range r.Notices {
			rows[3] = append(rows[3], []any{n.ID, r.MunicipalityID, n.CardID, string(r.CardKind(n.CardID)), dateArg(n.ExpiresOn), string(n.Stage), dateArg(n.TickDate), now})
		}
	}
	for i, t := range loadTables {
		if len(rows[i]) == 0 {
			continue
		}
		if _, err := conn.CopyFrom(ctx, pgx.Identifier{t.name}, t.cols, pgx.CopyFromRows(rows[i])); err != nil {
			return fmt.Errorf("copy %s: %w", t.name, err)
		}
	}
	return nil
}

// Checkpoint implements store.Bench: CHECKPOINT.
func (s *Store) Checkpoint(ctx context.Context) (err error) {
	defer wrap(&err, "Checkpoint")
	_, err = s.pool.Exec(ctx, "CHECKPOINT")
	return err
}

// The reads of ScanHoldings, each ordered by resident.
const (
	scanCardsSQL = `SELECT c.resident_id, c.municipality_id, c.id, c.kind, c.expires_on, c.renewal_applied_on, r.status, r.channel
FROM cards c JOIN residents r ON r.id = c.resident_id ORDER BY c.resident_id`
	scanContactsSQL = `SELECT resident_id, channel, address, consent, opted_out, failed FROM contacts ORDER BY resident_id`
	scanNoticesSQL  = `SELECT c.resident_id, n.card_id, n.expires_on, n.stage
FROM notices n JOIN cards c ON c.id = n.card_id ORDER BY c.resident_id`
)

// ScanHoldings implements store.Bench, reading on three connections of
// the pool at once.
func (s *Store) ScanHoldings(ctx context.Context, fn func(h *store.TickHolding) error) (err error) {
	defer wrap(&err, "ScanHoldings")
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var rows [3]pgx.Rows
	for i, q := range []string{scanCardsSQL, scanContactsSQL, scanNoticesSQL} {
		if rows[i], err = s.pool.Query(ctx, q); err != nil {
			return err
		}
		defer rows[i].Close()
	}
	return store.MergeHoldings(rows[0], rows[1], rows[2], fn)
}

// UndoTick implements store.Bench, in one transaction; the messages' deliveries and links
// to notices go with them (ON DELETE CASCADE).
func (s *Store) UndoTick(ctx context.Context, day kigen.Date) (err error) {
	defer wrap(&err, "UndoTick(%s)", day)
	return s.execInTx(ctx, []string{
		"DELETE FROM messages WHERE tick_date = $1",
		"DELETE FROM notices WHERE tick_date = $1",
		"DELETE FROM ticks WHERE tick_date = $1",
	}, dateArg(day))
}

// UndoDeliveries implements store.Bench, in one transaction.
func (s *Store) UndoDeliveries(ctx context.Context, day kigen.Date) (err error) {
	defer wrap(&err, "UndoDeliveries(%s)", day)
	return s.execInTx(ctx, []string{
		"DELETE FROM deliveries WHERE message_id IN (SELECT id FROM messages WHERE tick_date = $1)",
		"UPDATE messages SET state = 'planned', token_hash = NULL WHERE tick_date = $1",
	}, dateArg(day))
}

// execInTx runs each statement with args, in one transaction.
func (s *Store) execInTx(ctx context.Context, stmts []string, args ...any) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, q := range stmts {
			if _, err := tx.Exec(ctx, q, args...); err != nil {
				return err
			}
		}
		return nil
	})
}

// CountMessages implements store.Bench.
func (s *Store) CountMessages(ctx context.Context, state kigen.MessageState) (n int, err error) {
	defer wrap(&err, "CountMessages(%s)", state)
	err = s.pool.QueryRow(ctx, "SELECT count(*) FROM messages WHERE state = $1", string(state)).Scan(&n)
	return n, err
}

// DatabaseVersion implements store.Bench: the server's version number.
func (s *Store) DatabaseVersion(ctx context.Context) (v string, err error) {
	defer wrap(&err, "DatabaseVersion")
	if err := s.pool.QueryRow(ctx, "SHOW server_version").Scan(&v); err != nil {
		return "", err
	}
	if f := strings.Fields(v); len(f) > 0 {
		v = f[0] // "15.18 (Debian 15.18-0+deb12u1)"
	}
	return v, nil
}
