package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"kigen"
	"kigen/scheduler"
	"kigen/store/postgres/postgrestest"
	"kigen/store/sqlite"
)

func TestDemo(t *testing.T) {
	t.Parallel()
	out := mustRun(t, map[string]string{"KIGEN_NOW": "2026-11-25"}, "demo")
	scripts := map[string]*unicode.RangeTable{"Hangul": unicode.Hangul, "Thai": unicode.Thai,
		"Devanagari": unicode.Devanagari, "Han": unicode.Han, "Hiragana": unicode.Hiragana, "Latin": unicode.Latin}
	for name, table := range scripts {
		if !strings.ContainsFunc(out, func(r rune) bool { return unicode.Is(table, r) }) {
			t.Errorf("demo output has no %s text", name)
		}
	}
	for _, want := range []string{"renewal_gap", "special_period", "→ sms to D-004", "→ email to D-004", "Done: "} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if strings.Contains(out, "D-010") {
		t.Error("the resident without consent got a message")
	}
}

// outboxLines reads the outbox as "ref channel card:stage+card:stage".
func outboxLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	} else if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l struct {
			Ref     string `json:"resident_ref"`
			Channel string `json:"channel"`
			Notices []struct{ Card, Stage string }
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("outbox line %q: %v", sc.Text(), err)
		}
		var ns []string
		for _, n := range l.Notices {
			ns = append(ns, n.Card+":"+n.Stage)
		}
		out = append(out, l.Ref+" "+l.Channel+" "+strings.Join(ns, "+"))
	}
	return out
}

// TestTick_EndToEnd imports a list, ticks on a sequence of dates through
// the real command and checks exactly what went out, on both backends.
func TestTick_EndToEnd(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			env := map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(dir, "kigen.db"), "KIGEN_OUTBOX": filepath.Join(dir, "outbox.jsonl")}
			if backend == "postgres" {
				_, schema := postgrestest.NewSchemaPool(t)
				env["DATABASE_URL"] = postgrestest.URL(t) + "&search_path=" + schema
			}
			mustRun(t, env, "municipality", "add", "012033", "--name", "小樽市", "--name-latin", "Otaru City")
			list := writeFile(t, "r.csv", []byte("resident_ref,language,email,phone,residence_status,residence_card_expires_on,mynumber_card_expires_on,consent,channel\n"+
				"S-1,en,s1@example.jp,,定住者,2027-01-31,2027-01-31,yes,\n"+ // two cards, one day
				"S-2,ko,s2@example.jp,090-1234-5678,留学,2030-03-31,2027-01-31,yes,both\n"+ // gap, two channels
				"S-3,vi,s3@example.jp,,留学,2027-01-31,2027-01-31,no,\n")) // no consent
			env["KIGEN_NOW"] = "2026-11-25"
			mustRun(t, env, "import", list)

			out := mustRun(t, env, "tick", "--json")
			var sum scheduler.TickReport
			if err := json.Unmarshal([]byte(out), &sum); err != nil {
				t.Fatalf("tick --json: %v\n%s", err, out)
			}
			if sum.Notices != 4 || sum.Messages != 3 || sum.Sent["email"] != 2 || sum.Sent["sms"] != 1 {
				t.Errorf("first tick summary %+v: want 4 notices in 3 messages (2 email, 1 sms)", sum)
			}
			want := []string{
				"S-1 email mynumber_card:d90+residence_card:d90",
				"S-2 email mynumber_card:renewal_gap+mynumber_card:d90",
				"S-2 sms mynumber_card:renewal_gap+mynumber_card:d90",
			}
			got := outboxLines(t, env["KIGEN_OUTBOX"])
			if strings.Join(slices.Sorted(slices.Values(got)), "\n") != strings.Join(want, "\n") {
				t.Errorf("outbox after the first tick:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}

			// The same day again: nothing new. A week without ticks, then
			// one tick: one notice per card, the most urgent.
			mustRun(t, env, "tick")
			if n := len(outboxLines(t, env["KIGEN_OUTBOX"])); n != 3 {
				t.Errorf("a second tick the same day sent %d more messages", n-3)
			}
			out = mustRun(t, env, "tick", "--now", "2027-01-20")
			if !strings.Contains(out, "tick 2027-01-20: 3 notices for 2 residents in 3 messages") {
				t.Errorf("catch-up tick: %s", out)
			}
			got = outboxLines(t, env["KIGEN_OUTBOX"])[3:]
			for _, l := range got {
				if !strings.Contains(l, ":d14") || strings.Contains(l, ":d30") || strings.Contains(l, ":d60") {
					t.Errorf("catch-up sent %q; want only the most urgent stage (d14)", l)
				}
			}
		})
	}
}

// TestServe starts the real server on a free loopback port, checks the
// operator endpoints and shuts it down gracefully.
func TestServe(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	env := map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(dir, "kigen.db"), "KIGEN_OUTBOX": filepath.Join(dir, "outbox.jsonl"),
		"KIGEN_ADDR": addr, "KIGEN_NOW": "2026-11-25T10:00:00+09:00"}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	var stderr strings.Builder
	go func() {
		m := NewMain(io.Discard, &stderr, func(k string) string { return env[k] })
		code := m.Run(ctx, []string{"serve"})
		m.Close()
		done <- code
	}()
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if code, _ := get("/healthz"); code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not come up; stderr:\n%s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The 09:00 tick of the day was missed: serve catches it up at start,
	// and then the service is ready.
	var body string
	for code := 0; code != http.StatusOK; {
		if time.Now().After(deadline) {
			t.Fatalf("/readyz never ready: %s", body)
		}
		code, body = get("/readyz")
		time.Sleep(50 * time.Millisecond)
	}
	// The tick's gauge is set when the catch-up tick finishes, a moment
	// after /readyz saw it start.
	for {
		code, metrics := get("/metrics")
		if code == http.StatusOK && strings.Contains(metrics, "kigen_last_tick_timestamp_seconds") && strings.Contains(metrics, `kigen_jobs{state="available"}`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics never showed the tick: %d\n%.3000s", code, metrics)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, page := get("/m/not-a-real-token"); code != http.StatusNotFound || !strings.Contains(page, `lang="ja"`) {
		t.Errorf("/m/ with an unknown token: %d, want the friendly page in every language", code)
	}
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("serve exited %d after SIGTERM; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not shut down")
	}
}

// TestTick_TwoAtOnce starts two ticks on one PostgreSQL database at the
// same moment: each message goes out once, and neither fails.
func TestTick_TwoAtOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, schema := postgrestest.NewSchemaPool(t)
	env := map[string]string{"DATABASE_URL": postgrestest.URL(t) + "&search_path=" + schema,
		"KIGEN_OUTBOX": filepath.Join(dir, "outbox.jsonl"), "KIGEN_NOW": "2026-11-25"}
	mustRun(t, env, "municipality", "add", "012033", "--name", "小樽市")
	var b strings.Builder
	b.WriteString("resident_ref,language,email,residence_card_expires_on,mynumber_card_expires_on,consent\n")
	for i := range 300 {
		b.WriteString("T-" + strconv.Itoa(i) + ",en,t" + strconv.Itoa(i) + "@example.jp,2027-01-31,2027-01-31,yes\n")
	}
	mustRun(t, env, "import", writeFile(t, "r.csv", []byte(b.String())))
	mustRun(t, env, "migrate") // both ticks find the queue's tables ready

	errs := make(chan string, 2)
	for range 2 {
		go func() {
			code, out, errOut := runKigen(t, env, "tick")
			if code != exitOK {
				errs <- fmt.Sprintf("code %d: %s %s", code, out, errOut)
				return
			}
			errs <- ""
		}()
	}
	for range 2 {
		if e := <-errs; e != "" {
			t.Errorf("a concurrent tick failed: %s", e)
		}
	}
	lines := outboxLines(t, env["KIGEN_OUTBOX"])
	seen := map[string]bool{}
	for _, l := range lines {
		if seen[l] {
			t.Errorf("sent twice: %s", l)
		}
		seen[l] = true
	}
	if len(lines) != 300 {
		t.Errorf("%d messages went out, want 300 (one per resident)", len(lines))
	}
}

// summaryEnv returns a fresh SQLite store with one municipality and three
// residents due on 2026-12-04: one by email, one by SMS, one by both.
func summaryEnv(t *testing.T) map[string]string {
	t.Helper()
	env := newEnv(t)
	env["KIGEN_NOW"] = "2026-12-04"
	env["KIGEN_OUTBOX"] = filepath.Join(t.TempDir(), "outbox.jsonl")
	mustRun(t, env, "municipality", "add", "012033", "--name", "小樽市", "--name-latin", "Otaru City")
	mustRun(t, env, "import", writeFile(t, "r.csv", []byte("resident_ref,language,email,phone,residence_card_expires_on,consent,channel\n"+
		"A-1,en,a1@example.jp,,2027-01-31,yes,\nA-2,en,,090-1234-5678,2027-01-31,yes,sms\nA-3,vi,a3@example.jp,090-1234-5679,2027-01-31,yes,both\n")))
	return env
}

// tickJSON runs kigen tick --json and returns its exit code and report.
func tickJSON(t *testing.T, env map[string]string, args ...string) (int, scheduler.TickReport, string) {
	t.Helper()
	code, out, errOut := runKigen(t, env, append([]string{"tick", "--json"}, args...)...)
	var r scheduler.TickReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("tick --json: code %d, %v\n%s\n%s", code, err, out, errOut)
	}
	return code, r, errOut
}

// TestTick_Summary: the summary counts every message of the day, those
// waiting for the SMS window and those retrying (with the reason) too, on
// every tick of the day; and a tick that could deliver nothing because the
// outbox cannot be written exits 3 and says why.
func TestTick_Summary(t *testing.T) {
	t.Parallel()
	t.Run("SMS window", func(t *testing.T) {
		t.Parallel()
		env := summaryEnv(t)
		env["KIGEN_NOW"] = "2026-12-04T06:25:00+09:00"
		code, r, _ := tickJSON(t, env)
		want := map[string]map[string]int{scheduler.DaySent: {"email": 2}, scheduler.DayWaiting: {"sms": 2}}
		if code != exitOK || !dayIs(r, want) {
			t.Errorf("tick at 06:25: code %d, day %v; want 0 and %v", code, r.Day, want)
		}
		// A second tick the same morning plans nothing but still counts them.
		if code, r, _ = tickJSON(t, env); code != exitOK || r.Messages != 0 || !dayIs(r, want) {
			t.Errorf("second tick at 06:25: code %d, %d messages, day %v; want 0, none, and %v", code, r.Messages, r.Day, want)
		}
		out := mustRun(t, env, "tick")
		for _, line := range []string{"this run sent 0 email, 0 sms", "sent           2  email 2", "waiting        2  sms 2  (SMS go out 09:00–20:00 Asia/Tokyo)", "retrying       0"} {
			if !strings.Contains(out, line) {
				t.Errorf("summary lacks %q:\n%s", line, out)
			}
		}
		// At the counter, each notice says where its messages stand: the
		// SMS waits, it was not sent (issue 17, item 14).
		for ref, want := range map[string]string{"A-1": "email sent", "A-2": "sms waiting", "A-3": "email sent, sms waiting"} {
			out := mustRun(t, env, "resident", "show", ref)
			if !strings.Contains(out, "notices and their messages") || strings.Contains(out, "notices sent") || !regexp.MustCompile(`d60 +`+want+"\n").MatchString(out) {
				t.Errorf("resident show %s; want its notice with %q:\n%s", ref, want, out)
			}
		}
	})
	t.Run("outbox cannot be written", func(t *testing.T) {
		t.Parallel()
		if _, err := os.Stat("/dev/full"); err != nil {
			t.Skip("no /dev/full: ", err)
		}
		env := summaryEnv(t)
		env["KIGEN_OUTBOX"] = "/dev/full" // opens, but every write fails (ENOSPC)
		code, r, errOut := tickJSON(t, env)
		want := map[string]map[string]int{scheduler.DayRetrying: {"email": 2, "sms": 2}}
		if code != exitEnv || !dayIs(r, want) || r.Blocked == "" || !strings.Contains(errOut, "nothing could be delivered: the outbox file cannot be written") {
			t.Errorf("tick with an unwritable outbox: code %d, day %v, blocked %q, stderr %q; want %d, %v and why", code, r.Day, r.Blocked, errOut, exitEnv, want)
		}
		var n int
		for _, rs := range r.Reasons {
			n += rs.Messages
			if rs.Status != scheduler.DayRetrying || !strings.Contains(rs.Reason, "cannot append to the outbox file") {
				t.Errorf("reason %+v; want retrying, the outbox cannot be written", rs)
			}
		}
		if n != 4 {
			t.Errorf("reasons %+v cover %d messages, want 4", r.Reasons, n)
		}
		// The next tick tries nothing yet (the retries are a minute away)
		// and says the four still wait, and why.
		code, r, _ = tickJSON(t, env)
		if code != exitOK || !dayIs(r, want) || len(r.Reasons) == 0 {
			t.Errorf("next tick: code %d, day %v, reasons %v; want 0, %v, and why", code, r.Day, r.Reasons, want)
		}
	})
}

// dayIs reports whether the report's day holds exactly the non-zero counts
// of want (every status present).
func dayIs(r scheduler.TickReport, want map[string]map[string]int) bool {
	for _, st := range scheduler.DayStatuses {
		by, ok := r.Day[st]
		if !ok {
			return false
		}
		for ch, n := range by {
			if n != want[st][ch] {
				return false
			}
		}
		for ch, n := range want[st] {
			if by[ch] != n {
				return false
			}
		}
	}
	return true
}

// TestTick_TimeTravel: a tick two weeks ahead, --now given as 令和, says so
// on stderr and in its summary, and is recorded time-travelled with a
// start no later than the real clock.
func TestTick_TimeTravel(t *testing.T) {
	t.Parallel()
	env := summaryEnv(t)
	delete(env, "KIGEN_NOW")
	today := kigen.DateOf(time.Now())
	ahead := today.AddDays(14)
	reiwa := fmt.Sprintf("令和%d年%d月%d日", ahead.Year-2018, ahead.Month, ahead.Day)
	code, r, errOut := tickJSON(t, env, "--now", reiwa)
	if code != exitOK || !r.TimeTravel || r.Date != ahead.String() || r.Today != today.String() {
		t.Errorf("tick --now %s: code %d, %+v; want 0, time travel to %s from %s", reiwa, code, r, ahead, today)
	}
	if !strings.Contains(errOut, "TIME TRAVEL: tick "+ahead.String()) {
		t.Errorf("stderr does not say so: %q", errOut)
	}
	if out := mustRun(t, env, "tick", "--now", reiwa); !strings.HasPrefix(out, "TIME TRAVEL: this tick planned "+ahead.String()) {
		t.Errorf("the summary does not begin with the time travel:\n%s", out)
	}
	s, err := sqlite.Open(context.Background(), strings.TrimPrefix(env["DATABASE_URL"], "sqlite:"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	last, err := s.LastTick(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if now := time.Now(); !last.TimeTravel || last.StartedAt.After(now) || last.FinishedAt.After(now) {
		t.Errorf("last tick %+v; want time-travelled, started and finished no later than now (%v)", last, now)
	}
	// Today's own tick is not.
	if code, r, _ := tickJSON(t, env, "--now", time.Now().Format(time.RFC3339)); code != exitOK || r.TimeTravel {
		t.Errorf("today's tick: code %d, time travel %t; want 0, false", code, r.TimeTravel)
	}
}
