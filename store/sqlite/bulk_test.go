package sqlite_test

import (
	"testing"

	"kigen/store"
	"kigen/store/storetest"
)

// BenchmarkUpsertBatch measures the plural upserts `kigen import` writes
// with, on a database file; see storetest.BenchmarkUpsertBatch. Run it with
// go test -run XXX -bench UpsertBatch -benchtime 1x.
func BenchmarkUpsertBatch(b *testing.B) {
	storetest.BenchmarkUpsertBatch(b, func(tb testing.TB) store.Store { return mustOpen(tb) })
}
