package scheduler_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"kigen"
	"kigen/notify"
	"kigen/notify/notifytest"
	"kigen/scheduler"
)

// sendAll sends perWorker messages from each of workers goroutines through
// s and returns how long it took.
func sendAll(t *testing.T, s notify.Sender, workers, perWorker int) time.Duration {
	t.Helper()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker)
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				m := notify.Message{ID: int64(w*perWorker + i + 1), Channel: kigen.Email}
				if _, err := s.Send(t.Context(), m); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Send: %v", err)
	}
	return time.Since(start)
}

func TestRateLimitedSender(t *testing.T) {
	t.Parallel()
	const (
		workers   = 8
		perWorker = 20
		perSecond = 50
		burst     = 10
	)
	tests := []struct {
		name      string
		perSecond float64
		atLeast   time.Duration
	}{
		// A token bucket lets the burst through at once, then one send per
		// 1/perSecond: the 160 sends take at least (160 − burst)/50 s = 3 s
		// (less a margin for the clock); no upper bound is asserted.
		{name: "Limited", perSecond: perSecond, atLeast: (workers*perWorker - burst) * time.Second / perSecond * 95 / 100},
		{name: "Unlimited", perSecond: 0},
		{name: "Negative", perSecond: -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := &notifytest.Recorder{}
			s := scheduler.NewRateLimitedSender(rec, tc.perSecond, burst)
			took := sendAll(t, s, workers, perWorker)
			if n := len(rec.Messages()); n != workers*perWorker {
				t.Errorf("the provider got %d messages, want %d", n, workers*perWorker)
			}
			if took < tc.atLeast {
				t.Errorf("%d sends at %v/s (burst %d) took %v, want at least %v", workers*perWorker, tc.perSecond, burst, took, tc.atLeast)
			}
			// Unlimited: far below what the limited case must take.
			if tc.atLeast == 0 && took >= (workers*perWorker-burst)*time.Second/perSecond {
				t.Errorf("unlimited: %d sends took %v; they were slowed", workers*perWorker, took)
			}
		})
	}
}

// A send whose turn would come after its context's deadline is not made:
// it fails at once with a retryable error asking to wait.
func TestRateLimitedSender_DeadlineBeforeTurn(t *testing.T) {
	t.Parallel()
	rec := &notifytest.Recorder{}
	s := scheduler.NewRateLimitedSender(rec, 1, 1) // one a second
	if _, err := s.Send(t.Context(), notify.Message{ID: 1}); err != nil {
		t.Fatalf("first Send: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := s.Send(ctx, notify.Message{ID: 2})
	var ne *notify.Error
	if !errors.As(err, &ne) || ne.Code != "rate_limited" || notify.IsPermanent(err) || notify.MaybeSent(err) || notify.RetryAfter(err) <= 0 {
		t.Fatalf("second Send = %v; want a retryable rate_limited error with a Retry-After, not maybe sent", err)
	}
	if n := len(rec.Attempts()); n != 1 {
		t.Errorf("the provider saw %d sends, want 1", n)
	}
}

// The limit passes a message's record on to a Sender that keeps one (the
// outbox), and waits its turn for it like any send.
func TestRateLimitedSender_PassesRecordOn(t *testing.T) {
	t.Parallel()
	rec := &notifytest.Recorder{}
	s := scheduler.NewRateLimitedSender(rec, 1, 1)
	r := notify.Record{MunicipalityCode: "012033", ResidentRef: "A-1"}
	if _, err := notify.SendWithRecord(t.Context(), s, notify.Message{ID: 1}, r); err != nil {
		t.Fatal(err)
	}
	if got := rec.Records(); len(got) != 1 || got[0].ResidentRef != "A-1" {
		t.Errorf("records %+v, want the one sent", got)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := notify.SendWithRecord(ctx, s, notify.Message{ID: 2}, r); notify.RetryAfter(err) <= 0 {
		t.Errorf("second send before its turn = %v, want a retryable rate_limited error", err)
	}
}
