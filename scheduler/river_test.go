package scheduler_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/riverqueue/river/rivertype"

	"kigen"
	"kigen/notify"
	"kigen/scheduler"
	"kigen/store"
)

func TestBackoff(t *testing.T) {
	t.Parallel()
	def := scheduler.Backoff{RescueAfter: time.Minute}
	if got := def.MaxAttempts(); got != 11 {
		t.Errorf("default MaxAttempts = %d, want 11", got)
	}
	// docs/domain.md §11.18: temporary failures are retried for up to 24 hours.
	if total := def.Total(); total > 24*time.Hour || total < 20*time.Hour {
		t.Errorf("default retries span %s; want just under 24h", total)
	}

	ago := func(d time.Duration) *time.Time { t := time.Now().Add(-d); return &t }
	tests := []struct {
		name   string
		policy scheduler.Backoff
		errors int           // errors recorded before this failure
		since  time.Duration // since the attempt started
		want   time.Duration
	}{
		{name: "FirstFailure", policy: def, errors: 0, since: time.Second, want: time.Minute},
		{name: "SecondFailure", policy: def, errors: 1, since: time.Second, want: 5 * time.Minute},
		{name: "FourthFailure", policy: def, errors: 3, since: time.Second, want: time.Hour},
		{name: "LastDelayRepeats", policy: def, errors: 40, since: time.Second, want: 4 * time.Hour},
		{name: "Rescued", policy: def, errors: 0, since: 5 * time.Minute, want: 0},
		{name: "NoRescueAfter", policy: scheduler.Backoff{Delays: []time.Duration{time.Second}}, errors: 0, since: 5 * time.Minute, want: time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			job := &rivertype.JobRow{AttemptedAt: ago(tc.since), Errors: make([]rivertype.AttemptError, tc.errors)}
			before := time.Now()
			got := tc.policy.NextRetry(job)
			if got.Before(before.Add(tc.want)) || got.After(time.Now().Add(tc.want)) {
				t.Errorf("NextRetry = now + %s, want now + %s", got.Sub(before), tc.want)
			}
		})
	}
}

func TestQueue_EnqueueTwiceSendsOnce(t *testing.T) {
	t.Parallel()
	eachQueue(t, nil, func(t *testing.T, e *queueEnv) {
		p := plan(t, e.store, kigen.English, kigen.Email, kigen.D60, cardExpiresOn)
		e.enqueue(t, p.message.ID, p.message.ID) // twice in one batch
		e.enqueue(t, p.message.ID)               // and again in another transaction
		if d := cmp.Diff(map[string]int{"available": 1}, e.stats(t)); d != "" {
			t.Errorf("jobs (-want +got):\n%s", d)
		}
		e.work(t)
		e.enqueue(t, p.message.ID) // once more after it went out
		e.work(t)
		if n := len(e.rec.Attempts()); n != 1 {
			t.Errorf("%d sends, want 1", n)
		}
		if d := cmp.Diff(map[string]int{"completed": 1}, e.stats(t)); d != "" {
			t.Errorf("jobs (-want +got):\n%s", d)
		}
	})
}

func TestQueue_EnqueueNew(t *testing.T) {
	t.Parallel()
	eachQueue(t, nil, func(t *testing.T, e *queueEnv) {
		p := plan(t, e.store, kigen.English, kigen.Email, kigen.D60, cardExpiresOn)
		enqueueNew := func(ids ...int64) error {
			return e.store.InTx(t.Context(), func(tx store.Tx) error { return e.queue.EnqueueNew(t.Context(), tx, ids) })
		}
		if err := enqueueNew(p.message.ID); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(map[string]int{"available": 1}, e.stats(t)); d != "" {
			t.Errorf("jobs (-want +got):\n%s", d)
		}
		// The bulk insert is for new messages only; misused, it still never
		// doubles a job (PostgreSQL refuses the batch, SQLite skips it).
		enqueueNew(p.message.ID)
		e.enqueue(t, p.message.ID) // Enqueue skips it quietly
		if d := cmp.Diff(map[string]int{"available": 1}, e.stats(t)); d != "" {
			t.Errorf("jobs after the refused insert (-want +got):\n%s", d)
		}
		e.work(t)
		if n := len(e.rec.Attempts()); n != 1 {
			t.Errorf("%d sends, want 1", n)
		}
	})
}

// TestQueue_GivenUp lists the messages whose deliver job River discarded
// and that have no other job: a new job takes the message off the list.
func TestQueue_GivenUp(t *testing.T) {
	t.Parallel()
	eachQueue(t, nil, func(t *testing.T, e *queueEnv) {
		given := func() []int64 {
			t.Helper()
			ids, err := e.queue.GivenUp(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			return ids
		}
		p := plan(t, e.store, kigen.English, kigen.Email, kigen.D60, cardExpiresOn)
		e.enqueue(t, p.message.ID)
		if d := cmp.Diff([]int64{}, given()); d != "" {
			t.Errorf("with a waiting job (-want +got):\n%s", d)
		}
		e.exec(t, `UPDATE river_job SET state = 'discarded', finalized_at = datetime('now', 'subsec')`,
			`UPDATE river_job SET state = 'discarded', finalized_at = now()`)
		if d := cmp.Diff([]int64{p.message.ID}, given()); d != "" {
			t.Errorf("after the job was discarded (-want +got):\n%s", d)
		}
		e.enqueue(t, p.message.ID) // a discarded job does not block a new one
		if d := cmp.Diff([]int64{}, given()); d != "" {
			t.Errorf("with a new job (-want +got):\n%s", d)
		}
		e.work(t)
		if n := len(e.rec.Attempts()); n != 1 {
			t.Errorf("%d sends, want 1", n)
		}
		if d := cmp.Diff([]int64{}, given()); d != "" {
			t.Errorf("after the new job completed (-want +got):\n%s", d)
		}
	})
}

func TestQueue_EnqueueRollsBack(t *testing.T) {
	t.Parallel()
	eachQueue(t, nil, func(t *testing.T, e *queueEnv) {
		p := plan(t, e.store, kigen.English, kigen.Email, kigen.D60, cardExpiresOn)
		errAbort := errors.New("abort")
		err := e.store.InTx(t.Context(), func(tx store.Tx) error {
			if err := e.queue.Enqueue(t.Context(), tx, []int64{p.message.ID}); err != nil {
				return err
			}
			return errAbort
		})
		if !errors.Is(err, errAbort) {
			t.Fatalf("InTx: %v, want %v", err, errAbort)
		}
		if d := cmp.Diff(map[string]int{}, e.stats(t)); d != "" {
			t.Errorf("jobs after rollback (-want +got):\n%s", d)
		}
		e.work(t)
		if n := len(e.rec.Attempts()); n != 0 {
			t.Errorf("%d sends after a rolled back enqueue", n)
		}
	})
}

// TestQueue_RescuesCrashedJob simulates a process killed while it ran a
// deliver job: the job stays running in the database. A queue started later
// rescues it (RescueStuckJobsAfter) and runs it again, which either sends
// (the dead process had not reached the provider) or records unknown (it
// died during the provider call).
func TestQueue_RescuesCrashedJob(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		delivery kigen.DeliveryState // left by the dead process; "" none
		sends    int
		want     outcome
	}{
		{
			name:  "BeforeTheSend",
			sends: 1,
			want:  outcome{Message: kigen.MessageSent, Deliveries: []kigen.DeliveryState{kigen.DeliveryAccepted}},
		},
		{
			name:     "CreatedNotSent",
			delivery: kigen.DeliveryCreated,
			sends:    1,
			want:     outcome{Message: kigen.MessageSent, Deliveries: []kigen.DeliveryState{kigen.DeliveryAccepted}},
		},
		{
			name:     "DuringTheSend",
			delivery: kigen.DeliverySending,
			want:     outcome{Message: kigen.MessageUnknown, Deliveries: []kigen.DeliveryState{kigen.DeliveryUnknown}, ErrorCode: "interrupted"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eachQueue(t, func(_ *scheduler.DeliverWorker, cfg *scheduler.QueueConfig) {
				// The job timeout is capped at the rescue time: keep it
				// well above a send on a loaded CI machine.
				cfg.RescueStuckJobsAfter = 5 * time.Second
			}, func(t *testing.T, e *queueEnv) {
				p := plan(t, e.store, kigen.English, kigen.Email, kigen.D60, cardExpiresOn)
				if tc.delivery != "" {
					d := &kigen.Delivery{MessageID: p.message.ID, Provider: "recorder", State: tc.delivery}
					if err := e.store.CreateDelivery(t.Context(), d); err != nil {
						t.Fatal(err)
					}
				}
				e.enqueue(t, p.message.ID)
				e.exec(t,
					`UPDATE river_job SET state = 'running', attempt = 1, attempted_at = datetime('now', '-5 minutes', 'subsec')`,
					`UPDATE river_job SET state = 'running', attempt = 1, attempted_at = now() - interval '5 minutes'`)
				if d := cmp.Diff(map[string]int{"running": 1}, e.stats(t)); d != "" {
					t.Fatalf("jobs before the restart (-want +got):\n%s", d)
				}

				start := time.Now()
				e.work(t)
				if took := time.Since(start); took > 30*time.Second {
					t.Errorf("the interrupted job took %s to finish", took)
				}
				if n := len(e.rec.Attempts()); n != tc.sends {
					t.Errorf("%d sends, want %d", n, tc.sends)
				}
				got := outcomeOf(t, e.store, p.message.ID)
				got.ProviderID = ""
				if d := cmp.Diff(tc.want, got); d != "" {
					t.Errorf("outcome (-want +got):\n%s", d)
				}
				if d := cmp.Diff(map[string]int{"completed": 1}, e.stats(t)); d != "" {
					t.Errorf("jobs (-want +got):\n%s", d)
				}
			})
		})
	}
}

// TestQueue_StopReleasesRunningJob stops a queue while a send hangs: the
// job's context is cancelled when Stop's ends, the attempt is recorded as
// failed, and the job is available again for the next process, which
// sends.
func TestQueue_StopReleasesRunningJob(t *testing.T) {
	t.Parallel()
	eachQueue(t, nil, func(t *testing.T, e *queueEnv) {
		p := plan(t, e.store, kigen.English, kigen.Email, kigen.D60, cardExpiresOn)
		var hang atomic.Bool
		hang.Store(true)
		started := make(chan struct{}, 1)
		e.rec.SendFunc = func(ctx context.Context, m notify.Message) (notify.Receipt, error) {
			if !hang.Load() {
				return notify.Receipt{Provider: "recorder", ProviderMessageID: "recorder-" + itoa(m.ID)}, nil
			}
			started <- struct{}{}
			<-ctx.Done()
			return notify.Receipt{}, &notify.Error{Provider: "recorder", Code: "canceled", Err: ctx.Err()}
		}
		if err := e.queue.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		e.enqueue(t, p.message.ID)
		select {
		case <-started:
		case <-time.After(30 * time.Second):
			t.Fatal("the job did not start")
		}
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		if err := e.queue.Stop(ctx); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		want := outcome{Message: kigen.MessagePlanned, Deliveries: []kigen.DeliveryState{kigen.DeliveryFailed}, ErrorCode: "canceled"}
		if d := cmp.Diff(want, outcomeOf(t, e.store, p.message.ID)); d != "" {
			t.Errorf("after Stop (-want +got):\n%s", d)
		}
		if d := cmp.Diff(map[string]int{"available": 1}, e.stats(t)); d != "" {
			t.Errorf("jobs after Stop (-want +got):\n%s", d)
		}

		hang.Store(false)
		e.work(t)
		want = outcome{Message: kigen.MessageSent, Deliveries: []kigen.DeliveryState{kigen.DeliveryFailed, kigen.DeliveryAccepted},
			ProviderID: "recorder-" + itoa(p.message.ID)}
		if d := cmp.Diff(want, outcomeOf(t, e.store, p.message.ID)); d != "" {
			t.Errorf("after the restart (-want +got):\n%s", d)
		}
	})
}
