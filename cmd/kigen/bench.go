package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"kigen"
	"kigen/roster"
	"kigen/roster/importer"
	"kigen/roster/rostergen"
	"kigen/store"
	"kigen/store/postgres"
	"kigen/store/sqlite"
)

// runBench measures Kigen on this machine and prints figures.
func runBench(ctx context.Context, m *Main, args []string) error {
	if len(args) == 0 || args[0] != "import" {
		return usageErrorf("bench: only `kigen bench import` exists")
	}
	fs := flag.NewFlagSet("bench import", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	rows := fs.Int("rows", 100_000, "rows to generate and import")
	pgURL := fs.String("postgres", "", "import into a temporary schema of this PostgreSQL database instead of a temporary SQLite file")
	if err := fs.Parse(args[1:]); err != nil {
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

// benchPostgres opens a store in a fresh schema that is dropped when the
// store is closed.
type droppingStore struct {
	*postgres.Store
	drop func()
}

func (d droppingStore) Close() error { err := d.Store.Close(); d.drop(); return err }

func benchPostgres(ctx context.Context, url string) (store.Store, error) {
	b := make([]byte, 6)
	rand.Read(b)
	schema := "kigen_bench_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return nil, err
	}
	drop := func() {
		c, err := pgx.Connect(context.Background(), url)
		if err == nil {
			c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			c.Close(context.Background())
		}
	}
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	s, err := postgres.Open(ctx, url+sep+"search_path="+schema)
	if err != nil {
		drop()
		return nil, err
	}
	return droppingStore{s, drop}, nil
}

// peakRSS returns the process's peak resident set size (VmHWM), or "n/a"
// where /proc is not available.
func peakRSS() string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return "n/a"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			var kb int
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kb)
			return fmt.Sprintf("%d MB", kb/1024)
		}
	}
	return "n/a"
}
