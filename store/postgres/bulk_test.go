package postgres_test

import (
	"testing"

	"kigen/store"
	"kigen/store/postgres/postgrestest"
	"kigen/store/storetest"
)

// BenchmarkUpsertBatch measures the plural upserts `kigen import` writes
// with; see storetest.BenchmarkUpsertBatch. Run it with
// go test -run XXX -bench UpsertBatch -benchtime 1x.
func BenchmarkUpsertBatch(b *testing.B) {
	storetest.BenchmarkUpsertBatch(b, func(tb testing.TB) store.Store { return postgrestest.NewStore(tb) })
}
