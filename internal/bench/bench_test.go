package bench

import (
	"bytes"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"regexp"
	"testing"

	"kigen"
	"kigen/store"
	"kigen/store/postgres/postgrestest"
)

// TestImport runs the import benchmark at a smoke size on each backend:
// both passes print their figures.
func TestImport(t *testing.T) {
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
			env := Env{Stdout: &out, Stderr: io.Discard, Logger: slog.New(slog.DiscardHandler), Today: kigen.NewDate(2026, 11, 25)}
			if err := Import(t.Context(), env, ImportOptions{Rows: 300, PostgresURL: tc.url(t)}); err != nil {
				t.Fatal(err)
			}
			for _, re := range []string{
				`(?m)^import of 300 rows into \w+: [\d.]+ s, \d+ rows/s, peak RSS \d+ MB \(created 300, unchanged 0\)$`,
				`(?m)^re-import \(all unchanged\) of 300 rows into \w+: [\d.]+ s, \d+ rows/s, peak RSS \d+ MB \(created 0, unchanged 300\)$`,
			} {
				if !regexp.MustCompile(re).MatchString(out.String()) {
					t.Errorf("output lacks %s:\n%s", re, out.String())
				}
			}
		})
	}
}

// TestTickPopulation: the generated residents are consistent (what
// BulkLoad needs) and the same from run to run.
func TestTickPopulation(t *testing.T) {
	t.Parallel()
	today := kigen.NewDate(2026, 11, 25)
	gen := func() []store.LoadResident {
		rng := mrand.New(mrand.NewPCG(1, 2))
		ids := &seedIDs{}
		g := tickPopulation(today, []int64{7, 8, 9}, 500)
		rs := make([]store.LoadResident, 500)
		for i := range rs {
			g(&rs[i], i, rng, ids)
		}
		return rs
	}
	rs := gen()
	cards := map[int64]int64{} // card → resident
	notices := 0
	for _, r := range rs {
		if r.MunicipalityID < 7 || r.MunicipalityID > 9 {
			t.Fatalf("resident %d in municipality %d", r.ID, r.MunicipalityID)
		}
		for _, c := range r.Cards {
			if c.ResidentID != r.ID {
				t.Errorf("card %d of resident %d says %d", c.ID, r.ID, c.ResidentID)
			}
			cards[c.ID] = r.ID
		}
		for _, c := range r.Contacts {
			if c.ResidentID != r.ID || c.ID == 0 {
				t.Errorf("contact %+v of resident %d", c, r.ID)
			}
		}
		for _, n := range r.Notices {
			if cards[n.CardID] != r.ID {
				t.Errorf("notice %d of resident %d is for card %d, not theirs", n.ID, r.ID, n.CardID)
			}
			notices++
		}
		next := kigen.NextDue(holder(&r), today)
		for _, c := range r.Cards {
			if c.NextNoticeOn != next[c.ID] {
				t.Errorf("card %d: NextNoticeOn %s, want %s", c.ID, c.NextNoticeOn, next[c.ID])
			}
		}
	}
	if notices == 0 || len(cards) < len(rs) {
		t.Errorf("%d cards and %d notices for %d residents", len(cards), notices, len(rs))
	}
	again := gen()
	for i := range rs {
		if rs[i].Ref != again[i].Ref || len(rs[i].Cards) != len(again[i].Cards) || len(rs[i].Notices) != len(again[i].Notices) {
			t.Fatalf("resident %d differs from one run to the next", i)
		}
	}
}

func TestMunicipalityBlocks(t *testing.T) {
	t.Parallel()
	starts := municipalityBlocks(1000, 4)
	if starts[0] != 0 {
		t.Errorf("first block starts at %d", starts[0])
	}
	for i := 1; i < len(starts); i++ {
		if starts[i] <= starts[i-1] || starts[i] >= 1000 {
			t.Errorf("blocks %v: not increasing within 1000", starts)
		}
		if i > 1 && starts[i]-starts[i-1] > starts[i-1]-starts[i-2] {
			t.Errorf("blocks %v: sizes do not fall", starts)
		}
	}
}

func TestThousands(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -48683: "-48,683"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestOps runs the ops benchmark at a tiny size on each backend: every
// query of the operators' page is timed and its figures printed.
func TestOps(t *testing.T) {
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
			env := Env{Stdout: &out, Stderr: io.Discard, Logger: slog.New(slog.DiscardHandler), Today: kigen.NewDate(2026, 11, 25)}
			if err := Ops(t.Context(), env, OpsOptions{Residents: 200, Municipalities: 3, PerDay: 20, Runs: 3, Backlog: 5, PostgresURL: tc.url(t)}); err != nil {
				t.Fatal(err)
			}
			for _, re := range []string{
				`(?m)^seeded 200 residents .*; loaded 7,\d\d\d messages and 7,\d\d\d deliveries \(a year, 20 a day\) in [\d.]+ s; 5 jobs waiting in the queue$`,
				`(?m)^funnel, 7 days and 24 hours \(CountFunnel\) +\d+ +[\d.]+ ms +[\d.]+ ms +[\d.]+ ms +(met|MISSED)$`,
				`(?m)^failures by error code \(CountFailures\) +[1-9]\d* `,
				`(?m)^queue depth \(QueueDepth\) +5 `,
				`(?m)^providers' last reports \(ListProviderReports\) +2 `,
				`(?m)^municipalities \(ListMunicipalities\) +3 `,
				`(?m)^all of the page's queries +[\d.]+ ms`,
			} {
				if !regexp.MustCompile(re).MatchString(out.String()) {
					t.Errorf("output lacks %s:\n%s", re, out.String())
				}
			}
		})
	}
}
