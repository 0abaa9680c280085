package storetesting

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"kigen"
	"kigen/store/sqlite"
)

// TestSQLite: each store is migrated (Kigen's tables and River's) and a
// file of its own.
func TestSQLite(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	for i := range 2 {
		s := SQLite(t)
		if n, err := s.MigrationsPending(ctx); err != nil || n != 0 {
			t.Fatalf("MigrationsPending = %d, %v; want 0, nil", n, err)
		}
		if err := s.CreateMunicipality(ctx, &kigen.Municipality{Code: "012033", Name: "小樽市"}); err != nil {
			t.Fatalf("store %d: %v", i, err) // the second would conflict with the first's
		}
		m, err := rivermigrate.New(riversqlite.New(s.DB()), nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		if err != nil || len(res.Versions) != 0 {
			t.Errorf("River's migrations again: %v applied, %v; want none", res, err)
		}
	}
}

// BenchmarkSQLite measures what SQLite costs a test: write the migrated
// file, open it, close it.
func BenchmarkSQLite(b *testing.B) {
	migrated, err := sqliteTemplate()
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	i := 0
	for b.Loop() {
		i++
		path := filepath.Join(dir, strconv.Itoa(i)+".db")
		if err := os.WriteFile(path, migrated, 0o600); err != nil {
			b.Fatal(err)
		}
		s, err := sqlite.Open(b.Context(), path)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSQLiteMigrate measures what a test's SQLite store cost before
// the copy (with the River migrations the scheduler's tests then ran):
// create a file, apply Kigen's migrations and River's, close it.
func BenchmarkSQLiteMigrate(b *testing.B) {
	dir := b.TempDir()
	i := 0
	for b.Loop() {
		i++
		if err := migrateSQLite(b.Context(), filepath.Join(dir, strconv.Itoa(i)+".db")); err != nil {
			b.Fatal(err)
		}
	}
}
