package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"kigen"
	"kigen/roster"
	"kigen/roster/importer"
	"kigen/roster/rostergen"
	"kigen/store"
	"kigen/store/postgres"
	"kigen/store/sqlite"
)

// runBench measures Kigen on this machine and prints figures: an import
// (bench import), the daily tick (bench tick) or delivery (bench deliver),
// each on a temporary database it drops at the end.
func runBench(ctx context.Context, m *Main, args []string) error {
	if len(args) == 0 {
		return usageErrorf("bench: say what to measure: import, tick or deliver")
	}
	switch args[0] {
	case "import":
		return benchImport(ctx, m, args[1:])
	case "tick":
		return benchTick(ctx, m, args[1:])
	case "deliver":
		return benchDeliver(ctx, m, args[1:])
	}
	return usageErrorf("bench: unknown measure %q (import, tick or deliver)", args[0])
}

// benchImport generates a resident list and measures its import, then a
// re-import of the same file.
func benchImport(ctx context.Context, m *Main, args []string) error {
	fs := flag.NewFlagSet("bench import", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	rows := fs.Int("rows", 100_000, "rows to generate and import")
	pgURL := fs.String("postgres", "", "import into a temporary schema of this PostgreSQL database instead of a temporary SQLite file")
	if err := fs.Parse(args); err != nil {
		return usageErrorf("%v", err)
	}
	today := m.Config.Today(time.Now)
	dir, err := os.MkdirTemp("", "kigen-bench-")
	if err != nil {
		return envError(err)
	}
	defer os.RemoveAll(dir)

	csvPath := filepath.Join(dir, "residents.csv")
	f, err := os.Create(csvPath)
	if err != nil {
		return envError(err)
	}
	if err := rostergen.Write(f, *rows, 1, today); err != nil {
		f.Close()
		return envError(err)
	}
	if err := f.Close(); err != nil {
		return envError(err)
	}

	backend := "sqlite"
	var s store.Store
	if *pgURL != "" {
		backend = "postgres"
		s, err = benchPostgres(ctx, *pgURL)
	} else {
		s, err = sqlite.Open(ctx, filepath.Join(dir, "kigen.db"))
	}
	if err != nil {
		return envError(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		return envError(err)
	}
	mu := &kigen.Municipality{Code: "012033", Name: "小樽市", NameLatin: "Otaru City"}
	if err := s.CreateMunicipality(ctx, mu); err != nil {
		return envError(err)
	}

	for _, pass := range []string{"import", "re-import (all unchanged)"} {
		runtime.GC()
		start := time.Now()
		in, err := os.Open(csvPath)
		if err != nil {
			return envError(err)
		}
		r, err := roster.NewReader(in, roster.Options{Today: today})
		if err != nil {
			in.Close()
			return envError(err)
		}
		sum, err := importer.Import(ctx, s, r, importer.Options{MunicipalityID: mu.ID, Today: today})
		in.Close()
		if err != nil {
			return envError(fmt.Errorf("%s: %w", pass, err))
		}
		elapsed := time.Since(start)
		fmt.Fprintf(m.Stdout, "%s of %d rows into %s: %.2f s, %.0f rows/s, peak RSS %s (created %d, unchanged %d)\n",
			pass, sum.Rows, backend, elapsed.Seconds(), float64(sum.Rows)/elapsed.Seconds(), peakRSS(), sum.Created, sum.Unchanged)
	}
	return nil
}

// droppingStore is a store in a schema of its own, dropped when the store
// is closed.
type droppingStore struct {
	*postgres.Store
	drop func()
}

func (d droppingStore) Close() error { err := d.Store.Close(); d.drop(); return err }

// benchPostgres opens a store in a fresh schema that is dropped when the
// store is closed.
func benchPostgres(ctx context.Context, url string) (store.Store, error) {
	schema, drop, err := createBenchSchema(ctx, url)
	if err != nil {
		return nil, err
	}
	s, err := postgres.Open(ctx, withSearchPath(url, schema))
	if err != nil {
		drop()
		return nil, err
	}
	return droppingStore{s, drop}, nil
}

// peakRSS returns the process's peak resident set size (VmHWM), or "n/a"
// where /proc is not available.
func peakRSS() string {
	kb, err := procStatusKB(os.Getpid(), "VmHWM")
	if err != nil {
		return "n/a"
	}
	return fmt.Sprintf("%d MB", kb/1024)
}
