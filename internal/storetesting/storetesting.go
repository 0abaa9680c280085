// Package storetesting runs a test on each store backend: a fresh,
// migrated SQLite file and a fresh PostgreSQL database. It is for tests
// only.
package storetesting

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/riverqueue/river"

	"kigen/store"
	"kigen/store/postgres/postgrestest"
	"kigen/store/sqlite"
)

// Each runs f, in parallel, on a fresh SQLite store and on a fresh
// PostgreSQL store (skipped without KIGEN_TEST_POSTGRES_URL unless
// KIGEN_TEST_REQUIRE_POSTGRES=1, when it fails).
func Each(t *testing.T, f func(t *testing.T, s store.Store)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		f(t, SQLite(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		f(t, postgrestest.NewStore(t))
	})
}

// SQLite returns a fresh, migrated store (Kigen's tables and River's) in a
// file of the test's temporary folder, closed when the test ends. The file
// is a copy of one migrated once per process.
func SQLite(t testing.TB) *sqlite.Store {
	t.Helper()
	migrated, err := sqliteTemplate()
	if err != nil {
		t.Fatalf("storetesting: migrated SQLite file: %v", err)
	}
	path := filepath.Join(t.TempDir(), "kigen.db")
	if err := os.WriteFile(path, migrated, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// sqliteTemplate returns the content of a SQLite file with Kigen's
// migrations and River's applied, made once per process.
var sqliteTemplate = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "kigen-storetesting-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "kigen.db")
	if err := migrateSQLite(context.Background(), path); err != nil {
		return nil, err
	}
	return os.ReadFile(path)
})

// migrateSQLite creates the database file at path with Kigen's migrations
// and River's applied, and closes it: closing the last connection
// checkpoints the write-ahead log into the file and removes the log, so
// the file alone is the whole database.
func migrateSQLite(ctx context.Context, path string) error {
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		return err
	}
	err = s.Migrate(ctx)
	if err == nil {
		var c store.RiverClient
		if c, err = s.NewRiverClient(&river.Config{}); err == nil {
			err = c.Migrate(ctx)
		}
	}
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := os.Stat(path + "-wal"); !os.IsNotExist(err) {
		return fmt.Errorf("%s-wal is left after closing: the file alone would miss what it holds", path)
	}
	return nil
}
