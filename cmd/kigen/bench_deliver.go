package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"runtime"
	"text/tabwriter"
	"time"

	"github.com/riverqueue/river"

	"kigen"
	"kigen/notify/sendgrid/sendgridtest"
	"kigen/notify/twilio/twiliotest"
	"kigen/scheduler"
	"kigen/store"
	"kigen/templates"
)

// targetDeliverRatio is issue 9's target for delivery on PostgreSQL: at
// least half the rate of River jobs that do nothing.
const targetDeliverRatio = 0.5

// benchNoopWorker works deliver jobs by doing nothing: the rate of the
// queue itself, the ceiling of any delivery.
type benchNoopWorker struct {
	river.WorkerDefaults[scheduler.DeliverArgs]
}

// Work implements river.Worker.
func (benchNoopWorker) Work(context.Context, *river.Job[scheduler.DeliverArgs]) error { return nil }

// benchDeliver plans N messages, then delivers them through the outbox,
// through the real SendGrid and Twilio senders against their loopback
// fakes, and compares both with River jobs that do nothing, on the same
// database in the same run.
func benchDeliver(ctx context.Context, m *Main, args []string) error {
	fs := flag.NewFlagSet("bench deliver", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	n := fs.Int("messages", 5_000, "messages to plan and deliver (each way)")
	pgURL := fs.String("postgres", "", "use a temporary schema of this PostgreSQL database instead of a temporary SQLite file")
	if err := fs.Parse(args); err != nil {
		return usageErrorf("%v", err)
	}
	if fs.NArg() > 0 {
		return usageErrorf("bench deliver: unexpected argument %q", fs.Arg(0))
	}
	if *n < 1 {
		return usageErrorf("bench deliver: need --messages ≥ 1")
	}
	today := m.Config.Today(time.Now)
	// 10:00 in Tokyo: inside the SMS sending hours.
	at := time.Date(today.Year, today.Month, today.Day, 10, 0, 0, 0, kigen.Tokyo)
	clock := func() time.Time { return at }
	logger := m.logger()

	db, err := openBenchDB(ctx, *pgURL, logger)
	if err != nil {
		return envError(err)
	}
	defer db.Close()
	dir := db.dir
	mids, err := createBenchMunicipalities(ctx, db.store, 1)
	if err != nil {
		return envError(err)
	}
	if _, err := seedPopulation(ctx, db, *n, today, deliverPopulation(today, mids[0])); err != nil {
		return envError(fmt.Errorf("seed: %w", err))
	}
	planner := &scheduler.Planner{Store: db.store, Now: clock, Logger: logger}
	sum, err := planner.Tick(ctx, today)
	if err != nil {
		return envError(err)
	}
	ids, err := db.ids(ctx, "SELECT id FROM messages ORDER BY id")
	if err != nil {
		return envError(err)
	}
	if sum.Messages != *n || len(ids) != *n {
		return envError(fmt.Errorf("planned %d messages, want %d", sum.Messages, *n))
	}
	printBenchMachine(ctx, m.Stdout, db, "deliver")
	fmt.Fprintf(m.Stdout, "%s messages planned (%s email, %s sms), one per resident, in %s (not measured)\n\n",
		thousands(sum.Messages), thousands(sum.ByChannel[kigen.Email]), thousands(sum.ByChannel[kigen.SMS]), secs(sum.Duration))

	sg := sendgridtest.NewServer()
	defer sg.Close()
	tw := twiliotest.NewServer()
	defer tw.Close()
	base := m.Config
	defer func() { m.Config = base }()
	// Never a real provider: the outbox run has no keys at all.
	noKeys := base
	noKeys.SendGridAPIKey, noKeys.TwilioAccountSID, noKeys.TwilioAuthToken = "", "", ""
	noKeys.Outbox = filepath.Join(dir, "outbox.jsonl")
	withFakes := noKeys
	withFakes.SendGridAPIKey, withFakes.SendGridBaseURL, withFakes.EmailFrom = sg.APIKey, sg.URL, "Kigen <noreply@example.jp>"
	withFakes.TwilioAccountSID, withFakes.TwilioAuthToken, withFakes.TwilioBaseURL = tw.AccountSID, tw.AuthToken, tw.URL
	withFakes.TwilioMessagingServiceSID, withFakes.TwilioFrom = "MG00000000000000000000000000000000", ""
	withFakes.RateEmail, withFakes.RateSMS = 0, 0 // rate limits off

	// The queue as kigen serve runs it (newEngine: River's defaults of 10
	// workers and a fetch every 100 ms at most, which caps any worker at
	// about 100 jobs a second), and unthrottled, where the cost of each
	// delivery shows. The unthrottled engine is wired as newEngine wires
	// it, with more workers and fetches.
	type queueSetting struct {
		name       string
		maxWorkers int           // 0: as newEngine
		poll       time.Duration // FetchPollInterval (and so cooldown)
	}
	settings := []queueSetting{
		{name: "as kigen serve runs it"},
		{name: "unthrottled: 50 workers, fetch every 10 ms", maxWorkers: 50, poll: 10 * time.Millisecond},
	}
	noopQueue := func(qs queueSetting) (*scheduler.Queue, error) {
		ws := river.NewWorkers()
		if err := river.AddWorkerSafely(ws, benchNoopWorker{}); err != nil {
			return nil, err
		}
		return queueFor(ctx, db.store, scheduler.QueueConfig{Workers: ws, Logger: logger, MaxWorkers: qs.maxWorkers, FetchPollInterval: qs.poll})
	}
	deliverQueue := func(qs queueSetting, cfg Config) (*scheduler.Queue, error) {
		m.Config = cfg
		if qs.maxWorkers == 0 {
			eng, err := m.newEngine(ctx, db.store, clock, logger, nil, nil, nil)
			if err != nil {
				return nil, err
			}
			return eng.queue, nil
		}
		renderer, err := templates.New(templates.DefaultHotlines())
		if err != nil {
			return nil, envError(err)
		}
		senders, providers, err := m.senders(logger, clock)
		if err != nil {
			return nil, err
		}
		worker := &scheduler.DeliverWorker{Store: db.store, Senders: senders, Providers: providers, Renderer: renderer,
			PublicURL: cfg.PublicURL, Now: clock, Logger: logger}
		q, err := queueFor(ctx, db.store, scheduler.QueueConfig{Worker: worker, Logger: logger,
			JobTimeout: cfg.jobTimeout(), RescueStuckJobsAfter: cfg.RescueAfter, Retry: scheduler.Backoff{Delays: cfg.RetryDelays},
			MaxWorkers: qs.maxWorkers, FetchPollInterval: qs.poll})
		if err != nil {
			return nil, err
		}
		worker.Enqueue = q.Enqueue
		return q, nil
	}

	w := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "queue\tdelivery through\tmessages\tenqueue\twork\tmessages/s\tvs no-op\ttarget\t")
	const sentSQL = "SELECT count(*) FROM messages WHERE state = 'sent'"
	for _, qs := range settings {
		runs := []struct {
			name  string
			queue func() (*scheduler.Queue, error)
			done  string // counts the messages (or jobs) done
		}{
			{"River no-op jobs", func() (*scheduler.Queue, error) { return noopQueue(qs) }, "SELECT count(*) FROM river_job WHERE state = 'completed'"},
			{"outbox", func() (*scheduler.Queue, error) { return deliverQueue(qs, noKeys) }, sentSQL},
			{"SendGrid + Twilio senders (loopback fakes)", func() (*scheduler.Queue, error) { return deliverQueue(qs, withFakes) }, sentSQL},
		}
		var noop float64
		for _, r := range runs {
			rate, enqueued, work, err := deliverRun(ctx, db, ids, r.queue, r.done)
			if err != nil {
				return fmt.Errorf("%s, %s: %w", qs.name, r.name, err)
			}
			vs, target := "1.00×", "\t"
			if noop == 0 {
				noop = rate
			} else {
				vs = fmt.Sprintf("%.2f×", rate/noop)
				target = fmt.Sprintf("≥ %.1f× on PostgreSQL\t%s", targetDeliverRatio, verdict(rate/noop >= targetDeliverRatio))
				if db.pool == nil {
					target = "(PostgreSQL only)\t"
				}
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%.0f\t%s\t%s\t\n", qs.name, r.name, thousands(*n), secs(enqueued), secs(work), rate, vs, target)
		}
	}
	if got := len(sg.Requests()) + len(tw.Requests()); got != len(settings)**n {
		return envError(fmt.Errorf("the fakes received %d requests for %d messages", got, len(settings)**n))
	}
	return w.Flush()
}

// deliverRun makes every message planned again, enqueues their jobs on the
// queue (in transactions of scheduler.DefaultBatchSize, as the tick does)
// and works them until none is left; done must then count len(ids). It
// returns the rate (messages a second of work) and the times.
func deliverRun(ctx context.Context, db *benchDB, ids []int64, newQueue func() (*scheduler.Queue, error), done string) (rate float64, enqueued, work time.Duration, err error) {
	if err := resetDelivery(ctx, db); err != nil {
		return 0, 0, 0, envError(err)
	}
	q, err := newQueue()
	if err != nil {
		return 0, 0, 0, err
	}
	runtime.GC()
	start := time.Now()
	for lo := 0; lo < len(ids); lo += scheduler.DefaultBatchSize {
		batch := ids[lo:min(lo+scheduler.DefaultBatchSize, len(ids))]
		if err := db.store.InTx(ctx, func(tx store.Tx) error { return q.Enqueue(ctx, tx, batch) }); err != nil {
			return 0, 0, 0, envError(err)
		}
	}
	enqueued = time.Since(start)
	start = time.Now()
	if err := q.WorkUntilIdle(ctx); err != nil {
		return 0, 0, 0, envError(err)
	}
	work = time.Since(start)
	got, err := db.count(ctx, done)
	if err != nil {
		return 0, 0, 0, envError(err)
	}
	if got != len(ids) {
		return 0, 0, 0, envError(fmt.Errorf("%d of %d messages done", got, len(ids)))
	}
	return float64(len(ids)) / work.Seconds(), enqueued, work, nil
}

// resetDelivery makes every message planned again, with no delivery and
// no job.
func resetDelivery(ctx context.Context, b *benchDB) error {
	for _, q := range []string{"UPDATE messages SET state = 'planned', token_hash = NULL", "DELETE FROM deliveries", "DELETE FROM river_job"} {
		if err := b.exec(ctx, q); err != nil {
			return err
		}
	}
	return nil
}
