package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"kigen/store"
)

func TestInterpretError(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "kigen.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	db := s.DB()
	now := formatTime(time.Now())
	if _, err := db.ExecContext(ctx,
		`INSERT INTO municipalities (id, code, name, created_at, updated_at) VALUES (1, '012033', 'x', ?, ?)`, now, now); err != nil {
		t.Fatal(err)
	}
	exec := func(query string, args ...any) error {
		_, err := db.ExecContext(ctx, query, args...)
		return err
	}
	for _, tt := range []struct {
		name string
		err  error
		want error // nil: returned unchanged
	}{
		{name: "Nil", err: nil},
		{name: "NoRows", err: db.QueryRowContext(ctx, `SELECT 1 FROM municipalities WHERE id = 2`).Scan(new(int)), want: store.ErrNotFound},
		{name: "Unique", err: exec(`INSERT INTO municipalities (code, name, created_at, updated_at) VALUES ('012033', 'y', ?, ?)`, now, now), want: store.ErrConflict},
		{name: "PrimaryKey", err: exec(`INSERT INTO kigen_migrations (version, name, applied_at) VALUES (1, 'again', ?)`, now), want: store.ErrConflict},
		{name: "ForeignKey", err: exec(`INSERT INTO residents (municipality_id, ref, language, status, created_at, updated_at) VALUES (2, 'r', 'en', 'permanent', ?, ?)`, now, now), want: store.ErrNotFound},
		{name: "NotNull", err: exec(`INSERT INTO municipalities (code, name, created_at, updated_at) VALUES ('131016', NULL, ?, ?)`, now, now)},
		{name: "StrictType", err: exec(`INSERT INTO kigen_migrations (version, name, applied_at) VALUES ('two', 'x', ?)`, now)},
		{name: "Other", err: exec(`SELECT * FROM no_such_table`)},
		{name: "Context", err: context.Canceled},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := interpretError(tt.err)
			switch {
			case tt.want != nil && !errors.Is(got, tt.want):
				t.Errorf("interpretError(%v) = %v, want %v", tt.err, got, tt.want)
			case tt.want == nil && !errors.Is(got, tt.err) && got != tt.err:
				t.Errorf("interpretError(%v) = %v, want it unchanged", tt.err, got)
			case tt.want == nil && (errors.Is(got, store.ErrNotFound) || errors.Is(got, store.ErrConflict)):
				t.Errorf("interpretError(%v) = %v, want no sentinel", tt.err, got)
			}
			if tt.want == store.ErrConflict && !errors.Is(got, tt.err) {
				t.Errorf("interpretError(%v) = %v dropped the driver error", tt.err, got)
			}
		})
	}
}

func TestFormatTime(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		in   time.Time
		want string
	}{
		{name: "UTC", in: time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC), want: "2027-01-02T03:04:05.000000000Z"},
		{name: "Nanos", in: time.Date(2027, 1, 2, 3, 4, 5, 120, time.UTC), want: "2027-01-02T03:04:05.000000120Z"},
		{name: "Tokyo", in: time.Date(2027, 1, 2, 9, 0, 0, 0, time.FixedZone("JST", 9*3600)), want: "2027-01-02T00:00:00.000000000Z"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := formatTime(tt.in)
			if got != tt.want {
				t.Errorf("formatTime = %q, want %q", got, tt.want)
			}
			var back time.Time
			if err := (timeScanner{&back}).Scan(got); err != nil {
				t.Fatal(err)
			}
			if !back.Equal(tt.in) || back.Location() != time.UTC {
				t.Errorf("scanned back %v, want %v in UTC", back, tt.in)
			}
		})
	}
}

func TestDSN(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, path, want string
	}{
		{name: "Relative", path: "kigen.db", want: "file:kigen.db?"},
		{name: "Absolute", path: "/var/lib/kigen/kigen.db", want: "file:///var/lib/kigen/kigen.db?"},
		{name: "DoubleSlash", path: "//srv/kigen.db", want: "file:////srv/kigen.db?"},
		{name: "Special", path: "/tmp/a?b#c%d e.db", want: "file:///tmp/a%3Fb%23c%25d%20e.db?"},
		{name: "Memory", path: ":memory:", want: "file::memory:?"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got, want := dsn(tt.path), tt.want+dsnParams; got != want {
				t.Errorf("dsn(%q) = %q, want %q", tt.path, got, want)
			}
		})
	}
}

// TestStore_InTxGoexit checks that a transaction whose fn never returns
// (t.FailNow calls runtime.Goexit) still gives the one connection back.
func TestStore_InTxGoexit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "kigen.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.inTx(ctx, func(q queries) error {
			if _, err := q.db.ExecContext(ctx, `DELETE FROM kigen_migrations`); err != nil {
				return err
			}
			runtime.Goexit()
			return nil
		})
	}()
	<-done
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if n, err := s.MigrationsPending(ctx); err != nil || n != 0 {
		t.Errorf("MigrationsPending after the goroutine exited = %d, %v; want 0, nil (rolled back)", n, err)
	}
}
