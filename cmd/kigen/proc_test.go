package main

// The process harness of the crash and multi-instance tests: the test
// binary runs as the kigen command itself (TestMain), so that a test can
// start `kigen tick` or `kigen serve` as a real subprocess, SIGKILL it at
// any moment and restart it, against the providers' loopback fakes.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"

	"kigen"
	"kigen/desk"
	"kigen/internal/testparallel"
	"kigen/internal/testseed"
	"kigen/notify/sendgrid"
	"kigen/notify/sendgrid/sendgridtest"
	"kigen/notify/twilio/twiliotest"
	"kigen/store"
	"kigen/store/postgres"
	"kigen/store/postgres/postgrestest"
	"kigen/store/sqlite"
)

// asKigenEnv, set to 1 in a subprocess's environment, makes the test binary
// run the kigen command (its arguments) instead of the tests.
const asKigenEnv = "KIGEN_TEST_AS_KIGEN"

// TestMain runs the tests, or, in a subprocess started by mustStartKigen,
// the kigen command as main does.
func TestMain(m *testing.M) {
	if os.Getenv(asKigenEnv) == "1" {
		go exitWithParent()
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		km := NewMain(os.Stdout, os.Stderr, os.Getenv)
		code := km.Run(ctx, os.Args[1:])
		km.Close()
		stop()
		os.Exit(code)
	}
	// The crash, restart and two-instance tests (30 to 60 s each in the
	// full run) mostly wait — for River's leader lease and rescuer, an
	// outage, the fakes' latency — so they run side by side.
	testparallel.AtLeast(4)
	os.Exit(m.Run())
}

// exitWithParent ends this kigen subprocess as a crash would once the test
// process that started it is gone (a test binary killed for its timeout
// must not leave a kigen serve running).
func exitWithParent() {
	parent := os.Getppid()
	for range time.Tick(500 * time.Millisecond) {
		if os.Getppid() != parent {
			os.Exit(exitEnv)
		}
	}
}

// kigenProc is a kigen subprocess.
type kigenProc struct {
	name           string
	cmd            *exec.Cmd
	stdout, stderr *tailBuffer
	started        time.Time
	done           chan struct{} // closed when it has exited and been reaped
	code           int           // its exit code once done; -1 if a signal ended it
}

// mustStartKigen starts the kigen command with args as a subprocess whose
// whole environment is env (plus PATH, HOME and TMPDIR). When the test ends
// the process is killed if still running, and if the test failed its exit
// code and the end of its stderr are logged.
func mustStartKigen(t testing.TB, name string, env map[string]string, args ...string) *kigenProc {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = []string{asKigenEnv + "=1"}
	for _, k := range []string{"PATH", "HOME", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &kigenProc{name: name, cmd: cmd, stdout: newTailBuffer(64 << 10), stderr: newTailBuffer(256 << 10), done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		err := cmd.Wait()
		p.code = cmd.ProcessState.ExitCode()
		if err != nil && p.code == 0 {
			p.code = -1
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		if !p.exited() {
			p.kill()
		}
		if t.Failed() {
			t.Logf("%s (%s): exit code %d; stderr ends with:\n%s", name, strings.Join(args, " "), p.code, p.stderr.tail(8<<10))
		}
	})
	return p
}

// exited reports whether the process has exited.
func (p *kigenProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill sends SIGKILL and waits until the process is gone: nothing it did
// can change any more on a local file. (A PostgreSQL backend may still be
// finishing its last statement: see waitBackendsGone.)
func (p *kigenProc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// terminate sends SIGTERM (a graceful shutdown) and waits up to timeout for
// the exit code.
func (p *kigenProc) terminate(timeout time.Duration) (int, bool) {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	return p.wait(timeout)
}

// wait waits up to timeout for the process to exit and returns its exit
// code; false if it is still running.
func (p *kigenProc) wait(timeout time.Duration) (int, bool) {
	select {
	case <-p.done:
		return p.code, true
	case <-time.After(timeout):
		return 0, false
	}
}

// tailBuffer keeps the last max bytes written to it; it is safe for
// concurrent use.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.b = append(b.b, p...)
	if len(b.b) > 2*b.max {
		b.b = append([]byte(nil), b.b[len(b.b)-b.max:]...)
	}
	return len(p), nil
}

// tail returns the last n bytes written, from a line start.
func (b *tailBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.b
	if len(s) > n {
		s = s[len(s)-n:]
		if i := bytes.IndexByte(s, '\n'); i >= 0 {
			s = s[i+1:]
		}
	}
	return string(s)
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.b)
}

// freeLoopbackAddr returns a loopback address with a port free at the
// moment.
func freeLoopbackAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// providerFakes are the loopback fakes of SendGrid and Twilio.
type providerFakes struct {
	sg *sendgridtest.Server
	tw *twiliotest.Server
}

// startProviderFakes starts both fakes, each answering every request after
// a latency drawn between minDelay and maxDelay (so that sends are in
// flight when a process dies), and stops them when the test ends.
func startProviderFakes(t testing.TB, minDelay, maxDelay time.Duration) *providerFakes {
	t.Helper()
	f := &providerFakes{sg: sendgridtest.NewServer(), tw: twiliotest.NewServer()}
	t.Cleanup(f.sg.Close)
	t.Cleanup(f.tw.Close)
	rng := testseed.Rand(t) // KIGEN_TEST_SEED replays a run
	latency := func() sendgridtest.Failure {
		return sendgridtest.Failure{Delay: minDelay + time.Duration(rng.Int64N(int64(maxDelay-minDelay+1)))}
	}
	f.sg.FailRandomly(latency)
	f.tw.FailRandomly(latency)
	return f
}

// env returns the provider variables that send through the fakes, with no
// rate limit.
func (f *providerFakes) env() map[string]string {
	return map[string]string{
		"SENDGRID_API_KEY": f.sg.APIKey, "KIGEN_EMAIL_FROM": "Kigen <noreply@city.example>", "KIGEN_SENDGRID_BASE_URL": f.sg.URL,
		"TWILIO_ACCOUNT_SID": f.tw.AccountSID, "TWILIO_AUTH_TOKEN": f.tw.AuthToken, "TWILIO_FROM": "+15005550006",
		"KIGEN_TWILIO_BASE_URL": f.tw.URL, "KIGEN_PUBLIC_URL": "https://kigen.city.example",
		"KIGEN_RATE_EMAIL": "0", "KIGEN_RATE_SMS": "0",
	}
}

// requests returns how many send requests reached the fakes.
func (f *providerFakes) requests() int { return len(f.sg.Requests()) + len(f.tw.Requests()) }

// arrival is one send request that reached a fake: which message it
// carried.
type arrival struct {
	channel   kigen.Channel
	messageID int64
	at        time.Time
}

// arrivals returns every send request the fakes received, with the message
// ID it carries (SendGrid: custom_args; Twilio: the StatusCallback URL).
func (f *providerFakes) arrivals(t testing.TB) []arrival {
	t.Helper()
	var out []arrival
	for _, r := range f.sg.Requests() {
		id, err := strconv.ParseInt(r.Mail.CustomArgs[sendgrid.MessageIDArg], 10, 64)
		if err != nil {
			t.Fatalf("a SendGrid request without %s: %v", sendgrid.MessageIDArg, err)
		}
		out = append(out, arrival{kigen.Email, id, r.At})
	}
	for _, r := range f.tw.Requests() {
		u, err := url.Parse(r.Form.Get("StatusCallback"))
		if err != nil {
			t.Fatalf("a Twilio request with a bad StatusCallback: %v", err)
		}
		id, err := strconv.ParseInt(u.Query().Get("message_id"), 10, 64)
		if err != nil {
			t.Fatalf("a Twilio request without a message_id in its StatusCallback: %v", err)
		}
		out = append(out, arrival{kigen.SMS, id, r.At})
	}
	return out
}

// procDB is one test's database: its DATABASE_URL for the subprocesses and
// the test's own view of it, through the store and in SQL.
type procDB struct {
	backend string
	url     string
	// app is the PostgreSQL application_name of the subprocesses'
	// connections (appFor), so that the test can wait for a killed
	// process's backends to end.
	app string
	st  store.Store
	db  *sql.DB
}

// newProcDB returns a fresh database on backend "sqlite" (a file in a
// temporary directory) or "postgres" (a schema of its own, skipped without
// KIGEN_TEST_POSTGRES_URL unless KIGEN_TEST_REQUIRE_POSTGRES=1).
func newProcDB(t testing.TB, backend string) *procDB {
	t.Helper()
	ctx := context.Background()
	switch backend {
	case "sqlite":
		path := filepath.Join(t.TempDir(), "kigen.db")
		st, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return &procDB{backend: backend, url: "sqlite:" + path, st: st, db: st.DB()}
	case "postgres":
		pool, schema := postgrestest.NewSchemaPool(t)
		u := postgrestest.URL(t)
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		app := "kigen_" + schema
		st := postgres.New(pool)
		if err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		db := stdlib.OpenDBFromPool(pool)
		t.Cleanup(func() { db.Close() })
		return &procDB{backend: backend, url: u + sep + "search_path=" + schema + "&application_name=" + app,
			app: app, st: st, db: db}
	}
	t.Fatalf("unknown backend %q", backend)
	return nil
}

// urlFor returns the DATABASE_URL of a subprocess named name: on
// PostgreSQL its connections carry application_name appFor(name).
func (d *procDB) urlFor(name string) string {
	if d.backend != "postgres" {
		return d.url
	}
	return strings.Replace(d.url, "application_name="+d.app, "application_name="+d.appFor(name), 1)
}

// appFor is the application_name of the connections of subprocess name.
func (d *procDB) appFor(name string) string { return d.app + "_" + name }

// waitBackendsGone waits until PostgreSQL has ended every backend of the
// subprocess named name (after a SIGKILL, a backend may still be
// committing the transaction its client sent COMMIT for). On SQLite a
// killed process's writes end with it: nothing to wait for.
func (d *procDB) waitBackendsGone(t testing.TB, name string) {
	t.Helper()
	if d.backend != "postgres" {
		return
	}
	q := "SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + d.appFor(name) + "'"
	deadline := time.Now().Add(15 * time.Second)
	for {
		if d.count(t, q) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the backends of the killed %s are still there after 15 s", name)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// count runs a query returning one integer.
func (d *procDB) count(t testing.TB, query string) int {
	t.Helper()
	var n int
	if err := d.db.QueryRow(query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// rows runs query and calls scan for each row with dest filled.
func (d *procDB) rows(t testing.TB, query string, scan func() error, dest ...any) {
	t.Helper()
	rs, err := d.db.Query(query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rs.Close()
	for rs.Next() {
		if err := rs.Scan(dest...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		if err := scan(); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
	if err := rs.Err(); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// sendingDeliveries returns the IDs of the deliveries now `sending`.
func (d *procDB) sendingDeliveries(t testing.TB, municipalityID int64) []int64 {
	t.Helper()
	ds, err := d.st.ListDeliveriesByState(context.Background(), municipalityID, kigen.DeliverySending)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, dl := range ds {
		ids = append(ids, dl.ID)
	}
	return ids
}

// dueSeed is what mustSeedDue put in the database.
type dueSeed struct {
	municipalityID int64
	residents      int
	cards          int
	// messages is how many messages the day's tick must plan on each
	// channel.
	messages map[kigen.Channel]int
}

// seedLanguages are the languages the seeded residents write in.
var seedLanguages = []string{"vi", "zh", "en", "ko", "pt", "tl", "ne", "id", "th", "es", "ja", "ja-easy"}

// mustSeedDue imports, through `kigen import` (in this process), n residents of
// one municipality each with something due on day: a residence card
// expiring 60, 30 or 14 days later, every fifth also a My Number card
// expiring with it (two notices in one message). A quarter have an email
// address only, a quarter a phone only, a quarter both and want both (two
// messages), a quarter both and the default (email). Then it migrates River's
// tables (`kigen migrate`), so that the first subprocess starts on a ready
// database.
func mustSeedDue(t *testing.T, d *procDB, day kigen.Date, n int) dueSeed {
	t.Helper()
	env := map[string]string{"DATABASE_URL": d.url, "KIGEN_NOW": day.String()}
	if code, _, errOut := runKigen(t, env, "municipality", "add", "131016", "--name", "千代田区", "--name-latin", "Chiyoda City"); code != exitOK {
		t.Fatalf("municipality add: code %d: %s", code, errOut)
	}
	s := dueSeed{residents: n, messages: map[kigen.Channel]int{}}
	var b strings.Builder
	b.WriteString("resident_ref,language,email,phone,residence_status,residence_card_expires_on,mynumber_card_expires_on,consent,channel\n")
	leads := []int{60, 30, 14}
	for i := range n {
		exp := day.AddDays(leads[i%len(leads)]).String()
		mynumber := ""
		s.cards++
		if i%5 == 0 {
			mynumber = exp
			s.cards++
		}
		email := fmt.Sprintf("c%d@mail.example", i)
		phone := fmt.Sprintf("090-%04d-%04d", 1000+i/10000, i%10000)
		channel := ""
		switch i % 4 {
		case 0:
			phone = ""
			s.messages[kigen.Email]++
		case 1:
			email = ""
			s.messages[kigen.SMS]++
		case 2:
			channel = "both"
			s.messages[kigen.Email]++
			s.messages[kigen.SMS]++
		case 3:
			s.messages[kigen.Email]++
		}
		fmt.Fprintf(&b, "C-%05d,%s,%s,%s,定住者,%s,%s,yes,%s\n", i, seedLanguages[i%len(seedLanguages)], email, phone, exp, mynumber, channel)
	}
	path := filepath.Join(t.TempDir(), "residents.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runKigen(t, env, "import", "--json", path); code != exitOK {
		t.Fatalf("import: code %d: %s %s", code, out, errOut)
	}
	if code, out, errOut := runKigen(t, env, "migrate"); code != exitOK {
		t.Fatalf("migrate: code %d: %s %s", code, out, errOut)
	}
	mu, err := d.st.GetMunicipalityByCode(context.Background(), "131016")
	if err != nil {
		t.Fatal(err)
	}
	s.municipalityID = mu.ID
	return s
}

// checkOutcome checks the end state of a day planned and delivered through
// crashes (or with none), against the two promises:
//
//   - nobody gets a notice twice: no message arrived at the fakes twice, no
//     notice is carried by two messages of one channel, and no two requests
//     that reached the fakes carry one notice on one channel;
//   - nobody misses one: every seeded card has its notice, carried on every
//     channel the resident is reached on, by a message that was accepted by
//     the provider — or recorded unknown, and then only if its delivery was
//     `sending` when a process died (diedSending: delivery IDs), which is
//     exactly what `kigen followup --json` lists for staff.
func checkOutcome(t *testing.T, d *procDB, f *providerFakes, s dueSeed, env map[string]string, diedSending map[int64]bool) {
	t.Helper()
	// Arrivals at the fakes.
	arrived := map[int64]int{}
	arrivedChannel := map[int64]kigen.Channel{}
	for _, a := range f.arrivals(t) {
		arrived[a.messageID]++
		arrivedChannel[a.messageID] = a.channel
	}
	for id, n := range arrived {
		if n > 1 {
			t.Errorf("message %d arrived at the %s fake %d times", id, arrivedChannel[id], n)
		}
	}

	// Messages, their notices and deliveries.
	type msg struct {
		resident int64
		channel  kigen.Channel
		state    string
		notices  []int64
	}
	msgs := map[int64]*msg{}
	var (
		id, resident sql.NullInt64
		channel      string
		state        string
	)
	d.rows(t, "SELECT id, resident_id, channel, state FROM messages", func() error {
		msgs[id.Int64] = &msg{resident: resident.Int64, channel: kigen.Channel(channel), state: state}
		return nil
	}, &id, &resident, &channel, &state)
	var noticeID int64
	d.rows(t, "SELECT message_id, notice_id FROM message_notices", func() error {
		if m := msgs[id.Int64]; m != nil {
			m.notices = append(m.notices, noticeID)
		}
		return nil
	}, &id, &noticeID)
	noticesOfCard := map[int64]int{}
	var card sql.NullInt64
	notices := 0
	d.rows(t, "SELECT id, card_id FROM notices", func() error {
		noticesOfCard[card.Int64]++
		notices++
		return nil
	}, &id, &card)
	type delivery struct {
		id    int64
		state string
	}
	deliveries := map[int64][]delivery{} // by message, in ID order
	var deliveryID int64
	unknown := map[int64]bool{}
	d.rows(t, "SELECT id, message_id, state FROM deliveries ORDER BY id", func() error {
		deliveries[id.Int64] = append(deliveries[id.Int64], delivery{deliveryID, state})
		if state == string(kigen.DeliveryUnknown) {
			unknown[deliveryID] = true
		}
		return nil
	}, &deliveryID, &id, &state)

	// Every card has one notice; every notice is carried once per channel.
	if notices != s.cards || len(noticesOfCard) != s.cards {
		t.Errorf("%d notices on %d cards; want one on each of the %d cards", notices, len(noticesOfCard), s.cards)
	}
	for c, n := range noticesOfCard {
		if n != 1 {
			t.Errorf("card %d has %d notices, want 1", c, n)
		}
	}
	carried := map[kigen.Channel]map[int64]int64{kigen.Email: {}, kigen.SMS: {}} // notice → message
	byChannel := map[kigen.Channel]int{}
	for mid, m := range msgs {
		byChannel[m.channel]++
		for _, n := range m.notices {
			if other, ok := carried[m.channel][n]; ok {
				t.Errorf("notice %d is carried by messages %d and %d, both %s", n, other, mid, m.channel)
			}
			carried[m.channel][n] = mid
		}
	}
	if byChannel[kigen.Email] != s.messages[kigen.Email] || byChannel[kigen.SMS] != s.messages[kigen.SMS] {
		t.Errorf("messages planned: %d email, %d sms; want %d and %d", byChannel[kigen.Email], byChannel[kigen.SMS], s.messages[kigen.Email], s.messages[kigen.SMS])
	}
	if got := len(carried[kigen.Email]) + len(carried[kigen.SMS]); got < notices {
		t.Errorf("only %d (notice, channel) pairs are carried for %d notices", got, notices)
	}
	// At the fakes: one (notice, channel) arrived at most once.
	seenAt := map[kigen.Channel]map[int64]int64{kigen.Email: {}, kigen.SMS: {}}
	for mid := range arrived {
		m := msgs[mid]
		if m == nil {
			t.Errorf("message %d arrived at a fake but is not in the database", mid)
			continue
		}
		if m.channel != arrivedChannel[mid] {
			t.Errorf("message %d (%s) arrived at the %s fake", mid, m.channel, arrivedChannel[mid])
		}
		for _, n := range m.notices {
			if other, ok := seenAt[m.channel][n]; ok {
				t.Errorf("resident %d got notice %d twice on %s: messages %d and %d", m.resident, n, m.channel, other, mid)
			}
			seenAt[m.channel][n] = mid
		}
	}

	// Each message ended sent (accepted by the provider, which has it) or
	// unknown; its last delivery says the same.
	var sent, unknownMsgs int
	for mid, m := range msgs {
		ds := deliveries[mid]
		if len(ds) == 0 {
			t.Errorf("message %d (%s) has no delivery; state %s", mid, m.channel, m.state)
			continue
		}
		last := ds[len(ds)-1]
		switch {
		case m.state == string(kigen.MessageSent) && (last.state == string(kigen.DeliveryAccepted) || last.state == string(kigen.DeliveryDelivered)):
			sent++
			if arrived[mid] != 1 {
				t.Errorf("message %d is sent (delivery %d %s) but arrived at the fake %d times", mid, last.id, last.state, arrived[mid])
			}
		case m.state == string(kigen.MessageUnknown) && last.state == string(kigen.DeliveryUnknown):
			unknownMsgs++
		default:
			t.Errorf("message %d (%s) ended %s with its last delivery %d %s; want sent/accepted or unknown/unknown", mid, m.channel, m.state, last.id, last.state)
		}
		for _, dl := range ds[:len(ds)-1] {
			t.Errorf("message %d has an earlier delivery %d (%s): no send was retried", mid, dl.id, dl.state)
		}
	}
	for mid := range arrived {
		if m := msgs[mid]; m != nil && m.state != string(kigen.MessageSent) && m.state != string(kigen.MessageUnknown) {
			t.Errorf("message %d arrived at the fake but ended %s", mid, m.state)
		}
	}

	// Unknown: exactly the deliveries `sending` when a process died.
	var extra, missing []int64
	for id := range unknown {
		if !diedSending[id] {
			extra = append(extra, id)
		}
	}
	for id := range diedSending {
		if !unknown[id] {
			missing = append(missing, id)
		}
	}
	slices.Sort(extra)
	slices.Sort(missing)
	if len(extra) > 0 {
		t.Errorf("deliveries %v are unknown but were not sending when a process died", extra)
	}
	if len(missing) > 0 {
		t.Errorf("deliveries %v were sending when a process died but did not end unknown", missing)
	}

	// kigen followup lists exactly those.
	code, out, errOut := runKigen(t, map[string]string{"DATABASE_URL": env["DATABASE_URL"], "KIGEN_NOW": env["KIGEN_NOW"]}, "followup", "--json")
	if code != exitOK {
		t.Fatalf("followup --json: code %d: %s", code, errOut)
	}
	var list desk.FollowupList
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("followup --json: %v\n%.2000s", err, out)
	}
	listed := map[int64]bool{}
	for _, u := range list.Unknown {
		if listed[u.DeliveryID] {
			t.Errorf("followup lists delivery %d twice", u.DeliveryID)
		}
		listed[u.DeliveryID] = true
		if !unknown[u.DeliveryID] {
			t.Errorf("followup lists delivery %d (message %d) as unknown; it is not", u.DeliveryID, u.MessageID)
		}
	}
	if len(listed) != len(unknown) {
		t.Errorf("followup lists %d unknown sends, the database has %d", len(listed), len(unknown))
	}
	t.Logf("outcome: %d messages (%d email, %d sms) for %d cards: %d sent, %d unknown (all sending at a death, all listed by followup); %d requests at the fakes",
		len(msgs), byChannel[kigen.Email], byChannel[kigen.SMS], s.cards, sent, unknownMsgs, len(arrived))
}
