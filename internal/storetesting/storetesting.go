// Package storetesting runs a test on each store backend: a fresh,
// migrated SQLite file and a fresh PostgreSQL schema. It is for tests only.
package storetesting

import (
	"path/filepath"
	"testing"

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

// SQLite returns a fresh, migrated store in a file of the test's temporary
// folder, closed when the test ends.
func SQLite(t testing.TB) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "kigen.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s
}
