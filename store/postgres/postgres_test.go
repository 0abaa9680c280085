package postgres_test

import (
	"testing"

	"kigen/store"
	"kigen/store/postgres/postgrestest"
	"kigen/store/storetest"
)

// TestStore runs the conformance suite, each case in a schema of its own.
func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return postgrestest.NewStore(t) })
}
