package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/riverqueue/river"

	"kigen"
	"kigen/notify/sendgrid/sendgridtest"
	"kigen/notify/twilio/twiliotest"
	"kigen/scheduler"
	"kigen/store"
)

// targetDeliverRatio is issue 9's target for delivery on PostgreSQL: at
// least half the rate of River jobs that do nothing.
const targetDeliverRatio = 0.5

// noopWorker works deliver jobs by doing nothing: the rate of the queue
// itself, the ceiling of any delivery.
type noopWorker struct {
	river.WorkerDefaults[scheduler.DeliverArgs]
}

// Work implements river.Worker.
func (noopWorker) Work(context.Context, *river.Job[scheduler.DeliverArgs]) error { return nil }

// DeliverOptions are the settings of Deliver.
type DeliverOptions struct {
	Messages    int    // messages to plan and deliver (each way); at least 1
	PostgresURL string // use a temporary schema of this database instead of a SQLite file
}

// Deliver plans N messages, then delivers them through the outbox,
// through the real SendGrid and Twilio senders against their loopback
// fakes, and compares both with River jobs that do nothing, on the same
// database in the same run.
func Deliver(ctx context.Context, env Env, opts DeliverOptions) error {
	n := opts.Messages
	today := env.Today
	// 10:00 in Tokyo: inside the SMS sending hours.
	at := time.Date(today.Year, today.Month, today.Day, 10, 0, 0, 0, kigen.Tokyo)
	clock := func() time.Time { return at }
	logger := env.Logger

	b, err := openDB(ctx, opts.PostgresURL, logger)
	if err != nil {
		return err
	}
	defer b.Close()
	mids, err := createMunicipalities(ctx, b.store, 1)
	if err != nil {
		return err
	}
	if _, err := seedPopulation(ctx, b, env.Stderr, n, today, deliverPopulation(today, mids[0])); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	// The tick plans the messages; their IDs are kept instead of enqueued.
	var (
		mu  sync.Mutex
		ids []int64
	)
	planner := &scheduler.Planner{Store: b.store, Logger: logger,
		Enqueue: func(_ context.Context, _ store.Tx, messageIDs []int64) error {
			mu.Lock()
			defer mu.Unlock()
			ids = append(ids, messageIDs...)
			return nil
		}}
	sum, err := planner.Tick(ctx, today)
	if err != nil {
		return err
	}
	slices.Sort(ids)
	if sum.Messages != n || len(ids) != n {
		return fmt.Errorf("planned %d messages, want %d", sum.Messages, n)
	}
	printMachine(ctx, env.Stdout, b, "deliver")
	fmt.Fprintf(env.Stdout, "%s messages planned (%s email, %s sms), one per resident, in %s (not measured)\n\n",
		thousands(sum.Messages), thousands(sum.ByChannel[kigen.Email]), thousands(sum.ByChannel[kigen.SMS]), secs(sum.Duration))

	sg := sendgridtest.NewServer()
	defer sg.Close()
	tw := twiliotest.NewServer()
	defer tw.Close()
	outbox := Senders{Outbox: filepath.Join(b.dir, "outbox.jsonl")}
	fakes := Senders{Outbox: outbox.Outbox, SendGrid: sg, Twilio: tw}

	// The queue as kigen serve runs it (River's defaults of 10 workers and
	// a fetch every 100 ms at most, which caps any worker at about 100
	// jobs a second), and unthrottled, where the cost of each delivery
	// shows.
	settings := []struct {
		name string
		tune QueueTuning
	}{
		{name: "as kigen serve runs it"},
		{name: "unthrottled: 50 workers, fetch every 10 ms", tune: QueueTuning{MaxWorkers: 50, FetchPollInterval: 10 * time.Millisecond}},
	}
	noopQueue := func(tune QueueTuning) (*scheduler.Queue, error) {
		ws := river.NewWorkers()
		if err := river.AddWorkerSafely(ws, noopWorker{}); err != nil {
			return nil, err
		}
		q, err := scheduler.NewQueue(b.store, scheduler.QueueConfig{Workers: ws, Logger: logger,
			MaxWorkers: tune.MaxWorkers, FetchPollInterval: tune.FetchPollInterval})
		if err != nil {
			return nil, err
		}
		return q, q.Migrate(ctx)
	}
	deliverQueue := func(to Senders, tune QueueTuning) (*scheduler.Queue, error) {
		_, q, err := env.Engine(ctx, b.store, clock, to, tune)
		return q, err
	}
	completedJobs := func() (int, error) { return b.countJobs(ctx, "completed") }
	sentMessages := func() (int, error) { return b.store.CountMessages(ctx, kigen.MessageSent) }

	w := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "queue\tdelivery through\tmessages\tenqueue\twork\tmessages/s\tvs no-op\ttarget\t")
	for _, qs := range settings {
		runs := []struct {
			name  string
			queue func() (*scheduler.Queue, error)
			done  func() (int, error) // counts the messages (or jobs) done
		}{
			{"River no-op jobs", func() (*scheduler.Queue, error) { return noopQueue(qs.tune) }, completedJobs},
			{"outbox", func() (*scheduler.Queue, error) { return deliverQueue(outbox, qs.tune) }, sentMessages},
			{"SendGrid + Twilio senders (loopback fakes)", func() (*scheduler.Queue, error) { return deliverQueue(fakes, qs.tune) }, sentMessages},
		}
		var noop float64
		for _, r := range runs {
			rate, enqueued, work, err := deliverRun(ctx, b, today, ids, r.queue, r.done)
			if err != nil {
				return fmt.Errorf("%s, %s: %w", qs.name, r.name, err)
			}
			vs, target := "1.00×", "\t"
			if noop == 0 {
				noop = rate
			} else {
				vs = fmt.Sprintf("%.2f×", rate/noop)
				target = fmt.Sprintf("≥ %.1f× on PostgreSQL\t%s", targetDeliverRatio, verdict(rate/noop >= targetDeliverRatio))
				if b.backend != "postgres" {
					target = "(PostgreSQL only)\t"
				}
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%.0f\t%s\t%s\t\n", qs.name, r.name, thousands(n), secs(enqueued), secs(work), rate, vs, target)
		}
	}
	if got := len(sg.Requests()) + len(tw.Requests()); got != len(settings)*n {
		return fmt.Errorf("the fakes received %d requests for %d messages", got, len(settings)*n)
	}
	return w.Flush()
}

// deliverRun makes the messages of the day planned again, enqueues their
// jobs on the queue (in transactions of scheduler.DefaultBatchSize, as the
// tick does) and works them until none is left; done must then count
// len(ids). It returns the rate (messages a second of work) and the times.
func deliverRun(ctx context.Context, b *db, today kigen.Date, ids []int64, newQueue func() (*scheduler.Queue, error), done func() (int, error)) (rate float64, enqueued, work time.Duration, err error) {
	if err := b.store.UndoDeliveries(ctx, today); err != nil {
		return 0, 0, 0, err
	}
	if err := b.jobs.DeleteJobs(ctx); err != nil {
		return 0, 0, 0, err
	}
	q, err := newQueue()
	if err != nil {
		return 0, 0, 0, err
	}
	runtime.GC()
	start := time.Now()
	for lo := 0; lo < len(ids); lo += scheduler.DefaultBatchSize {
		batch := ids[lo:min(lo+scheduler.DefaultBatchSize, len(ids))]
		if err := b.store.InTx(ctx, func(tx store.Tx) error { return q.Enqueue(ctx, tx, batch) }); err != nil {
			return 0, 0, 0, err
		}
	}
	enqueued = time.Since(start)
	start = time.Now()
	if err := q.WorkUntilIdle(ctx); err != nil {
		return 0, 0, 0, err
	}
	work = time.Since(start)
	got, err := done()
	if err != nil {
		return 0, 0, 0, err
	}
	if got != len(ids) {
		return 0, 0, 0, fmt.Errorf("%d of %d messages done", got, len(ids))
	}
	return float64(len(ids)) / work.Seconds(), enqueued, work, nil
}
