package sqlite

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"sync"
)

//go:embed migrations/*.up.sql
var migrationFiles embed.FS

// migration is one embedded migrations/NNN_name.up.sql.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations returns the embedded migrations in version order.
var loadMigrations = sync.OnceValues(func() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.up.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, path := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(path, "migrations/"), ".up.sql")
		num, name, ok := strings.Cut(base, "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil || version <= 0 {
			return nil, fmt.Errorf("migration file %s: want NNN_name.up.sql", path)
		}
		text, err := migrationFiles.ReadFile(path)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: version, name: name, sql: string(text)})
	}
	slices.SortFunc(ms, func(a, b migration) int { return cmp.Compare(a.version, b.version) })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("two migrations numbered %d", ms[i].version)
		}
	}
	return ms, nil
})

// MigrationsDigest returns a SHA-256, in hex, of the embedded migrations
// (each one's version, name and SQL): it changes whenever they do. Tests
// key a database file migrated once, then copied for each test, on it.
func MigrationsDigest() (string, error) {
	ms, err := loadMigrations()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, m := range ms {
		fmt.Fprintf(h, "%d %s %d\n%s", m.version, m.name, len(m.sql), m.sql)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

const createMigrationsTable = `
	CREATE TABLE IF NOT EXISTS kigen_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL
	) STRICT`

// Migrate applies the embedded migrations not yet applied, each in its own
// IMMEDIATE transaction together with its row in kigen_migrations. It is
// idempotent, and safe while another process migrates the same file: the
// write lock is taken before kigen_migrations is read, so the second
// process waits (busy_timeout), then finds the migration applied.
func (s *Store) Migrate(ctx context.Context) (err error) {
	defer wrap(&err, "Migrate")
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	// A dedicated connection, because the transaction is begun by hand:
	// BEGIN IMMEDIATE whatever _txlock the DB was opened with (New accepts
	// any *sql.DB).
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, m := range ms {
		if err := s.apply(ctx, conn, m); err != nil {
			return fmt.Errorf("migration %03d_%s: %w", m.version, m.name, err)
		}
	}
	return nil
}

// apply applies m on conn unless kigen_migrations says it is applied.
func (s *Store) apply(ctx context.Context, conn *sql.Conn, m migration) (err error) {
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	committed := false
	defer func() {
		if committed {
			return
		}
		// Not with ctx: it may be why we are here.
		if _, rbErr := conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); rbErr != nil {
			// The connection may still be in the transaction: have
			// database/sql throw it away rather than pool it.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			err = errors.Join(err, fmt.Errorf("rollback: %w", rbErr))
		}
	}()
	if _, err := conn.ExecContext(ctx, createMigrationsTable); err != nil {
		return err
	}
	var applied bool
	err = conn.QueryRowContext(ctx,
		`SELECT EXISTS (SELECT 1 FROM kigen_migrations WHERE version = ?)`, m.version).Scan(&applied)
	if err != nil {
		return err
	}
	if !applied {
		if _, err := conn.ExecContext(ctx, m.sql); err != nil {
			return err
		}
		_, err = conn.ExecContext(ctx,
			`INSERT INTO kigen_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			m.version, m.name, formatTime(s.now()))
		if err != nil {
			return err
		}
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return err
	}
	committed = true
	return nil
}

// MigrationsPending returns how many embedded migrations are not applied:
// 0 once Migrate has run. A readiness check can refuse traffic until then.
func (s *Store) MigrationsPending(ctx context.Context) (_ int, err error) {
	defer wrap(&err, "MigrationsPending")
	ms, err := loadMigrations()
	if err != nil {
		return 0, err
	}
	var exists bool
	err = s.db.QueryRowContext(ctx,
		`SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'kigen_migrations')`,
	).Scan(&exists)
	if err != nil {
		return 0, err
	}
	if !exists {
		return len(ms), nil
	}
	versions, err := queryAll(ctx, s.db, func(row rowScanner) (int, error) {
		var v int
		err := row.Scan(&v)
		return v, err
	}, `SELECT version FROM kigen_migrations`)
	if err != nil {
		return 0, err
	}
	pending := 0
	for _, m := range ms {
		if !slices.Contains(versions, m.version) {
			pending++
		}
	}
	return pending, nil
}
