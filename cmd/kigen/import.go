package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/schollz/progressbar/v3"

	"kigen"
	"kigen/desk"
)

// maxRowErrors is how many bad-row lines an import prints before "and K
// more".
const maxRowErrors = 100

func runImport(ctx context.Context, m *Main, args []string) error {
	fs := m.flagSet("import")
	code := fs.String("municipality", "", "municipality CODE (may be omitted when there is only one)")
	dryRun := fs.Bool("dry-run", false, "check everything and print the summary, writing nothing")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	ignore := fs.Bool("ignore-unknown-columns", false, "skip columns Kigen does not know (they are still checked for My Numbers)")
	region := fs.String("region", "JP", "default region of phone numbers without a country code")
	fallback := fs.String("fallback-language", "", "language L for rows whose language is blank or one Kigen does not write in (each a warning)")
	path, err := parseInterleaved(fs, args, "FILE.csv")
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return usageErrorf("import: %v", err)
	}
	defer f.Close()

	d, a, mu, err := m.adminDesk(ctx, *code, m.logger(), false)
	if err != nil {
		return err
	}
	var in io.Reader = f
	var bar *progressbar.ProgressBar
	if isTerminal(m.Stderr) {
		size := int64(-1)
		if st, err := f.Stat(); err == nil {
			size = st.Size()
		}
		bar = progressbar.DefaultBytes(size, "importing "+path)
		pr := progressbar.NewReader(f, bar)
		in = &pr
	}
	res, err := d.Import(ctx, a, desk.ImportParams{CSV: in, FileName: path, DryRun: *dryRun, IgnoreUnknownColumns: *ignore, Region: *region, FallbackLanguage: *fallback})
	if bar != nil {
		_ = bar.Finish()
		fmt.Fprintln(m.Stderr)
	}
	var refused *desk.RefusedError
	var ke *kigen.Error
	switch {
	case errors.As(err, &refused):
		printRowErrors(m.Stderr, "", refused.Rows, refused.Total)
		if *asJSON {
			_ = m.printJSON(struct {
				File string `json:"file"`
				*desk.RefusedError
			}{path, refused})
		}
		return &exitError{exitInvalid, fmt.Errorf("%s: %v", path, refused)}
	case errors.As(err, &ke) && ke.Field == "fallback_language":
		return usageErrorf("--fallback-language: %s", ke.Message)
	case kigen.ErrorCode(err) == kigen.EINVALID:
		return &exitError{exitInvalid, fmt.Errorf("%s: nothing was imported:\n%w", path, err)}
	case ctx.Err() != nil:
		return envError(errors.New("interrupted: nothing was imported"))
	case err != nil:
		return envError(fmt.Errorf("import %s: %w (nothing was imported)", path, err))
	}
	printRowErrors(m.Stderr, "warning: ", res.Warnings, res.WarningsTotal)
	sum := res.Summary
	if *asJSON {
		return m.printJSON(struct {
			File string `json:"file"`
			*desk.ImportResult
		}{path, res})
	}
	verb := "imported"
	if sum.DryRun {
		verb = "checked (dry run, nothing written)"
	}
	fmt.Fprintf(m.Stdout, "%s %s into %s %s: %d rows (%s)\n", verb, path, mu.Code, mu.Name, sum.Rows, res.Encoding)
	fmt.Fprintf(m.Stdout, "  residents: %d created, %d updated, %d unchanged\n", sum.Created, sum.Updated, sum.Unchanged)
	fmt.Fprintf(m.Stdout, "  renewals seen: %d; renewal gaps now open: %d\n", sum.Renewals, sum.GapsOpen)
	fmt.Fprintf(m.Stdout, "  stale cards (expired over 30 days, not messaged): %d\n", sum.Stale)
	fmt.Fprintf(m.Stdout, "  residents who cannot be reached (no consent or contact): %d\n", sum.NoContact)
	if sum.Skipped > 0 || sum.WarningsTotal > 0 {
		fmt.Fprintf(m.Stdout, "  blank rows skipped: %d; warnings: %d (on stderr)\n", sum.Skipped, sum.WarningsTotal)
	}
	return nil
}

// printRowErrors prints at most maxRowErrors lines of the total, then
// "and K more".
func printRowErrors(w io.Writer, prefix string, rows []desk.RowError, total int) {
	shown := rows[:min(len(rows), maxRowErrors)]
	for _, e := range shown {
		fmt.Fprintf(w, "%s%v\n", prefix, e)
	}
	if more := total - len(shown); more > 0 {
		fmt.Fprintf(w, "%sand %d more\n", prefix, more)
	}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
