package postgres

import (
	"cmp"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.up.sql
var migrationFS embed.FS

// migration is one embedded schema change, migrations/NNN_name.up.sql.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in version order.
func migrations() ([]migration, error) {
	paths, err := fs.Glob(migrationFS, "migrations/*.up.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, p := range paths {
		base := strings.TrimSuffix(strings.TrimPrefix(p, "migrations/"), ".up.sql")
		num, name, ok := strings.Cut(base, "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil || version <= 0 {
			return nil, fmt.Errorf("migration %q: want NNN_name.up.sql", p)
		}
		b, err := migrationFS.ReadFile(p)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: version, name: name, sql: string(b)})
	}
	slices.SortFunc(out, func(a, b migration) int { return cmp.Compare(a.version, b.version) })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("migration version %d appears twice", out[i].version)
		}
	}
	return out, nil
}

// MigrationsDigest returns a SHA-256, in hex, of the embedded migrations
// (each one's version, name and SQL): it changes whenever they do. Tests
// key a database migrated once, then copied for each test, on it.
func MigrationsDigest() (string, error) {
	all, err := migrations()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, m := range all {
		fmt.Fprintf(h, "%d %s %d\n%s", m.version, m.name, len(m.sql), m.sql)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// migrationLockSQL serialises migrations across processes for the schema
// the connection's search_path selects (each test schema migrates on its
// own). The transaction-level lock is released at commit or rollback, so a
// crashed migrator never leaves it held.
const migrationLockSQL = `SELECT pg_advisory_xact_lock(hashtext('kigen_migrations'), hashtext(coalesce(current_schema(), '')))`

const createMigrationsTableSQL = `CREATE TABLE IF NOT EXISTS kigen_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL
)`

// Migrate applies the embedded migrations not yet applied, each in its own
// transaction holding an advisory lock, recording it in kigen_migrations.
// It is idempotent, and safe to run while another process runs it: the
// second waits for the lock, then finds the migration applied.
func (s *Store) Migrate(ctx context.Context) (err error) {
	defer wrap(&err, "Migrate")
	all, err := migrations()
	if err != nil {
		return err
	}
	for _, m := range all {
		if err := s.apply(ctx, m); err != nil {
			return fmt.Errorf("migration %03d_%s: %w", m.version, m.name, err)
		}
	}
	return nil
}

// apply applies m unless it is recorded as applied.
func (s *Store) apply(ctx context.Context, m migration) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, migrationLockSQL); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, createMigrationsTableSQL); err != nil {
			return err
		}
		var applied bool
		err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM kigen_migrations WHERE version = $1)`, m.version).
			Scan(&applied)
		if err != nil || applied {
			return err
		}
		// The simple protocol sends the file as one query, so it may hold
		// several statements.
		if _, err := tx.Exec(ctx, m.sql, pgx.QueryExecModeSimpleProtocol); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO kigen_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
			m.version, m.name, s.timestamp())
		return err
	})
}

// MigrationsPending returns how many embedded migrations are not applied
// yet; 0 means the schema is current.
func (s *Store) MigrationsPending(ctx context.Context) (n int, err error) {
	defer wrap(&err, "MigrationsPending")
	all, err := migrations()
	if err != nil {
		return 0, err
	}
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT to_regclass('kigen_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, err
	}
	if !exists {
		return len(all), nil
	}
	rows, _ := s.pool.Query(ctx, `SELECT version FROM kigen_migrations`)
	applied, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return 0, err
	}
	for _, m := range all {
		if !slices.Contains(applied, m.version) {
			n++
		}
	}
	return n, nil
}
