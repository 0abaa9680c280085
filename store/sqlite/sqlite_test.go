package sqlite_test

import (
	"context"
	"testing"
	"time"

	"kigen"
	"kigen/internal/storetesting"
	"kigen/store"
	"kigen/store/sqlite"
	"kigen/store/storetest"
)

// newTestStore returns a fresh, migrated store on a file of its own
// (in-memory databases would not exercise WAL) whose timestamps come from
// now, closed at cleanup.
func newTestStore(t *testing.T, now func() time.Time) store.Store {
	s := mustOpen(t)
	s.Now = now
	return s
}

// mustOpen returns a migrated store in t.TempDir (a copy of a file
// migrated once: storetesting.SQLite), closed at cleanup.
func mustOpen(t testing.TB) *sqlite.Store {
	t.Helper()
	return storetesting.SQLite(t)
}

func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, newTestStore)
}

// TestOpen_Memory checks that ":memory:" opens a private in-memory
// database (the one connection keeps it alive), for tests of other
// packages.
func TestOpen_Memory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	m := &kigen.Municipality{Code: "012033", Name: "小樽市"}
	if err := s.CreateMunicipality(ctx, m); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetMunicipality(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	other, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if n, err := other.MigrationsPending(ctx); err != nil || n != migrationCount(t) {
		t.Errorf("a second :memory: store: MigrationsPending = %d, %v; want %d, nil (a database of its own)", n, err, migrationCount(t))
	}
}

// TestSentStages_Stored checks that a card carries the stages recorded for
// it (migration 005), which ListHoldings reads instead of the notices.
func TestSentStages_Stored(t *testing.T) {
	t.Parallel()
	s := mustOpen(t)
	storetest.StoredStages(t, s, func(cardID int64) (string, error) {
		var got string
		err := s.DB().QueryRowContext(context.Background(),
			`SELECT coalesce(sent_for, 'stale') || ' ' || coalesce(sent_stages, '-') FROM cards WHERE id = ?`, cardID).Scan(&got)
		return got, err
	})
}
