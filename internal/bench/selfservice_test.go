package bench

import (
	"bytes"
	"io"
	"log/slog"
	"regexp"
	"testing"

	"kigen"
	"kigen/store/postgres/postgrestest"
)

// TestSelfService runs `kigen bench selfservice` at a tiny size on both
// stores: sign-ups are completed (their SMS sent and their code taken)
// and the pages of seeded residents answer; the figures are printed.
func TestSelfService(t *testing.T) {
	for _, tc := range []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"SQLite", func(*testing.T) string { return "" }},
		{"PostgreSQL", func(t *testing.T) string { return postgrestest.URL(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			env := Env{Stdout: &out, Stderr: io.Discard, Logger: slog.New(slog.DiscardHandler), Today: kigen.NewDate(2026, 12, 4),
				Getenv: func(string) string { return "" }, Engine: testEngine(t)}
			err := Run(t.Context(), env, []string{"selfservice", "--residents", "300", "--municipalities", "3", "--clients", "4",
				"--rate", "10", "--duration", "2s", "--page-rate", "20", "--page-duration", "1s", "--samples", "5",
				"--postgres", tc.url(t)})
			if err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			for _, re := range []string{
				`(?m)^abuse limits raised for the benchmark: KIGEN_SIGNUP_PER_MUNICIPALITY=10000000`,
				`(?m)^started \d+, completed \(code taken, resident created\) [1-9]\d*, SMS sent [1-9]\d* in [\d.]+ s`,
				`(?m)^completed sign-ups: [\d.]+/s \(target ≥ \d+/s on \w+\): (PASS|FAIL)$`,
				`(?m)^final submit POST /r/\{code\}/signup +\d+ +[\d.]+ ms +[\d.]+ ms +[\d.]+ ms +[\d.]+ ms +(PASS|FAIL)`,
				`(?m)^code POST /r/\{code\}/code +[1-9]\d* +[\d.]+ ms`,
				`(?m)^resident's page /me/\{token\} +[1-9]\d* +[\d.]+ ms +[\d.]+ ms +[\d.]+ ms +[\d.]+ ms +(PASS|FAIL)$`,
				`(?m)^calendar feed /cal/\{token\}\.ics +[1-9]\d* +[\d.]+ ms`,
			} {
				if !regexp.MustCompile(re).MatchString(out.String()) {
					t.Errorf("output lacks %s:\n%s", re, out.String())
				}
			}
		})
	}
}
