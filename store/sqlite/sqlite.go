// Package sqlite is Kigen's embedded store: store.Store on one SQLite file
// through modernc.org/sqlite (pure Go, so Kigen builds with CGO_ENABLED=0).
// River's riversqlite driver shares the same *sql.DB (Store.NewRiverClient),
// so that a transaction can record notices and enqueue their delivery jobs
// at once.
//
// Dates are ISO text ('YYYY-MM-DD'), timestamps fixed-width RFC 3339 text in
// UTC with nanoseconds, booleans INTEGER 0/1. The SQL stays unexported; the
// schema is migrations/*.up.sql, applied by Migrate.
package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	sqlitedrv "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"kigen/store"
)

var (
	_ store.Store = (*Store)(nil)
	_ store.Tx    = (*storeTx)(nil)
)

// Store is a store.Store on a SQLite database. Create it with Open or New.
type Store struct {
	// Now returns the current time; created_at and updated_at are stamped
	// with it (in UTC). New sets it to time.Now; tests may set a fake clock.
	Now func() time.Time

	db   *sql.DB
	path string // the file Open opened; empty for New
	queries
}

// Open opens (creating it if needed) the SQLite database file at path and
// checks that it answers. It does not migrate: call Migrate.
//
// The connection settings are what River needs to share the database
// without SQLITE_BUSY errors, and what Kigen's data needs:
//   - journal_mode(WAL): readers never block the writer nor the writer
//     readers, and a commit is one append to the log;
//   - busy_timeout(60000): a second process (a kigen command while kigen
//     serve runs) waits up to a minute for the write lock instead of
//     failing at once. Every caller's context bounds the wait sooner (River
//     gives its calls deadlines of seconds, a request its own): the minute
//     is for serve's requests and ticks while a command writes for long
//     (Handover), and for a command behind another;
//   - synchronous(NORMAL): in WAL mode a commit survives a process crash;
//     only a power cut can lose the last commits, never corrupt the file;
//   - foreign_keys(1): SQLite ignores REFERENCES (and so ON DELETE CASCADE,
//     which erasing a resident relies on) unless each connection turns them on;
//   - _txlock=immediate: every transaction takes the write lock at BEGIN. A
//     deferred transaction that reads then writes cannot upgrade its lock if
//     another connection wrote in between, and fails with SQLITE_BUSY
//     however long busy_timeout is.
//   - cache_size(-32768): a page cache of up to 32 MiB instead of 2 MiB. An
//     import writes tens of MiB in one transaction; with a small cache
//     SQLite spills dirty pages to the log before the commit, the same index
//     pages again and again (UpsertCards' batches ran about 10% faster).
//
// The pool holds ONE connection: SQLite has one writer anyway, and with a
// single connection the writers queue inside database/sql (honouring each
// caller's context) instead of racing for the file lock. The price: while a
// transaction is open, any call not made through it waits for it.
//
// A new database file is created readable and writable by its owner only
// (0600), and so are the -wal and -shm files SQLite keeps beside it, which
// take the database file's permissions. An error names the path.
func Open(ctx context.Context, path string) (*Store, error) {
	if err := createFile(path); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s := New(db)
	s.path = path
	return s, nil
}

// createFile creates the database file at path, empty and with mode 0600,
// unless it exists: SQLite would create it with the process's umask
// (world-readable under the usual 022). An empty file is an empty
// database.
func createFile(path string) error {
	if path == "" || path == ":memory:" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		return f.Close()
	case errors.Is(err, fs.ErrExist):
		return nil
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("sqlite: cannot create the database file %s: the directory %s does not exist", path, filepath.Dir(path))
	}
	return fmt.Errorf("sqlite: cannot create the database file: %w", err)
}

// dsnParams are the connection settings Open explains.
const dsnParams = "_pragma=journal_mode(WAL)&_pragma=busy_timeout(60000)&_pragma=synchronous(NORMAL)" +
	"&_pragma=foreign_keys(1)&_txlock=immediate&_pragma=cache_size(-32768)"

// dsn returns the URI that opens path with dsnParams.
func dsn(path string) string {
	// The driver cuts the DSN at its first '?' and SQLite decodes %XX in the
	// path of a file: URI, so a '?', '#' or '%' in a file name must be
	// escaped. An absolute path gets an empty authority ("file:///…") so that
	// one starting with "//" is not read as a host name. ':' is left alone,
	// so ":memory:" still means an in-memory database.
	p := (&url.URL{Path: path}).EscapedPath()
	if strings.HasPrefix(p, "/") {
		return "file://" + p + "?" + dsnParams
	}
	return "file:" + p + "?" + dsnParams
}

// New returns a Store on db, an already open SQLite database. It should be
// opened as Open does (one connection, foreign keys on, immediate
// transactions): the store relies on ON DELETE CASCADE and on
// transactions that do not fail on lock upgrades.
func New(db *sql.DB) *Store {
	s := &Store{Now: time.Now, db: db}
	s.queries = queries{db: db, now: s.now, begin: s.inTx}
	return s
}

// DB returns the underlying database: for tests, which check what the
// store wrote (River's client is Store.NewRiverClient).
func (s *Store) DB() *sql.DB { return s.db }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// now returns s.Now() in UTC (and without a monotonic reading, so that a
// stamped time equals the one read back).
func (s *Store) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

// InTx runs fn in one transaction, committed if fn returns nil and rolled
// back if fn returns an error (returned as is) or panics (the panic goes
// on). fn runs once: SQLite transactions never need a retry here, since
// _txlock=immediate makes BEGIN wait for the write lock.
func (s *Store) InTx(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.withTx(ctx, func(tx *sql.Tx) error {
		return fn(&storeTx{queries: queries{db: tx, now: s.now, stmts: new(stmtCache)}, tx: tx})
	})
}

// inTx runs fn on the queries of a new transaction: how the Store makes its
// several-statement methods atomic.
func (s *Store) inTx(ctx context.Context, fn func(q queries) error) error {
	return s.withTx(ctx, func(tx *sql.Tx) error {
		return fn(queries{db: tx, now: s.now, stmts: new(stmtCache)})
	})
}

func (s *Store) withTx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	if store.IsLongWrite(ctx) {
		// Other processes' job queues stand aside first (Handover).
		if h, herr := s.Handover(); herr == nil {
			release, err := h.acquireWriter(ctx)
			if err != nil {
				return err
			}
			defer release()
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin transaction: %w", err)
	}
	done := false
	defer func() {
		// fn panicked, or called runtime.Goexit (t.FailNow in a test): roll
		// back, or the one connection would stay in the transaction and
		// every later call would wait for it forever.
		if !done {
			_ = tx.Rollback()
		}
	}()
	err = fn(tx)
	done = true
	if err != nil {
		// ErrTxDone: the context ended and database/sql rolled back already.
		if rbErr := tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("sqlite: rollback: %w", rbErr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return nil
}

// storeTx is a store.Tx: the queries run on the *sql.Tx.
type storeTx struct {
	queries
	tx *sql.Tx
}

// Driver returns the *sql.Tx, for River's InsertTx and InsertManyTx.
func (t *storeTx) Driver() any { return t.tx }

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// queries implements store.Queries on the Store (db is the *sql.DB, begin
// starts transactions, stmts is nil) and in a transaction (db is the
// *sql.Tx, begin is nil, stmts holds the transaction's prepared
// statements).
type queries struct {
	db    querier
	now   func() time.Time
	begin func(ctx context.Context, fn func(q queries) error) error
	stmts *stmtCache
}

// atomic runs fn in a transaction: a new one on the Store, the current one
// in a Tx.
func (q queries) atomic(ctx context.Context, fn func(q queries) error) error {
	if q.begin == nil {
		return fn(q)
	}
	return q.begin(ctx, fn)
}

// interpretError translates a driver error into the store's sentinels: no
// rows is store.ErrNotFound; a unique or primary key violation is
// store.ErrConflict; a foreign key violation (the parent row is missing) is
// store.ErrNotFound. Other errors are returned unchanged. SQLite's messages
// name constraints and columns, never values, so they are kept.
func interpretError(err error) error {
	var se *sqlitedrv.Error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return store.ErrNotFound
	case errors.As(err, &se):
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %w", store.ErrConflict, err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("%w: %w", store.ErrNotFound, err)
		}
	}
	return err
}

// wrap, deferred at the top of a method, interprets *errp and prefixes it
// with the operation. Operations name only opaque ids, never personal data.
func wrap(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = fmt.Errorf("sqlite: %s: %w", fmt.Sprintf(format, args...), interpretError(*errp))
	}
}

// mustAffect returns store.ErrNotFound when an UPDATE or DELETE touched no
// row.
func mustAffect(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// timeLayout is RFC 3339 in UTC with all nine digits of the fraction:
// fixed width, so that text order is time order.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// formatTime returns t as stored.
func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// timeScanner scans a stored timestamp into *t, in UTC.
type timeScanner struct{ t *time.Time }

// Scan implements sql.Scanner.
func (s timeScanner) Scan(src any) error {
	var text string
	switch v := src.(type) {
	case string:
		text = v
	case []byte:
		text = string(v)
	case time.Time:
		*s.t = v.UTC()
		return nil
	default:
		return fmt.Errorf("sqlite: cannot scan %T into a timestamp", src)
	}
	t, err := time.Parse(time.RFC3339Nano, text)
	if err != nil {
		return fmt.Errorf("sqlite: stored timestamp: %w", err)
	}
	*s.t = t.UTC()
	return nil
}

// nullID is id, or NULL for 0 (an optional reference).
func nullID(id int64) driver.Valuer { return sql.NullInt64{Int64: id, Valid: id != 0} }

// idList returns ids as a JSON array: the statements read lists of ids with
// json_each(?), one parameter however many ids (a list of ? would hit
// SQLite's limit on parameters, and change the SQL text with the count).
func idList(ids []int64) string {
	b := []byte{'['}
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, ']'))
}

// appendTuple appends the JSON array [ids...] to b, a JSON array being
// built (from "["), after a comma unless it is the first element.
func appendTuple(b []byte, ids ...int64) []byte {
	if len(b) > 1 {
		b = append(b, ',')
	}
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return append(b, ']')
}

// rowScanner is *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

// queryAll runs a query and scans every row with scan.
func queryAll[T any](ctx context.Context, db querier, scan func(rowScanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
