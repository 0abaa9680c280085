package main

import (
	"bufio"
	"cmp"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"golang.org/x/sync/errgroup"

	"kigen"
	"kigen/scheduler"
	"kigen/store"
)

// Targets of issue 9 for the tick.
const (
	targetDueRatio = 50              // the due read costs at most 1/50 of streaming every card
	targetTick     = 3 * time.Second // the whole plan at 4 M residents on PostgreSQL
	targetServeRSS = 200             // MB, kigen serve during the tick
)

// benchTick seeds a realistic population and measures the day's tick.
func benchTick(ctx context.Context, m *Main, args []string) error {
	fs := flag.NewFlagSet("bench tick", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	n := fs.Int("residents", 100_000, "residents to seed (about 2.5 cards each)")
	munis := fs.Int("municipalities", 0, "municipalities to spread them over, sizes falling like 1/rank (default 1,741 as in Japan, or --residents if fewer)")
	pgURL := fs.String("postgres", "", "seed a temporary schema of this PostgreSQL database instead of a temporary SQLite file")
	serve := fs.Bool("serve", false, "also run `kigen serve` on the seeded database and report its peak RSS during the tick")
	if err := fs.Parse(args); err != nil {
		return usageErrorf("%v", err)
	}
	if fs.NArg() > 0 {
		return usageErrorf("bench tick: unexpected argument %q", fs.Arg(0))
	}
	if *munis == 0 && *n > 0 {
		*munis = min(1741, *n)
	}
	if *n < 1 || *munis < 1 || *munis > *n {
		return usageErrorf("bench tick: need --residents ≥ 1 and 1 ≤ --municipalities ≤ --residents")
	}
	today := m.Config.Today(time.Now)
	at := time.Date(today.Year, today.Month, today.Day, 9, 30, 0, 0, kigen.Tokyo)
	clock := func() time.Time { return at }
	logger := m.logger()

	db, err := openBenchDB(ctx, *pgURL, logger)
	if err != nil {
		return envError(err)
	}
	defer db.Close()
	dir := db.dir

	mids, err := createBenchMunicipalities(ctx, db.store, *munis)
	if err != nil {
		return envError(err)
	}
	seeded, err := seedPopulation(ctx, db, *n, today, tickPopulation(today, mids, *n))
	if err != nil {
		return envError(fmt.Errorf("seed: %w", err))
	}
	w := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', 0)
	printBenchMachine(ctx, m.Stdout, db, "tick")
	fmt.Fprintf(m.Stdout, "seeded %s residents in %d municipalities: %s cards (%.2f a resident), %s contacts, %s notices already sent; %.1f s (not measured)\n",
		thousands(seeded.residents), *munis, thousands(seeded.cards), float64(seeded.cards)/float64(seeded.residents),
		thousands(seeded.contacts), thousands(seeded.notices), seeded.duration.Seconds())
	fmt.Fprintf(m.Stdout, "bench day %s: %s cards due (%.2f%% of cards)\n\n", today, thousands(seeded.due), 100*float64(seeded.due)/float64(max(seeded.cards, 1)))

	// (a) The due read against a scan of everything, without writes. The
	// due read is cheap: the median of three runs.
	var due planRead
	var times []time.Duration
	for range 3 {
		runtime.GC()
		if due, err = dueReadPlan(ctx, db.store, today, tickConcurrency(db.store)); err != nil {
			return envError(fmt.Errorf("due read: %w", err))
		}
		times = append(times, due.duration)
	}
	slices.Sort(times)
	due.duration = times[1]
	runtime.GC()
	all, err := streamAllPlan(ctx, db, today)
	if err != nil {
		return envError(fmt.Errorf("stream all cards: %w", err))
	}
	if due.notices != all.notices {
		return envError(fmt.Errorf("the due read finds %d notices due, the scan of every card %d: next_notice_on is not what the rules say", due.notices, all.notices))
	}

	// (b) The whole plan, with its writes, as kigen tick and serve run it.
	m.Config.Outbox = filepath.Join(dir, "outbox.jsonl")
	eng, err := m.newEngine(ctx, db.store, clock, logger, nil, nil, nil)
	if err != nil {
		return err
	}
	runtime.GC()
	sum, err := eng.planner.Tick(ctx, today)
	if err != nil {
		return envError(err)
	}
	jobs, err := db.count(ctx, "SELECT count(*) FROM river_job")
	if err != nil {
		return envError(err)
	}
	if sum.Notices != due.notices || jobs != sum.Messages {
		return envError(fmt.Errorf("the tick recorded %d notices and %d messages with %d jobs; the rules said %d notices", sum.Notices, sum.Messages, jobs, due.notices))
	}

	fmt.Fprintln(w, "measure\ttime\twhat\ttarget\t")
	fmt.Fprintf(w, "(a) due read + rules (median of 3)\t%s\t%s due cards of %s residents → %s notices\t\t\n",
		secs(due.duration), thousands(due.cards), thousands(due.residents), thousands(due.notices))
	fmt.Fprintf(w, "    stream all cards + rules\t%s\t%s cards of %s residents → %s notices\t\t\n",
		secs(all.duration), thousands(all.cards), thousands(all.residents), thousands(all.notices))
	ratio := all.duration.Seconds() / max(due.duration.Seconds(), 1e-9)
	fmt.Fprintf(w, "    due read / stream all\t1/%.0f\t\t≤ 1/%d\t%s\n", ratio, targetDueRatio, verdict(ratio >= targetDueRatio))
	// The targets of (b) and (c) are set at 4 M residents on PostgreSQL.
	atScale := func(ok bool) string {
		if db.pool == nil || *n < 4_000_000 {
			return "(not at this size)"
		}
		return verdict(ok)
	}
	fmt.Fprintf(w, "(b) whole plan (Planner.Tick)\t%s\t%s notices, %s messages (%s email, %s sms), %s jobs; %s\t< %.0f s at 4 M on PostgreSQL\t%s\n",
		secs(sum.Duration), thousands(sum.Notices), thousands(sum.Messages), thousands(sum.ByChannel[kigen.Email]),
		thousands(sum.ByChannel[kigen.SMS]), thousands(jobs), plural(sum.Batches, "transaction"), targetTick.Seconds(), atScale(sum.Duration < targetTick))

	if *serve {
		if err := resetTick(ctx, db, today, due); err != nil {
			return envError(fmt.Errorf("undo the tick before serve: %w", err))
		}
		sv, err := serveTick(ctx, m, db, dir, today, at)
		if err != nil {
			return envError(fmt.Errorf("serve: %w", err))
		}
		if sv.notices != sum.Notices {
			return envError(fmt.Errorf("kigen serve's tick recorded %d notices, the bench's %d", sv.notices, sum.Notices))
		}
		fmt.Fprintf(w, "(c) kigen serve: peak RSS\t%d MB\ttick %s in serve (%s notices, %s messages), %s after start\t< %d MB during the 4 M tick\t%s\n",
			sv.peakMB, secs(sv.tick), thousands(sv.notices), thousands(sv.messages), secs(sv.wall), targetServeRSS, atScale(sv.peakMB < targetServeRSS))
	}
	return w.Flush()
}

// printBenchMachine prints what the figures were measured on.
func printBenchMachine(ctx context.Context, out io.Writer, db *benchDB, what string) {
	version := ""
	if db.pool != nil {
		var v string
		if err := db.pool.QueryRow(ctx, "SHOW server_version").Scan(&v); err == nil {
			version = " " + strings.Fields(v)[0]
		}
	}
	mem := ""
	if kb, err := procMeminfoKB("MemTotal"); err == nil {
		mem = fmt.Sprintf(", %.0f GB RAM", float64(kb)/(1<<20))
	}
	fmt.Fprintf(out, "kigen bench %s on %s%s; %s/%s, %d CPUs%s, %s\n", what, db.backend, version, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), mem, runtime.Version())
}

// planRead is what one way of reading the cards found due.
type planRead struct {
	cards, residents, notices int
	duration                  time.Duration
	// next holds the cards of the residents read with their stored next
	// date, to undo a tick (due read only).
	next []store.CardNext
}

// dueReadPlan reads the due cards as Planner.Tick does — the due-card
// index, then the residents in batches of scheduler.DefaultBatchSize in
// municipality and resident order, one transaction and one ListHoldings
// each, concurrency batches at once — and runs kigen.Plan on each
// resident. It writes nothing.
func dueReadPlan(ctx context.Context, s store.Store, today kigen.Date, concurrency int) (planRead, error) {
	start := time.Now()
	var out planRead
	due, err := s.ListDueCards(ctx, today, math.MaxInt32)
	if err != nil {
		return out, err
	}
	out.cards = len(due)
	seen := make(map[store.ResidentKey]bool, len(due))
	var keys []store.ResidentKey
	for _, d := range due {
		k := store.ResidentKey{MunicipalityID: d.MunicipalityID, ResidentID: d.ResidentID}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b store.ResidentKey) int {
		return cmp.Or(cmp.Compare(a.MunicipalityID, b.MunicipalityID), cmp.Compare(a.ResidentID, b.ResidentID))
	})
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, concurrency))
	for lo := 0; lo < len(keys); lo += scheduler.DefaultBatchSize {
		batch := keys[lo:min(lo+scheduler.DefaultBatchSize, len(keys))]
		g.Go(func() error {
			var hs []store.TickHolding
			err := s.InTx(gctx, func(tx store.Tx) (err error) {
				hs, err = tx.ListHoldings(gctx, batch)
				return err
			})
			if err != nil {
				return err
			}
			notices := 0
			for i := range hs {
				notices += len(kigen.Plan(hs[i].Holder(), today).Due)
			}
			// For resetTick, not what a tick does: keep it light.
			next := make([]store.CardNext, 0, 3*len(hs))
			for i := range hs {
				for _, c := range hs[i].Cards {
					next = append(next, store.CardNext{MunicipalityID: hs[i].Key.MunicipalityID, CardID: c.ID, On: c.NextNoticeOn})
				}
			}
			mu.Lock()
			defer mu.Unlock()
			out.notices += notices
			out.residents += len(hs)
			out.next = append(out.next, next...)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return out, err
	}
	out.duration = time.Since(start)
	return out, nil
}

// rowStream is what pgx.Rows and *sql.Rows have in common.
type rowStream interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// peeked reads ahead one row of a stream ordered by resident ID.
type peeked[T any] struct {
	rows rowStream
	scan func() (residentID int64, v T, err error)
	ok   bool
	rid  int64
	v    T
	err  error
}

func (p *peeked[T]) advance() {
	if p.err != nil || !p.rows.Next() {
		p.ok = false
		if p.err == nil {
			p.err = p.rows.Err()
		}
		return
	}
	p.rid, p.v, p.err = p.scan()
	p.ok = p.err == nil
}

// take appends to dst the rows of resident rid, skipping those before it.
func (p *peeked[T]) take(rid int64, dst []T) []T {
	for p.ok && p.rid < rid {
		p.advance()
	}
	for p.ok && p.rid == rid {
		dst = append(dst, p.v)
		p.advance()
	}
	return dst
}

// The queries of the full scan: every card with its resident, every
// contact and every notice, each ordered by resident.
const (
	streamCardsSQL = `SELECT c.resident_id, c.id, c.kind, c.expires_on, c.renewal_applied_on, r.status, r.channel
FROM cards c JOIN residents r ON r.id = c.resident_id ORDER BY c.resident_id`
	streamContactsSQL = `SELECT resident_id, channel, address, consent, opted_out, failed FROM contacts ORDER BY resident_id`
	streamNoticesSQL  = `SELECT c.resident_id, n.card_id, n.expires_on, n.stage
FROM notices n JOIN cards c ON c.id = n.card_id ORDER BY c.resident_id`
)

// streamAllPlan streams every card, ordered by resident, with the
// residents' contacts and notices (three queries read side by side and
// merged), and runs kigen.Plan on every resident: what a tick without the
// due-card index would cost.
func streamAllPlan(ctx context.Context, b *benchDB, today kigen.Date) (planRead, error) {
	start := time.Now()
	var out planRead
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var cardRows, contactRows, noticeRows rowStream
	if b.pool != nil {
		cr, err := b.pool.Query(ctx, streamCardsSQL)
		if err != nil {
			return out, err
		}
		defer cr.Close()
		ct, err := b.pool.Query(ctx, streamContactsSQL)
		if err != nil {
			return out, err
		}
		defer ct.Close()
		nt, err := b.pool.Query(ctx, streamNoticesSQL)
		if err != nil {
			return out, err
		}
		defer nt.Close()
		cardRows, contactRows, noticeRows = cr, ct, nt
	} else {
		// SQLite: the store has one connection; read on three of our own.
		ro, err := sql.Open("sqlite", "file://"+(&url.URL{Path: b.path}).EscapedPath()+"?mode=ro&_pragma=busy_timeout(5000)")
		if err != nil {
			return out, err
		}
		defer ro.Close()
		var rows [3]*sql.Rows
		for i, q := range []string{streamCardsSQL, streamContactsSQL, streamNoticesSQL} {
			if rows[i], err = ro.QueryContext(ctx, q); err != nil {
				return out, err
			}
			defer rows[i].Close()
		}
		cardRows, contactRows, noticeRows = rows[0], rows[1], rows[2]
	}

	var (
		cRid                 int64
		cContact             kigen.Contact
		channel              string
		nRid                 int64
		nKey                 kigen.NoticeKey
		stage                string
		contacts             []kigen.Contact
		sent                 []kigen.NoticeKey
		cards                []kigen.Card
		cur                  int64 = -1
		status, pref         string
		rid                  int64
		card                 kigen.Card
		kind, rStatus, rPref string
	)
	cs := &peeked[kigen.Contact]{rows: contactRows, scan: func() (int64, kigen.Contact, error) {
		err := contactRows.Scan(&cRid, &channel, &cContact.Address, &cContact.Consent, &cContact.OptedOut, &cContact.Failed)
		cContact.Channel = kigen.Channel(channel)
		return cRid, cContact, err
	}}
	ns := &peeked[kigen.NoticeKey]{rows: noticeRows, scan: func() (int64, kigen.NoticeKey, error) {
		err := noticeRows.Scan(&nRid, &nKey.CardID, &nKey.ExpiresOn, &stage)
		nKey.Stage = kigen.Stage(stage)
		return nRid, nKey, err
	}}
	cs.advance()
	ns.advance()
	plan := func() {
		contacts = cs.take(cur, contacts[:0])
		sent = ns.take(cur, sent[:0])
		h := kigen.Holder{Status: kigen.Status(status), Cards: cards, Sent: sent,
			Reachable: len(kigen.SendChannels(kigen.ChannelPref(pref), contacts)) > 0}
		out.notices += len(kigen.Plan(h, today).Due)
		out.residents++
	}
	for cardRows.Next() {
		if err := cardRows.Scan(&rid, &card.ID, &kind, &card.ExpiresOn, &card.RenewalAppliedOn, &rStatus, &rPref); err != nil {
			return out, err
		}
		card.Kind, card.ResidentID = kigen.CardKind(kind), rid
		if rid != cur {
			if cur >= 0 {
				plan()
			}
			cur, status, pref, cards = rid, rStatus, rPref, cards[:0]
		}
		cards = append(cards, card)
		out.cards++
	}
	if err := cardRows.Err(); err != nil {
		return out, err
	}
	if cur >= 0 {
		plan()
	}
	if err := errors.Join(cs.err, ns.err); err != nil {
		return out, err
	}
	out.duration = time.Since(start)
	return out, nil
}

// resetTick undoes a tick of today: its notices, messages, jobs and tick
// record go, and the cards of the residents it read get their next date
// back, so that the next tick finds the same day to plan.
func resetTick(ctx context.Context, b *benchDB, today kigen.Date, read planRead) error {
	for _, q := range []string{
		"DELETE FROM message_notices", "DELETE FROM deliveries", "DELETE FROM messages",
		"DELETE FROM notices WHERE tick_date = '" + today.String() + "'", "DELETE FROM ticks", "DELETE FROM river_job",
	} {
		if err := b.exec(ctx, q); err != nil {
			return err
		}
	}
	err := b.store.SetCardsNextNoticeOn(ctx, read.next)
	if err != nil {
		return err
	}
	n, err := b.count(ctx, "SELECT count(*) FROM cards WHERE next_notice_on IS NOT NULL AND next_notice_on <= '"+today.String()+"'")
	if err != nil {
		return err
	}
	if n != read.cards {
		return fmt.Errorf("%d cards due after the undo, want %d", n, read.cards)
	}
	return nil
}

// serveCommand returns the command that runs `kigen serve` with env as its
// whole environment: this very executable. Tests replace it.
var serveCommand = func(env []string) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "serve")
	cmd.Env = env
	return cmd, nil
}

// serveRun is what kigen serve did in the benchmark.
type serveRun struct {
	peakMB            int
	tick, wall        time.Duration
	notices, messages int
}

// serveTimeout bounds the wait for serve's tick.
const serveTimeout = 30 * time.Minute

// serveTick runs kigen serve on the database at the bench day's 09:30, so
// that its catch-up tick starts at once, waits for the tick to finish and
// reads the process's peak RSS (VmHWM), then stops it with SIGTERM. Its
// environment holds only what it needs: no provider key reaches it, so
// every message goes to an outbox file in dir.
func serveTick(ctx context.Context, m *Main, b *benchDB, dir string, today kigen.Date, at time.Time) (serveRun, error) {
	var res serveRun
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return res, err
	}
	addr := l.Addr().String()
	l.Close()
	env := []string{"DATABASE_URL=" + b.url, "KIGEN_NOW=" + at.Format(time.RFC3339), "KIGEN_ADDR=" + addr,
		"KIGEN_PUBLIC_URL=http://" + addr, "KIGEN_OUTBOX=" + filepath.Join(dir, "serve-outbox.jsonl")}
	for _, k := range []string{"GOGC", "GOMEMLIMIT", "GOMAXPROCS", "GODEBUG"} {
		if v := m.Getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	logPath := filepath.Join(dir, "serve.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return res, err
	}
	defer logFile.Close()
	cmd, err := serveCommand(env)
	if err != nil {
		return res, err
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return res, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	running := true
	stop := func() error {
		if !running {
			return nil
		}
		running = false
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			return err
		case <-time.After(45 * time.Second):
			cmd.Process.Kill()
			<-exited
			return errors.New("kigen serve did not stop within 45 s of SIGTERM; killed")
		}
	}
	defer stop()
	failed := func(format string, args ...any) error {
		return fmt.Errorf("%s; the end of its log:\n%s", fmt.Sprintf(format, args...), logTail(logPath, 2000))
	}

	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	deadline := time.After(serveTimeout)
	for {
		select {
		case err := <-exited:
			running = false
			return res, failed("kigen serve exited before its tick finished (%v)", err)
		case <-ctx.Done():
			return res, ctx.Err()
		case <-deadline:
			return res, failed("the tick did not finish within %s", serveTimeout)
		case <-t.C:
		}
		tk, err := b.store.LastTick(ctx)
		if errors.Is(err, store.ErrNotFound) {
			continue
		} else if err != nil {
			return res, err
		}
		if tk.Date == today && !tk.FinishedAt.IsZero() {
			res.tick, res.wall = tk.FinishedAt.Sub(tk.StartedAt), time.Since(start)
			res.notices, res.messages = tk.Notices, tk.Messages
			break
		}
	}
	kb, err := procStatusKB(cmd.Process.Pid, "VmHWM")
	if err != nil {
		return res, err
	}
	res.peakMB = kb / 1024
	if err := stop(); err != nil {
		return res, failed("kigen serve on SIGTERM: %v", err)
	}
	return res, nil
}

// procStatusKB reads a field in kB (VmHWM, VmRSS) of /proc/PID/status.
func procStatusKB(pid int, field string) (int, error) {
	return procFieldKB("/proc/"+strconv.Itoa(pid)+"/status", field)
}

// procMeminfoKB reads a field in kB (MemTotal) of /proc/meminfo.
func procMeminfoKB(field string) (int, error) { return procFieldKB("/proc/meminfo", field) }

// procFieldKB reads a "Field: N kB" line of a /proc file.
func procFieldKB(path, field string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			return strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
		}
	}
	return 0, fmt.Errorf("%s: no %s", path, field)
}

// logTail returns the last n bytes of a file.
func logTail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > n {
		f.Seek(st.Size()-n, io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	return string(b)
}

// secs formats a duration in seconds.
func secs(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.3f s", d.Seconds())
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

// plural returns "n word" or "n words".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return thousands(n) + " " + word + "s"
}

// verdict says whether a target was met.
func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// thousands formats n with thousands separators.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
