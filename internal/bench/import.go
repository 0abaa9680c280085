package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"kigen"
	"kigen/roster"
	"kigen/roster/importer"
	"kigen/roster/rostergen"
)

// ImportOptions are the settings of Import.
type ImportOptions struct {
	Rows        int    // rows to generate and import
	PostgresURL string // import into a temporary schema of this database instead of a SQLite file
}

// Import generates a resident list and measures its import, then a
// re-import of the same file.
func Import(ctx context.Context, env Env, opts ImportOptions) error {
	today := env.Today
	b, err := openDB(ctx, opts.PostgresURL, env.Logger)
	if err != nil {
		return err
	}
	defer b.Close()

	csvPath := filepath.Join(b.dir, "residents.csv")
	f, err := os.Create(csvPath)
	if err != nil {
		return err
	}
	if err := rostergen.Write(f, opts.Rows, 1, today); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	mu := &kigen.Municipality{Code: "012033", Name: "小樽市", Kind: kigen.KindCity, NameLatin: "Otaru"}
	if err := b.store.CreateMunicipality(ctx, mu); err != nil {
		return err
	}

	for _, pass := range []string{"import", "re-import (all unchanged)"} {
		runtime.GC()
		start := time.Now()
		in, err := os.Open(csvPath)
		if err != nil {
			return err
		}
		r, err := roster.NewReader(in, roster.Options{Today: today})
		if err != nil {
			in.Close()
			return err
		}
		sum, err := importer.Import(ctx, b.store, r, importer.Options{MunicipalityID: mu.ID, Today: today})
		in.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", pass, err)
		}
		elapsed := time.Since(start)
		fmt.Fprintf(env.Stdout, "%s of %d rows into %s: %.2f s, %.0f rows/s, peak RSS %s (created %d, unchanged %d)\n",
			pass, sum.Rows, b.backend, elapsed.Seconds(), float64(sum.Rows)/elapsed.Seconds(), peakRSS(), sum.Created, sum.Unchanged)
	}
	return nil
}
