package main

import (
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"kigen/store/postgres/postgrestest"
)

// benchBackends are the backends the benchmark smoke tests run on: the
// arguments that select each (PostgreSQL skips without
// KIGEN_TEST_POSTGRES_URL, as every PostgreSQL test does).
var benchBackends = []struct {
	name string
	args func(t *testing.T) []string
}{
	{name: "SQLite", args: func(*testing.T) []string { return nil }},
	{name: "PostgreSQL", args: func(t *testing.T) []string { return []string{"--postgres", postgrestest.URL(t)} }},
}

// mustBenchCount parses the number (with thousands separators) that re captures in
// out, failing the test if it is not there.
func mustBenchCount(t *testing.T, out string, re string) int {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no match for %q in:\n%s", re, out)
	}
	n, err := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
	if err != nil {
		t.Fatalf("%q: %v", m[1], err)
	}
	return n
}

// TestBench_Tick runs `kigen bench tick --serve` at a smoke size: the
// table prints, the due read, the full scan, the tick and kigen serve's
// tick agree on what is due, and the figures are reported.
func TestBench_Tick(t *testing.T) {
	t.Parallel()
	// kigen serve is this test binary run as kigen (TestMain, proc_test.go).
	orig := serveCommand
	serveCommand = func(env []string) (*exec.Cmd, error) { return orig(append(env, asKigenEnv+"=1")) }
	t.Cleanup(func() { serveCommand = orig })

	for _, b := range benchBackends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"bench", "tick", "--residents", "2000", "--municipalities", "3", "--serve"}, b.args(t)...)
			code, out, errOut := runKigen(t, map[string]string{"KIGEN_NOW": "2026-11-25"}, args...)
			if code != exitOK {
				t.Fatalf("code %d; stdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			if got := mustBenchCount(t, out, `seeded ([\d,]+) residents in 3 municipalities`); got != 2000 {
				t.Errorf("seeded %d residents, want 2000", got)
			}
			due := mustBenchCount(t, out, `\(a\) due read \+ rules.*→ ([\d,]+) notices`)
			all := mustBenchCount(t, out, `stream all cards \+ rules.* 2,000 residents → ([\d,]+) notices`)
			tick := mustBenchCount(t, out, `\(b\) whole plan \(Planner\.Tick\)\s+[\d.]+ s\s+([\d,]+) notices`)
			messages := mustBenchCount(t, out, `\(b\) whole plan.* ([\d,]+) messages`)
			jobs := mustBenchCount(t, out, `\(b\) whole plan.* ([\d,]+) jobs`)
			served := mustBenchCount(t, out, `tick [\d.]+ s in serve \(([\d,]+) notices`)
			servedMessages := mustBenchCount(t, out, `in serve \([\d,]+ notices, ([\d,]+) messages\)`)
			if due == 0 || due != all || due != tick || due != served {
				t.Errorf("notices due: due read %d, full scan %d, tick %d, serve %d; want the same, not 0", due, all, tick, served)
			}
			if messages == 0 || jobs != messages || servedMessages != messages {
				t.Errorf("messages %d, jobs %d, serve's messages %d; want the same, not 0", messages, jobs, servedMessages)
			}
			mustBenchCount(t, out, `due read / stream all\s+1/(\d+)`)
			if rss := mustBenchCount(t, out, `kigen serve: peak RSS\s+(\d+) MB`); rss <= 0 {
				t.Errorf("serve's peak RSS %d MB", rss)
			}
			for _, want := range []string{"CPUs", "target", "≤ 1/50", "< 3 s at 4 M on PostgreSQL", "< 200 MB during the 4 M tick"} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

// TestBench_Deliver runs `kigen bench deliver` at a smoke size: every
// message goes out each way, and each rate is reported against the no-op
// jobs.
func TestBench_Deliver(t *testing.T) {
	t.Parallel()
	for _, b := range benchBackends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"bench", "deliver", "--messages", "100"}, b.args(t)...)
			code, out, errOut := runKigen(t, map[string]string{"KIGEN_NOW": "2026-11-25"}, args...)
			if code != exitOK {
				t.Fatalf("code %d; stdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			if got := mustBenchCount(t, out, `([\d,]+) messages planned`); got != 100 {
				t.Errorf("planned %d messages, want 100", got)
			}
			for _, queue := range []string{"as kigen serve runs it", "unthrottled"} {
				for _, way := range []string{"River no-op jobs", "outbox", `SendGrid \+ Twilio senders \(loopback fakes\)`} {
					re := queue + `.*\s+` + way + `\s+100\s+[\d.]+ s\s+[\d.]+ s\s+(\d+)\s+\d+\.\d\d×`
					if rate := mustBenchCount(t, out, re); rate <= 0 {
						t.Errorf("%s, %s: %d messages/s", queue, way, rate)
					}
				}
			}
		})
	}
}

// TestBench_Usage checks the command line of bench.
func TestBench_Usage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "nothing to measure", args: []string{"bench"}, wantErr: "import, tick, deliver, console or ops"},
		{name: "unknown measure", args: []string{"bench", "frobnicate"}, wantErr: `unknown measure "frobnicate"`},
		{name: "no residents", args: []string{"bench", "tick", "--residents", "0"}, wantErr: "--residents ≥ 1"},
		{name: "more municipalities than residents", args: []string{"bench", "tick", "--residents", "2", "--municipalities", "3"}, wantErr: "--municipalities ≤ --residents"},
		{name: "no messages", args: []string{"bench", "deliver", "--messages", "0"}, wantErr: "--messages ≥ 1"},
		{name: "stray argument", args: []string{"bench", "deliver", "x"}, wantErr: `unexpected argument "x"`},
		{name: "no sessions", args: []string{"bench", "console", "--sessions", "0"}, wantErr: "--sessions ≥ 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, _, errOut := runKigen(t, nil, tt.args...)
			if code != exitUsage || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("code %d, stderr %q; want code %d and %q", code, errOut, exitUsage, tt.wantErr)
			}
		})
	}
}
