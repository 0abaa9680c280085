package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"kigen/store/sqlite"
)

func TestStore_Migrate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "kigen.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })

	pending := func(want int) {
		t.Helper()
		got, err := s.MigrationsPending(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("MigrationsPending = %d, want %d", got, want)
		}
	}
	schema := func() string {
		t.Helper()
		var out string
		err := s.DB().QueryRowContext(ctx,
			`SELECT group_concat(name || ':' || sql, char(10)) FROM (SELECT name, sql FROM sqlite_schema ORDER BY name)`,
		).Scan(&out)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	pending(migrationCount(t))
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	pending(0)
	before := schema()
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	pending(0)
	if after := schema(); after != before {
		t.Errorf("second Migrate changed the schema:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	var rows int
	if err := s.DB().QueryRowContext(ctx, `SELECT count(*) FROM kigen_migrations`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if want := migrationCount(t); rows != want {
		t.Errorf("kigen_migrations has %d rows, want %d", rows, want)
	}
}

// TestStore_MigrateConcurrent migrates one file from two Stores (as two
// processes would): BEGIN IMMEDIATE and busy_timeout make the second wait
// and then find the work done.
func TestStore_MigrateConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "kigen.db")
	var stores [2]*sqlite.Store
	for i := range stores {
		s, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	errs := make(chan error, len(stores))
	for _, s := range stores {
		go func() { errs <- s.Migrate(ctx) }()
	}
	for range stores {
		if err := <-errs; err != nil {
			t.Errorf("Migrate: %v", err)
		}
	}
	for _, s := range stores {
		if n, err := s.MigrationsPending(ctx); err != nil || n != 0 {
			t.Errorf("MigrationsPending = %d, %v; want 0, nil", n, err)
		}
	}
}

func TestOpen_PathEscaping(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		file string
	}{
		{name: "QuestionMark", file: "a?b.db"},
		{name: "Hash", file: "a#b.db"},
		{name: "Percent", file: "a%20b.db"},
		{name: "Space", file: "a b.db"},
		{name: "Japanese", file: "期限.db"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			s, err := sqlite.Open(ctx, filepath.Join(dir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(filepath.Join(dir, tt.file)); err != nil {
				t.Errorf("the database is not where asked: %v", err)
			}
			var mode string
			if err := s.DB().QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
				t.Fatal(err)
			}
			if mode != "wal" {
				t.Errorf("journal_mode = %q, want wal", mode)
			}
			var fk int
			if err := s.DB().QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk); err != nil {
				t.Fatal(err)
			}
			if fk != 1 {
				t.Errorf("foreign_keys = %d, want 1", fk)
			}
		})
	}
}

// migrationCount is the number of migration files shipped with the package.
func migrationCount(t testing.TB) int {
	t.Helper()
	files, err := filepath.Glob("migrations/*.up.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no migration files: %v", err)
	}
	return len(files)
}
