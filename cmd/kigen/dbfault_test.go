package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kigen/notify/sendgrid"
	"kigen/notify/sendgrid/sendgridtest"
	"kigen/notify/twilio/twiliotest"
	"kigen/store/postgres/postgrestest"
)

// The database-restart scenario.
const (
	// dbfResidents each have two cards due today, and every fifth also an
	// SMS contact: more than a tick batch (scheduler.DefaultBatchSize), so
	// that deliveries start while the tick still plans.
	dbfResidents = 1500
	dbfWorkers   = 10 // River's MaxWorkers default: at most this many sends in flight

	dbfOutage = 10 * time.Second // how long PostgreSQL stays down

	// dbfProviderTimeout and dbfRescueAfter give a deliver job 22.5 s
	// (engine.JobTimeout): time for the sends held at the stop to record
	// their outcome once the database is back.
	dbfProviderTimeout = "5s"
	dbfRescueAfter     = "40s"
)

// TestDatabaseRestart stops PostgreSQL under `kigen serve` as the first
// messages of the day go out — the tick still planning its second batch,
// every worker's send held by the providers — and starts it again ten
// seconds later. The providers accept the held sends once the database is
// gone, so that the sends are in flight at the stop every time, not by
// luck. The cluster is the test's own (initdb into a temporary folder, its
// own port), so that no other test is disturbed.
//
// It proves that the service reports not-ready (/readyz 503, /healthz still
// 200) while the database is gone, becomes ready again by itself when the
// database returns, and loses nothing: every due card got its notice, every
// message went out exactly once, the sends the providers accepted during
// the outage are recorded sent with the providers' ids (their outcome
// writes wait for the database, within the job's time) rather than
// unknown, and the providers' reports, posted to the restarted service's
// webhooks, settle every message as delivered.
func TestDatabaseRestart(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("30 s of a PostgreSQL cluster of its own, stopped for 10 s under kigen serve: not with -short")
	}
	pg := dbfStartCluster(t)
	ctx := t.Context()

	// The providers hold every send until release is closed, after the
	// database has stopped: those sends are in flight at the stop.
	sg := sendgridtest.NewServer()
	t.Cleanup(sg.Close)
	tw := twiliotest.NewServer()
	t.Cleanup(tw.Close)
	release := make(chan struct{})
	var releaseOnce sync.Once
	t.Cleanup(func() { releaseOnce.Do(func() { close(release) }) })
	hold := func() sendgridtest.Failure { return sendgridtest.Failure{Until: release} }
	sg.FailRandomly(hold)
	tw.FailRandomly(hold)

	addr := dbfFreeAddr(t)
	dir := t.TempDir()
	env := map[string]string{
		"DATABASE_URL":                      pg.url,
		"KIGEN_ADDR":                        addr,
		"KIGEN_PUBLIC_URL":                  "http://" + addr,
		"KIGEN_NOW":                         "2026-11-25T09:30:00+09:00", // the 09:00 tick is due at start
		"KIGEN_OUTBOX":                      filepath.Join(dir, "outbox.jsonl"),
		"KIGEN_RATE_EMAIL":                  "500",
		"KIGEN_RATE_SMS":                    "100",
		"KIGEN_PROVIDER_TIMEOUT":            dbfProviderTimeout,
		"KIGEN_RESCUE_AFTER":                dbfRescueAfter,
		"KIGEN_TICK_STALE_AFTER":            "5s",
		"KIGEN_RETRY_DELAYS":                "1s,1s,1s,1s,1s,1s,1s,1s,1s,1s",
		"SENDGRID_API_KEY":                  sg.APIKey,
		"SENDGRID_WEBHOOK_VERIFICATION_KEY": sg.PublicKeyBase64(),
		"KIGEN_SENDGRID_BASE_URL":           sg.URL,
		"KIGEN_EMAIL_FROM":                  "Kigen <noreply@kigen.example>",
		"TWILIO_ACCOUNT_SID":                tw.AccountSID,
		"TWILIO_AUTH_TOKEN":                 tw.AuthToken,
		"TWILIO_FROM":                       "+15005550006",
		"KIGEN_TWILIO_BASE_URL":             tw.URL,
	}

	// The residents, every card due today.
	mustRun(t, env, "municipality", "add", "012033", "--name", "小樽市")
	var csv strings.Builder
	csv.WriteString("resident_ref,language,email,phone,residence_card_expires_on,mynumber_card_expires_on,consent,channel\n")
	wantSMS := 0
	for i := range dbfResidents {
		phone, channel := "", ""
		if i%5 == 0 {
			phone, channel = fmt.Sprintf("0901234%04d", i), "both"
			wantSMS++
		}
		fmt.Fprintf(&csv, "DB-%04d,en,db%d@example.jp,%s,2027-01-31,2027-01-31,yes,%s\n", i, i, phone, channel)
	}
	mustRun(t, env, "import", writeFile(t, "residents.csv", []byte(csv.String())))
	wantMessages := dbfResidents + wantSMS

	// kigen serve, in process.
	serveCtx, stopServe := context.WithCancel(context.Background())
	logs := &dbfLog{}
	served := make(chan int, 1)
	go func() {
		m := NewMain(io.Discard, logs, func(k string) string { return env[k] })
		code := m.Run(serveCtx, []string{"serve"})
		m.Close()
		served <- code
	}()
	t.Cleanup(func() {
		stopServe()
		select {
		case <-served:
		case <-time.After(40 * time.Second):
			t.Error("serve did not stop")
		}
	})
	failf := func(format string, args ...any) {
		t.Helper()
		t.Fatalf(format+"\nserve's log (end):\n%s", append(args, logs.tail(6000))...)
	}
	// Generous: a batch of 100 provider reports is applied one transaction
	// a report, which took up to 2 s on this 2-core machine while the
	// whole suite ran beside it.
	client := &http.Client{Timeout: 30 * time.Second}
	get := func(path string) int {
		resp, err := client.Get("http://" + addr + path)
		if err != nil {
			return 0
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	within := func(d time.Duration, what string, cond func() bool) time.Duration {
		t.Helper()
		start := time.Now()
		for !cond() {
			if time.Since(start) > d {
				failf("%s: not within %s", what, d)
			}
			time.Sleep(50 * time.Millisecond)
		}
		return time.Since(start)
	}
	sends := func() int { return len(sg.Requests()) + len(tw.Requests()) }

	within(20*time.Second, "serve ready", func() bool { return get("/readyz") == http.StatusOK })

	// As the first sends arrive (the tick's first batch committed, its
	// second being planned) and are held, the database goes away: once
	// every worker's send is held, or two seconds after the first (well
	// within the provider timeout).
	probe, err := pgx.Connect(ctx, pg.url)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); sends() == 0; time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			failf("no send within 20 s")
		}
	}
	for first := time.Now(); sends() < dbfWorkers && time.Since(first) < 2*time.Second; {
		time.Sleep(2 * time.Millisecond)
	}
	var planning bool
	if err := probe.QueryRow(ctx, `SELECT count(*) > 0 FROM ticks WHERE finished_at IS NULL`).Scan(&planning); err != nil {
		t.Fatal(err)
	}
	dbfMetrics(t, client, addr, "kigen_database_up 1", `kigen_jobs{state="running"} `) // as Prometheus scrapes
	pg.stop(t)
	probe.Close(context.Background())
	down := time.Now()
	logAtStop := logs.len()
	// The providers accept the held sends, with the database gone.
	held := map[int64]string{} // message id → the provider's id
	for _, r := range sg.Requests() {
		held[sgMessageID(r)] = r.MessageID
	}
	for _, r := range tw.Requests() {
		held[twMessageID(t, r)] = r.SID
	}
	releaseOnce.Do(func() { close(release) })
	// Mid-tick is likely, not certain (the second batch plans in a
	// fraction of a second); mid-delivery is certain.
	t.Logf("PostgreSQL stopped with %d of %d sends held by the providers; the tick was still planning: %t", len(held), wantMessages, planning)
	if len(held) == 0 || len(held) >= wantMessages {
		failf("%d sends in flight at the stop, want some and not all: nothing was tested", len(held))
	}
	notReady := within(5*time.Second, "/readyz 503 with the database down", func() bool { return get("/readyz") == http.StatusServiceUnavailable })
	t.Logf("/readyz answered 503 %s after the stop", notReady.Round(time.Millisecond))
	// Down longer than River's completer retries (1 s, 2 s, 4 s), shorter
	// than a deliver job's time: the held sends' outcome writes retry until
	// the database is back.
	// /metrics says the database is down and keeps kigen_jobs as last read.
	for time.Since(down) < dbfOutage {
		if code := get("/healthz"); code != http.StatusOK {
			failf("/healthz answered %d with the database down, want 200: the process itself is alive", code)
		}
		if code := get("/readyz"); code != http.StatusServiceUnavailable {
			failf("/readyz answered %d with the database down, want 503", code)
		}
		time.Sleep(200 * time.Millisecond)
	}
	dbfMetrics(t, client, addr, "kigen_database_up 0", `kigen_jobs{state="running"} `, `kigen_jobs{state="completed"} `)
	outageLog := logs.since(logAtStop)

	// The database returns; the service recovers by itself.
	pg.start(t)
	up := time.Now()
	ready := within(30*time.Second, "/readyz 200 after the database returned", func() bool { return get("/readyz") == http.StatusOK })
	t.Logf("/readyz answered 200 %s after the restart", ready.Round(time.Millisecond))
	dbfMetrics(t, client, addr, "kigen_database_up 1", `kigen_jobs{state="running"} `)

	// While it was down, a failure that repeated was logged once (the
	// count of its repeats comes at the end of the interval,
	// engine.LogRepeatsEvery, longer than the outage).
	errorsByKind := map[string]int{}
	lines := 0
	for l := range strings.Lines(outageLog) {
		lines++
		var rec map[string]any
		if json.Unmarshal([]byte(l), &rec) != nil || rec["level"] != "ERROR" {
			continue
		}
		// The same failure, whatever its time and River's count of retries.
		delete(rec, "time")
		delete(rec, "attempt")
		delete(rec, "sleep_duration")
		kind, _ := json.Marshal(rec)
		errorsByKind[string(kind)]++
	}
	total := 0
	for kind, n := range errorsByKind {
		total += n
		if n > 1 {
			t.Errorf("logged %d times during the %s outage, want once: %s", n, dbfOutage, kind)
		}
	}
	t.Logf("during the outage: %d log lines, %d of them ERROR (%d kinds)", lines, total, len(errorsByKind))

	db, err := pgxpool.New(ctx, pg.url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	count := func(query string) int {
		t.Helper()
		var n int
		if err := db.QueryRow(ctx, query).Scan(&n); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return n
	}
	// An interrupted tick is resumed by the tick watch (StaleAfter after
	// the database returns); its River job retries later still (a minute),
	// and then plans nothing: only the deliveries are waited for. A deliver
	// job whose end River could not record stays running until the rescuer
	// takes it (KIGEN_RESCUE_AFTER, then River's 30-second round).
	settled := within(90*time.Second, "the day planned and every message settled", func() bool {
		return count(`SELECT count(*) FROM ticks WHERE tick_date = '2026-11-25' AND finished_at IS NOT NULL`) > 0 &&
			count(`SELECT count(*) FROM messages`) == wantMessages &&
			count(`SELECT count(*) FROM messages WHERE state = 'planned'`) == 0 &&
			count(`SELECT count(*) FROM river_job WHERE kind = 'deliver' AND state NOT IN ('completed', 'cancelled', 'discarded')`) == 0
	})
	t.Logf("all settled %s after the restart", settled.Round(time.Millisecond))

	// Nothing lost: the day's tick finished, every card has its notice, on
	// every channel the resident has.
	if n := count(`SELECT count(*) FROM ticks WHERE tick_date = '2026-11-25' AND finished_at IS NOT NULL`); n == 0 {
		t.Error("the day's tick never finished")
	}
	if n := count(`SELECT count(*) FROM cards`); n != 2*dbfResidents {
		t.Errorf("%d cards, want %d", n, 2*dbfResidents)
	}
	if n := count(`SELECT count(*) FROM cards c JOIN contacts k ON k.resident_id = c.resident_id
		WHERE NOT EXISTS (SELECT 1 FROM notices n JOIN message_notices mn ON mn.notice_id = n.id
			JOIN messages m ON m.id = mn.message_id
			WHERE n.card_id = c.id AND m.channel = k.channel AND m.state <> 'planned')`); n != 0 {
		t.Errorf("%d (card, channel) pairs without a notice sent on that channel", n)
	}
	if n := count(`SELECT count(*) FROM river_job WHERE kind = 'deliver' AND state <> 'completed'`); n != 0 {
		t.Errorf("%d deliver jobs not completed (discarded: retries exhausted?)", n)
	}

	// Exactly once: no message reached a provider twice, and each that did
	// not is one whose send was in flight when the database vanished.
	reqs := map[int64]int{}
	arrived := map[int64]time.Time{} // when each message's (first) request reached its provider
	note := func(id int64, at time.Time) {
		reqs[id]++
		if _, ok := arrived[id]; !ok {
			arrived[id] = at
		}
	}
	for _, r := range sg.Requests() {
		note(sgMessageID(r), r.At)
	}
	for _, r := range tw.Requests() {
		note(twMessageID(t, r), r.At)
	}
	for id, n := range reqs {
		if n > 1 {
			t.Errorf("message %d reached its provider %d times", id, n)
		}
	}
	states := map[string]int{}
	rows, err := db.Query(ctx, `SELECT id, state FROM messages`)
	if err != nil {
		t.Fatal(err)
	}
	var unknown []int64
	for rows.Next() {
		var (
			id    int64
			state string
		)
		if err := rows.Scan(&id, &state); err != nil {
			t.Fatal(err)
		}
		states[state]++
		switch state {
		case "sent":
			if reqs[id] != 1 {
				t.Errorf("message %d is sent but reached its provider %d times", id, reqs[id])
			}
		case "unknown":
			unknown = append(unknown, id)
		default:
			t.Errorf("message %d ended %s, want sent (or unknown if its send was in flight)", id, state)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("messages by state: %v (unknown: %v)", states, unknown)
	if len(unknown) > dbfWorkers {
		t.Errorf("%d messages unknown, more than the %d sends that can be in flight at once", len(unknown), dbfWorkers)
	}
	for _, id := range unknown {
		switch {
		case reqs[id] == 0:
			// Its `sending` record committed but the acknowledgement was
			// lost with the connection: safe (nothing sent twice), and
			// followup lists it for staff.
			t.Logf("message %d is unknown and never reached its provider", id)
		default:
			t.Errorf("message %d reached its provider %s before the database returned, and is unknown", id, up.Sub(arrived[id]).Round(time.Millisecond))
		}
	}
	// The sends the providers accepted while the database was down are
	// sent, with the providers' ids: their outcome was written once it
	// came back.
	for id, providerID := range held {
		var state, stored string
		if err := db.QueryRow(ctx, `SELECT m.state, COALESCE(d.provider_message_id, '') FROM messages m
			JOIN deliveries d ON d.message_id = m.id WHERE m.id = $1 ORDER BY d.id DESC LIMIT 1`, id).Scan(&state, &stored); err != nil {
			t.Fatalf("message %d: %v", id, err)
		}
		if state != "sent" || stored != providerID {
			t.Errorf("message %d, accepted as %s while the database was down: %s with provider id %q, want sent with its id",
				id, providerID, state, stored)
		}
	}
	if len(reqs) > wantMessages {
		t.Errorf("the providers got %d distinct messages, want at most %d", len(reqs), wantMessages)
	}

	// The providers report what they got to the restarted service's
	// webhooks; every message ends delivered.
	var events []sendgridtest.Event
	for i, r := range sg.Requests() {
		events = append(events, sendgridtest.Event{Email: "x@example.jp", Timestamp: r.At.Unix(), Event: "delivered",
			SGEventID: "ev-" + strconv.Itoa(i), SGMessageID: sendgridtest.SGMessageID(r.MessageID),
			KigenMessageID: r.Mail.CustomArgs[sendgrid.MessageIDArg]})
	}
	for len(events) > 0 {
		batch := events[:min(len(events), 100)]
		events = events[len(batch):]
		req := sg.NewEventRequest("http://"+addr+sendgrid.EventPath, sendgridtest.Events(batch...), time.Now())
		if code := dbfDo(t, client, req); code != http.StatusNoContent {
			failf("SendGrid events: %d", code)
		}
	}
	for _, r := range tw.Requests() {
		req := tw.NewWebhookRequest(r.Form.Get("StatusCallback"), tw.StatusForm(r.SID, "delivered", 0))
		if code := dbfDo(t, client, req); code != http.StatusNoContent {
			failf("Twilio status callback: %d", code)
		}
	}
	// A send that never reached a provider has no report: it stays
	// unknown, for staff (kigen followup).
	neverSent := 0
	for _, id := range unknown {
		if reqs[id] == 0 {
			neverSent++
		}
	}
	if n := count(`SELECT count(*) FROM messages WHERE state <> 'delivered'`); n != neverSent {
		t.Errorf("%d messages not delivered after the providers' reports, want %d (the unknown ones no provider got)", n, neverSent)
	}
	t.Logf("down %s, ready again %s after the restart, settled %s after it", up.Sub(down).Round(time.Millisecond),
		ready.Round(time.Millisecond), settled.Round(time.Millisecond))
}

// dbfCluster is a PostgreSQL cluster of the test's own.
type dbfCluster struct {
	bin                    string // the server programs' folder
	data, sockets, logFile string
	port                   int
	asPostgres             bool // run the programs as the postgres OS user (we are root)
	url                    string
}

// dbfStartCluster creates and starts a cluster listening on 127.0.0.1 only,
// on a free port, with its socket in its own folder; it is stopped when the
// test ends. It skips the test when PostgreSQL's server programs are
// missing (postgrestest.ServerBinDir), unless KIGEN_TEST_REQUIRE_POSTGRES=1.
func dbfStartCluster(t *testing.T) *dbfCluster {
	t.Helper()
	skip := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("KIGEN_TEST_REQUIRE_POSTGRES") == "1" {
			t.Fatalf(format+" (KIGEN_TEST_REQUIRE_POSTGRES=1)", args...)
		}
		t.Skipf(format, args...)
	}
	bin, err := postgrestest.ServerBinDir()
	if err != nil {
		skip("%v", err)
	}
	c := &dbfCluster{bin: bin, asPostgres: os.Geteuid() == 0}
	// initdb and postgres refuse to run as root: as root, the cluster
	// belongs to the postgres OS user, in a folder it can reach (the
	// test's temporary folder is private to root).
	root, err := os.MkdirTemp("", "kigen-dbfault-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	if c.asPostgres {
		if _, err := exec.LookPath("runuser"); err != nil {
			skip("running as root without runuser: %v", err)
		}
		u, err := user.Lookup("postgres")
		if err != nil {
			skip("running as root without a postgres OS user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(root, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	c.data, c.sockets, c.logFile = filepath.Join(root, "data"), root, filepath.Join(root, "postgres.log")
	c.port = dbfClusterPort(t)
	c.url = fmt.Sprintf("postgres://kigen@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=2", c.port)

	if out, err := c.command("initdb", "-D", c.data, "-U", "kigen", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	c.start(t)
	t.Cleanup(func() {
		// Always stop it, whatever became of the test; "not running" is fine.
		c.command("pg_ctl", "-D", c.data, "-m", "immediate", "-w", "-t", "30", "stop").Run()
	})
	return c
}

// command runs one of PostgreSQL's programs, as the postgres OS user if
// need be.
func (c *dbfCluster) command(name string, args ...string) *exec.Cmd {
	path := filepath.Join(c.bin, name)
	if c.asPostgres {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

// start starts the cluster and waits until it accepts connections. fsync is
// off (speed; the machine does not crash, only PostgreSQL stops), but
// every commit is still written before it is acknowledged.
func (c *dbfCluster) start(t *testing.T) {
	t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60", c.port, c.sockets)
	if out, err := c.command("pg_ctl", "-D", c.data, "-l", c.logFile, "-o", opts, "-w", "-t", "30", "start").CombinedOutput(); err != nil {
		log, _ := os.ReadFile(c.logFile)
		t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
}

// stop stops the cluster at once, as a crash would: connections are cut,
// nothing is flushed beyond what was committed.
func (c *dbfCluster) stop(t *testing.T) {
	t.Helper()
	if out, err := c.command("pg_ctl", "-D", c.data, "-m", "immediate", "-w", "-t", "30", "stop").CombinedOutput(); err != nil {
		t.Fatalf("pg_ctl stop: %v\n%s", err, out)
	}
}

// dbfFreePort returns a loopback TCP port free a moment ago.
func dbfFreePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// dbfClusterPort returns a loopback TCP port, free a moment ago, below the
// range the system takes the local ports of outgoing connections from: the
// cluster stops and starts again on it, and a port of that range could be
// taken meanwhile by one of the many connections the tests make (pg_ctl
// start: "could not bind IPv4 address: Address already in use").
func dbfClusterPort(t *testing.T) int {
	t.Helper()
	low := 32768 // Linux's default
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil && n > 11000 {
				low = n
			}
		}
	}
	for range 200 {
		port := 10000 + mrand.IntN(low-10000)
		if l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err == nil {
			l.Close()
			return port
		}
	}
	return dbfFreePort(t)
}

// dbfFreeAddr returns a loopback address free a moment ago.
func dbfFreeAddr(t *testing.T) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(dbfFreePort(t)))
}

// dbfDo sends req and returns the answer's status (0 on a network error).
func dbfDo(t *testing.T, client *http.Client, req *http.Request) int {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Logf("%s %s: %v", req.Method, req.URL.Path, err)
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// dbfLog is serve's stderr: safe for concurrent use, read at the end.
type dbfLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *dbfLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// len returns how many bytes were written.
func (l *dbfLog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Len()
}

// since returns what was written after the first n bytes.
func (l *dbfLog) since(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()[n:]
}

// tail returns the last n bytes written.
func (l *dbfLog) tail(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buf.Bytes()
	return string(b[max(0, len(b)-n):])
}

// sgMessageID is the message id of a SendGrid request (its custom arg).
func sgMessageID(r sendgridtest.Request) int64 {
	id, _ := strconv.ParseInt(r.Mail.CustomArgs[sendgrid.MessageIDArg], 10, 64)
	return id
}

// twMessageID is the message id of a Twilio request (its StatusCallback).
func twMessageID(t *testing.T, r twiliotest.Request) int64 {
	t.Helper()
	cb := r.Form.Get("StatusCallback")
	u, err := url.Parse(cb)
	if err != nil {
		t.Fatalf("StatusCallback %q: %v", cb, err)
	}
	id, _ := strconv.ParseInt(u.Query().Get("message_id"), 10, 64)
	return id
}

// dbfMetrics scrapes serve's /metrics and fails t unless it holds each of
// want.
func dbfMetrics(t *testing.T, client *http.Client, addr string, want ...string) {
	t.Helper()
	resp, err := client.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %d, %v", resp.StatusCode, err)
	}
	for _, w := range want {
		if !strings.Contains(string(body), w) {
			t.Errorf("/metrics lacks %q", w)
		}
	}
}
