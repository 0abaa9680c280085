package storetest

import (
	"testing"

	"kigen/store"
)

// testMigrationsPending: a migrated store has no migration pending, and
// migrating again changes nothing.
func testMigrationsPending(t *testing.T, s store.Store) {
	ctx := t.Context()
	for _, step := range []string{"fresh", "after Migrate again"} {
		n, err := s.MigrationsPending(ctx)
		must(t, err, "MigrationsPending")
		if n != 0 {
			t.Errorf("%s: %d migrations pending, want 0", step, n)
		}
		must(t, s.Migrate(ctx), "Migrate")
	}
}
