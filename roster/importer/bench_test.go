package importer_test

import (
	"bytes"
	"runtime"
	"testing"
	"time"

	"kigen/roster"
	"kigen/roster/importer"
	"kigen/roster/rostergen"
	"kigen/store"
	"kigen/store/postgres/postgrestest"
	"kigen/store/sqlite"
	"kigen/store/storetest"
)

// BenchmarkImport imports 100,000 generated rows into a fresh store, once
// per backend, and reports rows/s and the peak heap.
//
//	go test -run XXX -bench Import -benchtime 1x ./roster/importer/
func BenchmarkImport(b *testing.B) {
	const rows = 100_000
	var csv bytes.Buffer
	if err := rostergen.Write(&csv, rows, 1, today); err != nil {
		b.Fatal(err)
	}
	for _, bk := range []struct {
		name string
		open func(b *testing.B) store.Store
	}{
		{"sqlite", func(b *testing.B) store.Store {
			s, err := sqlite.Open(b.Context(), b.TempDir()+"/kigen.db")
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			if err := s.Migrate(b.Context()); err != nil {
				b.Fatal(err)
			}
			return s
		}},
		{"postgres", func(b *testing.B) store.Store { return postgrestest.NewStore(b) }},
	} {
		b.Run(bk.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				s := bk.open(b)
				mu := storetest.MustCreateMunicipality(b, b.Context(), s, "012033")
				runtime.GC()
				b.StartTimer()
				start := time.Now()
				r, err := roster.NewReader(bytes.NewReader(csv.Bytes()), roster.Options{Today: today})
				if err != nil {
					b.Fatal(err)
				}
				peak := peakHeap()
				sum, err := importer.Import(b.Context(), s, r, importer.Options{MunicipalityID: mu.ID, Today: today,
					Progress: func(int) { peak.sample() }})
				if err != nil {
					b.Fatal(describe(err))
				}
				if sum.Created != rows {
					b.Fatalf("created %d, want %d", sum.Created, rows)
				}
				b.ReportMetric(float64(rows)/time.Since(start).Seconds(), "rows/s")
				b.ReportMetric(float64(peak.max)/(1<<20), "peak-heap-MiB")
			}
		})
	}
}

type heapPeak struct{ max uint64 }

func peakHeap() *heapPeak { p := &heapPeak{}; p.sample(); return p }

func (p *heapPeak) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	p.max = max(p.max, ms.HeapInuse)
}
