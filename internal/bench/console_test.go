package bench

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"regexp"
	"testing"
	"time"

	"kigen"
	"kigen/internal/config"
	"kigen/internal/engine"
	"kigen/scheduler"
	"kigen/store"
	"kigen/store/postgres/postgrestest"
)

// testEngine is Env.Engine as kigen bench wires it (cmd/kigen), sending
// to the outbox.
func testEngine(t *testing.T) EngineFunc {
	return func(ctx context.Context, s store.Store, now func() time.Time, to Senders, _ QueueTuning) (*scheduler.Planner, *scheduler.Queue, error) {
		cfg := config.Default()
		cfg.Outbox = to.Outbox
		e, err := engine.New(ctx, cfg, s, now, slog.New(slog.DiscardHandler), engine.Options{})
		if err != nil {
			return nil, nil, err
		}
		t.Cleanup(func() { _ = e.Close() })
		return e.Planner, e.Queue, nil
	}
}

// TestConsole runs the console benchmark at a smoke size on each backend:
// every page answers 200 to every session, and each prints its figures
// and a verdict.
func TestConsole(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"SQLite", func(*testing.T) string { return "" }},
		{"PostgreSQL", func(t *testing.T) string { return postgrestest.URL(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			env := Env{Stdout: &out, Stderr: io.Discard, Logger: slog.New(slog.DiscardHandler), Today: kigen.NewDate(2026, 12, 4),
				Engine: testEngine(t)}
			opts := ConsoleOptions{Residents: 1000, Municipalities: 3, PostgresURL: tc.url(t), Sessions: 4, Rate: 60, Duration: 2 * time.Second}
			if err := Console(t.Context(), env, opts); err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			for _, p := range consolePages {
				re := `(?m)^` + regexp.QuoteMeta(p) + `\s+[1-9]\d*\s+[\d.]+ ms\s+[\d.]+ ms\s+[\d.]+ ms\s+[\d.]+ ms\s+[\d.]+\s+(PASS|FAIL)$`
				if !regexp.MustCompile(re).MatchString(out.String()) {
					t.Errorf("output lacks the line of %q:\n%s", p, out.String())
				}
			}
			for _, re := range []string{`(?m)^all pages\s+\d+ .*(PASS|FAIL)$`, `4 staff of 900001, the largest municipality \(\d+ residents\), sign in`, `the day.s tick ran first: \d+ notices, \d+ messages planned`} {
				if !regexp.MustCompile(re).MatchString(out.String()) {
					t.Errorf("output lacks %s:\n%s", re, out.String())
				}
			}
		})
	}
}
