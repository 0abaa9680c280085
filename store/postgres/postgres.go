// Package postgres is Kigen's production store.Store, on PostgreSQL through
// pgx. Its schema is embedded (migrations/*.up.sql) and applied by Migrate,
// never by Open.
//
// Every method is one SQL statement, so each is atomic on its own whether
// called on the Store or in a Tx; InTx groups several. Statements that may
// meet a duplicate inside a caller's transaction (CreateNotice,
// CreateMunicipality) use ON CONFLICT DO NOTHING instead of failing, so
// they never abort that transaction.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"kigen"
	"kigen/store"
)

var (
	_ store.Store = (*Store)(nil)
	_ store.Tx    = (*Tx)(nil)
)

// Store is a store.Store on a PostgreSQL connection pool. It is safe for
// concurrent use.
type Store struct {
	queries

	// Now returns the current time; timestamps are stored from it, in UTC
	// and truncated to the microsecond PostgreSQL keeps. New sets it to
	// time.Now; tests replace it.
	Now func() time.Time

	pool *pgxpool.Pool
}

// DefaultMaxConns is the pool size Open uses unless url sets
// pool_max_conns: pgx's default (4, or one a core) is smaller than what
// one kigen serve uses at once — River's listener holds one connection,
// its producer and delivery workers take others, and the tick plans
// batches side by side.
const DefaultMaxConns = 8

// Open connects to the database at url (a PostgreSQL URL or DSN) and checks
// that it answers. It does not migrate: call Migrate. The pool has
// DefaultMaxConns connections (or one a core, if more) unless url sets
// pool_max_conns.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = max(cfg.MaxConns, DefaultMaxConns)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	return New(pool), nil
}

// New returns a Store on pool. Close closes the pool.
func New(pool *pgxpool.Pool) *Store {
	s := &Store{Now: time.Now, pool: pool}
	s.queries = queries{db: pool, now: s.timestamp}
	return s
}

// Pool returns the Store's connection pool: for tests, which check what the
// store wrote, and for sizing work to the pool (River's client is
// Store.NewRiverClient).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// timestamp returns the time to stamp rows with: UTC, microseconds, as
// PostgreSQL's timestamptz keeps it, so that what a Create method sets is
// what a Get returns.
func (s *Store) timestamp() time.Time {
	now := s.Now
	if now == nil {
		now = time.Now
	}
	return now().UTC().Truncate(time.Microsecond)
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// Close closes the connection pool, waiting for connections in use to be
// released.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// InTx runs fn in one transaction: committed if fn returns nil, rolled back
// if it returns an error or panics (the panic goes on). River jobs inserted
// through tx.Driver() share the transaction's fate.
func (s *Store) InTx(ctx context.Context, fn func(tx store.Tx) error) (err error) {
	ptx, err := s.pool.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	returned := false
	defer func() {
		if returned {
			return
		}
		// fn panicked (or called runtime.Goexit, as t.Fatal does): roll
		// back even if ctx is cancelled, so that the connection goes back
		// to the pool clean, and let the panic go on.
		p := recover()
		_ = ptx.Rollback(context.WithoutCancel(ctx))
		if p != nil {
			panic(p)
		}
	}()
	err = fn(&Tx{queries: queries{db: ptx, now: s.timestamp}, tx: ptx})
	returned = true
	if err != nil {
		if rerr := ptx.Rollback(context.WithoutCancel(ctx)); rerr != nil && !errors.Is(rerr, pgx.ErrTxClosed) {
			return errors.Join(err, fmt.Errorf("postgres: rollback: %w", rerr))
		}
		return err
	}
	if err := ptx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	return nil
}

// Tx is a store.Tx: the Queries of one PostgreSQL transaction.
type Tx struct {
	queries
	tx pgx.Tx
}

// Driver returns the pgx.Tx, so that River's InsertTx and InsertManyTx can
// join the transaction.
func (t *Tx) Driver() any { return t.tx }

// dbtx is what the queries need from a connection: satisfied by
// *pgxpool.Pool and pgx.Tx.
type dbtx interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// queries implements store.Queries on a pool or a transaction.
type queries struct {
	db  dbtx
	now func() time.Time
}

// interpretError translates a pgx error into the store's sentinels: no row
// is ErrNotFound, a unique violation ErrConflict, a foreign key violation
// (a row referring to one that does not exist) ErrNotFound. Other errors
// are returned unchanged.
func interpretError(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// pgErr.Error() holds the message and code, never the Detail that
		// would quote the row's values.
		switch pgErr.Code {
		case "23505": // unique_violation
			return fmt.Errorf("%w: %w", store.ErrConflict, err)
		case "23503": // foreign_key_violation
			return fmt.Errorf("%w: %w", store.ErrNotFound, err)
		}
	}
	return err
}

// wrap annotates a non-nil *errp with the operation, after interpreting it.
// Operations name only opaque identifiers, never personal data.
func wrap(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = fmt.Errorf("postgres: %s: %w", fmt.Sprintf(format, args...), interpretError(*errp))
	}
}

// dateArg returns d as a DATE parameter: NULL for the zero Date.
func dateArg(d kigen.Date) pgtype.Date {
	if d.IsZero() {
		return pgtype.Date{}
	}
	return pgtype.Date{Time: time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC), Valid: true}
}

// nullID returns id as a nullable bigint parameter: NULL for 0.
func nullID(id int64) pgtype.Int8 { return pgtype.Int8{Int64: id, Valid: id != 0} }

// distinct returns the distinct IDs of ids, never nil (a nil slice would be a
// NULL array).
func distinct(ids []int64) []int64 {
	out := make([]int64, 0, len(ids))
	seen := make(map[int64]bool, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// date scans a DATE column (NULL as the zero Date) into a kigen.Date
// through pgx's own date plan. Scanning into *kigen.Date directly would
// go through its database/sql Scanner: a time.Time boxed in an interface
// for every value, which cost a fifth of the tick's read.
type date struct{ d *kigen.Date }

func (s date) ScanDate(v pgtype.Date) error {
	switch {
	case !v.Valid:
		*s.d = kigen.Date{}
	case v.InfinityModifier != pgtype.Finite:
		return fmt.Errorf("cannot scan an infinite date into a kigen.Date")
	default:
		*s.d = kigen.Date{Year: v.Time.Year(), Month: v.Time.Month(), Day: v.Time.Day()}
	}
	return nil
}

// text scans a NOT NULL text column into one of kigen's string types
// (CardKind, Stage, Channel, …) from the driver's bytes: without the
// reflection pgx needs to convert to a named string type, and without
// allocating for a value of one of kigen's enumerations.
type text[T ~string] struct{ p *T }

func (s text[T]) ScanBytes(v []byte) error {
	if v == nil {
		return fmt.Errorf("cannot scan NULL into a %T", *s.p)
	}
	*s.p = T(store.Intern(v))
	return nil
}
