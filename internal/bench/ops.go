package bench

import (
	"context"
	"fmt"
	"iter"
	mrand "math/rand/v2"
	"slices"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/riverqueue/river"

	"kigen"
	"kigen/store"
)

// targetOpsP95 is issue 21's target: every query of the operators' page
// answers within it at the 95th percentile, at 4 M residents with a year
// of messages on PostgreSQL.
const targetOpsP95 = 200 * time.Millisecond

// OpsOptions are the settings of Ops.
type OpsOptions struct {
	Residents      int    // residents to seed (the tick's population)
	Municipalities int    // to spread them over; 1 ≤ Municipalities ≤ Residents
	PerDay         int    // messages a day over the year (0: Residents × 2 / 365, at least 1)
	Runs           int    // timed runs of each query (at least 1)
	Backlog        int    // jobs waiting in the queue while it measures
	PostgresURL    string // a temporary schema of this database instead of a SQLite file
}

// opsBenchJob is a job of the queue backlog Ops measures the depth of:
// nothing works it.
type opsBenchJob struct {
	N int `json:"n"`
}

func (opsBenchJob) Kind() string { return "bench_ops_backlog" }

// Ops seeds the tick's population and a year of messages with their
// deliveries (store.MessageLoader), leaves a backlog of jobs in the queue,
// and times each query of the operators' page (desk.Ops) Runs times:
// the funnel and the failures of the last 7 days (with the last 24
// hours), the queue's depth, the providers' last reports, the
// municipalities (for those without a contact block), the last tick and
// today's messages. It prints p50, p95 and max of each, and whether p95
// is under 200 ms.
func Ops(ctx context.Context, env Env, opts OpsOptions) error {
	today := env.Today
	now := time.Date(today.Year, today.Month, today.Day, 12, 0, 0, 0, kigen.Tokyo)
	perDay := opts.PerDay
	if perDay == 0 {
		perDay = max(1, opts.Residents*2/365)
	}
	b, err := openDB(ctx, opts.PostgresURL, env.Logger)
	if err != nil {
		return err
	}
	defer b.Close()
	loader, ok := b.store.(store.MessageLoader)
	if !ok {
		return fmt.Errorf("bench ops: %T cannot bulk-load messages", b.store)
	}
	watcher, ok := b.jobs.(store.QueueWatcher)
	if !ok {
		return fmt.Errorf("bench ops: %T cannot report the queue's depth", b.jobs)
	}
	printMachine(ctx, env.Stdout, b, "ops")

	mids, err := createMunicipalities(ctx, b.store, opts.Municipalities)
	if err != nil {
		return err
	}
	seeded, err := seedPopulation(ctx, b, env.Stderr, opts.Residents, today, tickPopulation(today, mids, opts.Residents))
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	start := time.Now()
	hist := opsHistory{today: today, days: 365, perDay: perDay, residents: opts.Residents,
		starts: municipalityBlocks(opts.Residents, len(mids)), mids: mids}
	var msgs, dels int
	if err := loader.BulkLoadMessages(ctx, hist.chunks(&msgs, &dels)); err != nil {
		return fmt.Errorf("load messages: %w", err)
	}
	if err := b.store.Checkpoint(ctx); err != nil {
		fmt.Fprintf(env.Stderr, "kigen bench: no CHECKPOINT after loading (%v)\n", err)
	}
	loaded := time.Since(start)
	for _, p := range []string{"sendgrid", "twilio"} {
		if err := b.store.RecordProviderReport(ctx, store.ProviderReport{Provider: p, Status: "delivered", MessageID: int64(msgs), At: now.Add(-time.Minute)}); err != nil {
			return err
		}
	}
	tk := &store.Tick{Date: today, StartedAt: now.Add(-3 * time.Hour)}
	if err := b.store.CreateTick(ctx, tk); err != nil {
		return err
	}
	tk.FinishedAt, tk.Messages = tk.StartedAt.Add(2*time.Second), perDay
	if err := b.store.FinishTick(ctx, tk); err != nil {
		return err
	}
	if opts.Backlog > 0 {
		params := make([]river.InsertManyParams, opts.Backlog)
		for i := range params {
			params[i] = river.InsertManyParams{Args: opsBenchJob{N: i}}
		}
		if err := b.store.InTx(ctx, func(tx store.Tx) error { return b.jobs.InsertManyFastTx(ctx, tx, params) }); err != nil {
			return fmt.Errorf("queue backlog: %w", err)
		}
	}
	fmt.Fprintf(env.Stdout, "seeded %s (%s) in %s; loaded %s and %s (a year, %s a day) in %s; %s waiting in the queue\n",
		plural(seeded.residents, "resident"), plural(seeded.cards, "card"), secs(seeded.duration),
		plural(msgs, "message"), thousands(dels)+" deliveries", thousands(perDay), secs(loaded), plural(opts.Backlog, "job"))

	week, day := now.Add(-7*24*time.Hour), now.Add(-24*time.Hour)
	queries := []struct {
		name string
		run  func() (int, error)
	}{
		{"funnel, 7 days and 24 hours (CountFunnel)", func() (int, error) {
			c, err := b.store.CountFunnel(ctx, week, day)
			return len(c), err
		}},
		{"failures by error code (CountFailures)", func() (int, error) {
			c, err := b.store.CountFailures(ctx, week, day)
			return len(c), err
		}},
		{"queue depth (QueueDepth)", func() (int, error) {
			d, err := watcher.QueueDepth(ctx)
			return d.Waiting, err
		}},
		{"providers' last reports (ListProviderReports)", func() (int, error) {
			r, err := b.store.ListProviderReports(ctx)
			return len(r), err
		}},
		{"municipalities (ListMunicipalities)", func() (int, error) {
			m, err := b.store.ListMunicipalities(ctx)
			return len(m), err
		}},
		{"last tick (LastTick)", func() (int, error) {
			_, err := b.store.LastTick(ctx)
			return 1, err
		}},
		{"today's messages (CountMessagesOn)", func() (int, error) {
			c, err := b.store.CountMessagesOn(ctx, today)
			return len(c), err
		}},
	}
	runs := max(1, opts.Runs)
	w := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "query\trows\tp50\tp95\tmax\ttarget p95 < %s\n", targetOpsP95)
	var total []time.Duration
	for _, q := range queries {
		if _, err := q.run(); err != nil { // warm the cache, as a page served before would have
			return fmt.Errorf("%s: %w", q.name, err)
		}
		ds := make([]time.Duration, runs)
		rows := 0
		for i := range ds {
			t0 := time.Now()
			n, err := q.run()
			ds[i] = time.Since(t0)
			if err != nil {
				return fmt.Errorf("%s: %w", q.name, err)
			}
			rows = n
		}
		if total == nil {
			total = make([]time.Duration, runs)
		}
		for i, d := range ds {
			total[i] += d
		}
		p50, p95, most := percentiles(ds)
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", q.name, rows, ms(p50), ms(p95), ms(most), verdict(p95 < targetOpsP95))
	}
	p50, p95, most := percentiles(total)
	fmt.Fprintf(w, "all of the page's queries\t\t%s\t%s\t%s\t\n", ms(p50), ms(p95), ms(most))
	return w.Flush()
}

// percentiles returns the median, the 95th percentile (nearest rank) and
// the maximum of ds.
func percentiles(ds []time.Duration) (p50, p95, most time.Duration) {
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := func(p float64) time.Duration {
		i := int(float64(len(s))*p+0.999999) - 1
		return s[min(max(i, 0), len(s)-1)]
	}
	return rank(0.5), rank(0.95), s[len(s)-1]
}

// opsHistory generates a year of messages (days days up to today, perDay
// each) of random residents of a seeded population, with their
// deliveries: email through SendGrid (seven in ten), SMS through Twilio;
// most delivered, some failed or bounced with a provider's error code,
// a few unknown or dropped, one in fifty sent twice (a retry after a
// failure); today's still planned in part.
type opsHistory struct {
	today        kigen.Date
	days, perDay int
	residents    int
	starts       []int // municipalityBlocks of the population
	mids         []int64
}

// opsChunk is how many messages are generated and loaded at once.
const opsChunk = 20_000

var (
	smsCodes   = []string{"30003", "30005", "30006", "30008", "21211", "21610"}
	emailCodes = []string{"550", "552", "554", "421", ""}
)

// chunks yields the messages in chunks, counting them and their
// deliveries.
func (h opsHistory) chunks(msgs, dels *int) iter.Seq[[]store.LoadMessage] {
	return func(yield func([]store.LoadMessage) bool) {
		rng := mrand.New(mrand.NewPCG(3, 0x5eed))
		var id, did int64
		chunk := make([]store.LoadMessage, 0, opsChunk)
		for d := h.days - 1; d >= 0; d-- {
			day := h.today.AddDays(-d)
			at := time.Date(day.Year, day.Month, day.Day, 9, 0, 0, 0, kigen.Tokyo)
			step := 6 * time.Hour / time.Duration(h.perDay) // the tick's messages over the morning
			for i := range h.perDay {
				id++
				created := at.Add(time.Duration(i) * step)
				rid := rng.IntN(h.residents)
				m := store.LoadMessage{Message: kigen.Message{ID: id, MunicipalityID: h.mids[sort.SearchInts(h.starts, rid+1)-1],
					ResidentID: int64(rid + 1), Channel: kigen.Email, TickDate: day, CreatedAt: created, UpdatedAt: created}}
				provider, codes := "sendgrid", emailCodes
				if rng.IntN(10) >= 7 {
					m.Channel, provider, codes = kigen.SMS, "twilio", smsCodes
				}
				add := func(st kigen.DeliveryState, code string, after time.Duration) {
					did++
					m.Deliveries = append(m.Deliveries, kigen.Delivery{ID: did, MessageID: id, Provider: provider, State: st,
						ProviderMessageID: fmt.Sprintf("pm-%d", did), ErrorCode: code, CreatedAt: created.Add(after), UpdatedAt: created.Add(after + time.Minute)})
				}
				if rng.IntN(50) == 0 {
					add(kigen.DeliveryFailed, "503", time.Second)
				}
				switch p := rng.IntN(1000); {
				case d == 0 && p < 100:
					m.State = kigen.MessagePlanned
				case p < 30:
					m.State = kigen.MessageFailed
					add(kigen.DeliveryFailed, codes[rng.IntN(len(codes))], time.Minute)
				case p < 40:
					m.State = kigen.MessageFailed
					add(kigen.DeliveryBounced, codes[rng.IntN(len(codes))], time.Minute)
				case p < 45:
					m.State = kigen.MessageUnknown
					add(kigen.DeliveryUnknown, "", time.Minute)
				case p < 50:
					m.State = kigen.MessageDropped
				case p < 100:
					m.State = kigen.MessageSent
					add(kigen.DeliveryAccepted, "", time.Minute)
				default:
					m.State = kigen.MessageDelivered
					add(kigen.DeliveryDelivered, "", time.Minute)
				}
				*msgs++
				*dels += len(m.Deliveries)
				chunk = append(chunk, m)
				if len(chunk) == opsChunk {
					if !yield(chunk) {
						return
					}
					chunk = make([]store.LoadMessage, 0, opsChunk)
				}
			}
		}
		if len(chunk) > 0 {
			yield(chunk)
		}
	}
}
