package scheduler

import (
	"context"
	"math"
	"time"

	"golang.org/x/time/rate"

	"kigen/notify"
)

// RateLimitedSender is a notify.Sender that keeps a provider's pace: at
// most PerSecond sends a second on average, in bursts of up to Burst. Make
// one per provider and give it to every deliver worker of the process (one
// River client's workers share it): the limit holds for the process, not
// per worker (KIGEN_RATE_EMAIL, KIGEN_RATE_SMS). Several processes each
// keep their own pace.
//
// It is safe for concurrent use.
type RateLimitedSender struct {
	sender  notify.Sender
	limiter *rate.Limiter // nil: unlimited
}

var _ notify.RecordSender = (*RateLimitedSender)(nil)

// rateWaitSnooze is the Retry-After of a send whose turn did not come
// within its job's time: a snooze, not an attempt.
const rateWaitSnooze = time.Second

// NewRateLimitedSender returns s limited to perSecond sends a second with
// bursts of burst (at least 1). A perSecond of 0 or less (or NaN) means
// unlimited: Send calls s at once.
func NewRateLimitedSender(s notify.Sender, perSecond float64, burst int) *RateLimitedSender {
	r := &RateLimitedSender{sender: s}
	if perSecond > 0 && !math.IsInf(perSecond, 1) {
		r.limiter = rate.NewLimiter(rate.Limit(perSecond), max(burst, 1))
	}
	return r
}

// Send waits for its turn, then sends m. If ctx ends first (or its
// deadline comes before the turn would), nothing is sent and it returns a
// retryable *notify.Error (code "rate_limited") asking to wait a little:
// the deliver job snoozes rather than spend an attempt.
func (r *RateLimitedSender) Send(ctx context.Context, m notify.Message) (notify.Receipt, error) {
	if err := r.wait(ctx); err != nil {
		return notify.Receipt{}, err
	}
	return r.sender.Send(ctx, m)
}

// SendRecord is Send with the message's record, passed on to the Sender
// limited if it wants it (notify.SendWithRecord).
func (r *RateLimitedSender) SendRecord(ctx context.Context, m notify.Message, rec notify.Record) (notify.Receipt, error) {
	if err := r.wait(ctx); err != nil {
		return notify.Receipt{}, err
	}
	return notify.SendWithRecord(ctx, r.sender, m, rec)
}

// wait waits for the send's turn.
func (r *RateLimitedSender) wait(ctx context.Context) error {
	if r.limiter == nil {
		return nil
	}
	if err := r.limiter.Wait(ctx); err != nil {
		return &notify.Error{
			Provider:   "ratelimit",
			Code:       "rate_limited",
			Reason:     "the send's turn did not come in time",
			RetryAfter: rateWaitSnooze,
			Err:        err,
		}
	}
	return nil
}
