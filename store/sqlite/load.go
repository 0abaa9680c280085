package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"net/url"
	"strings"

	"kigen"
	"kigen/store"
)

var _ store.Bench = (*Store)(nil)

// BulkLoad implements store.Bench: one transaction of prepared inserts a
// chunk, with foreign keys off and synchronous off while it runs (a crash
// loses only a database that is being loaded). Both are back on when it
// returns, whatever happened.
func (s *Store) BulkLoad(ctx context.Context, chunks iter.Seq[[]store.LoadResident]) (err error) {
	defer wrap(&err, "BulkLoad")
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
	now := formatTime(s.now())
	for chunk := range chunks {
		if err := s.withTx(ctx, func(tx *sql.Tx) error { return loadChunk(ctx, tx, chunk, now) }); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// loadChunk inserts one chunk's rows in tx.
func loadChunk(ctx context.Context, tx *sql.Tx, chunk []store.LoadResident, now string) error {
	var stmts [4]*sql.Stmt
	for i, q := range []string{
		`INSERT INTO residents (id, municipality_id, ref, name, language, status, channel, created_at, updated_at, unreachable, gap_open) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		`INSERT INTO contacts (id, municipality_id, resident_id, channel, address, consent, opted_out, failed, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		`INSERT INTO cards (id, municipality_id, resident_id, kind, expires_on, renewal_applied_on, next_notice_on, created_at, updated_at, sent_stages, sent_for) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		`INSERT INTO notices (id, municipality_id, card_id, card_kind, expires_on, stage, tick_date, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
	} {
		st, err := tx.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		defer st.Close()
		stmts[i] = st
	}
	resSt, conSt, cardSt, noticeSt := stmts[0], stmts[1], stmts[2], stmts[3]
	for i := range chunk {
		r := &chunk[i]
		unreachable, gapOpen := r.Flags()
		if _, err := resSt.ExecContext(ctx, r.ID, r.MunicipalityID, r.Ref, r.Name, string(r.Language), string(r.Status), string(r.Channel), now, now,
			unreachable, gapOpen); err != nil {
			return fmt.Errorf("insert resident: %w", err)
		}
		for _, c := range r.Contacts {
			if _, err := conSt.ExecContext(ctx, c.ID, r.MunicipalityID, r.ID, string(c.Channel), c.Address, c.Consent, c.OptedOut, c.Failed, now, now); err != nil {
				return fmt.Errorf("insert contact: %w", err)
			}
		}
		for _, c := range r.Cards {
			st := r.StagesSent(c)
			if _, err := cardSt.ExecContext(ctx, c.ID, r.MunicipalityID, r.ID, string(c.Kind), c.ExpiresOn, c.RenewalAppliedOn, c.NextNoticeOn, now, now,
				sql.NullString{String: st, Valid: st != ""}, c.ExpiresOn); err != nil {
				return fmt.Errorf("insert card: %w", err)
			}
		}
		for _, n := range r.Notices {
			if _, err := noticeSt.ExecContext(ctx, n.ID, r.MunicipalityID, n.CardID, string(r.CardKind(n.CardID)), n.ExpiresOn, string(n.Stage), n.TickDate, now); err != nil {
				return fmt.Errorf("insert notice: %w", err)
			}
		}
	}
	return nil
}

// Checkpoint implements store.Bench: wal_checkpoint(TRUNCATE).
func (s *Store) Checkpoint(ctx context.Context) (err error) {
	defer wrap(&err, "Checkpoint")
	_, err = s.db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
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

// ScanHoldings implements store.Bench. The Store has one connection: the
// three reads go side by side on connections of their own, read-only, to
// the database's file (an in-memory database cannot be scanned).
func (s *Store) ScanHoldings(ctx context.Context, fn func(h *store.TickHolding) error) (err error) {
	defer wrap(&err, "ScanHoldings")
	var path string
	if err := s.db.QueryRowContext(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&path); err != nil {
		return err
	}
	if path == "" {
		return errors.New("an in-memory database has no file to read on other connections")
	}
	ro, err := sql.Open("sqlite", "file://"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return err
	}
	defer ro.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var rows [3]*sql.Rows
	for i, q := range []string{scanCardsSQL, scanContactsSQL, scanNoticesSQL} {
		if rows[i], err = ro.QueryContext(ctx, q); err != nil {
			return err
		}
		defer rows[i].Close()
	}
	return store.MergeHoldings(rows[0], rows[1], rows[2], fn)
}

// UndoTick implements store.Bench, in one transaction; the messages'
// deliveries and links to notices go with them (ON DELETE CASCADE).
func (s *Store) UndoTick(ctx context.Context, day kigen.Date) (err error) {
	defer wrap(&err, "UndoTick(%s)", day)
	return s.execInTx(ctx, []string{
		"DELETE FROM messages WHERE tick_date = ?",
		"DELETE FROM notices WHERE tick_date = ?",
		"DELETE FROM ticks WHERE tick_date = ?",
	}, day)
}

// UndoDeliveries implements store.Bench, in one transaction.
func (s *Store) UndoDeliveries(ctx context.Context, day kigen.Date) (err error) {
	defer wrap(&err, "UndoDeliveries(%s)", day)
	return s.execInTx(ctx, []string{
		"DELETE FROM deliveries WHERE message_id IN (SELECT id FROM messages WHERE tick_date = ?)",
		"UPDATE messages SET state = 'planned', token_hash = NULL WHERE tick_date = ?",
	}, day)
}

// execInTx runs each statement with args, in one transaction.
func (s *Store) execInTx(ctx context.Context, stmts []string, args ...any) error {
	return s.withTx(ctx, func(tx *sql.Tx) error {
		for _, q := range stmts {
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return err
			}
		}
		return nil
	})
}

// CountMessages implements store.Bench.
func (s *Store) CountMessages(ctx context.Context, state kigen.MessageState) (n int, err error) {
	defer wrap(&err, "CountMessages(%s)", state)
	err = s.db.QueryRowContext(ctx, "SELECT count(*) FROM messages WHERE state = ?", string(state)).Scan(&n)
	return n, err
}

// DatabaseVersion implements store.Bench: the SQLite library's version.
func (s *Store) DatabaseVersion(ctx context.Context) (v string, err error) {
	defer wrap(&err, "DatabaseVersion")
	err = s.db.QueryRowContext(ctx, "SELECT sqlite_version()").Scan(&v)
	return strings.TrimSpace(v), err
}
