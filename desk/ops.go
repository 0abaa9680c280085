package desk

import (
	"context"
	"errors"
	"time"

	"kigen"
	"kigen/auth"
	"kigen/store"
)

// OpsView is the operators' day at a glance: the last tick and today's
// messages in every municipality, counted by channel and state. It holds
// no resident at all.
type OpsView struct {
	Date kigen.Date `json:"date"`
	// Tick is the most recently started tick; nil before the first.
	Tick *OpsTick `json:"tick,omitempty"`
	// Messages are today's messages by channel, state and the state of
	// their last delivery ("" for none).
	Messages []OpsCount `json:"messages"`
	// Funnel is where the messages of the last 24 hours and 7 days (by
	// creation) stand, per channel and provider of their last delivery.
	Funnel []FunnelRow `json:"funnel"`
	// Failures are the deliveries of the same windows that failed or
	// bounced, by provider and the provider's error code.
	Failures []OpsFailure `json:"failures"`
	// Queue is the job queue's depth; nil when the desk's queue cannot say
	// (QueueDepther).
	Queue *store.QueueDepth `json:"queue,omitempty"`
	// Reports are the last report each provider's webhook sent.
	Reports []OpsReport `json:"reports"`
	// NoContact are the municipalities whose contact block is empty: their
	// messages give residents no phone, email or web page to turn to.
	NoContact []OpsMunicipality `json:"no_contact"`
}

// The windows of the funnel and the failures.
const (
	OpsDay  = 24 * time.Hour
	OpsWeek = 7 * 24 * time.Hour
)

// FunnelRow is the funnel of one channel and provider ("" for messages no
// delivery was made of yet) over the last day and week.
type FunnelRow struct {
	Channel  kigen.Channel `json:"channel"`
	Provider string        `json:"provider"`
	Day      FunnelStages  `json:"day"`
	Week     FunnelStages  `json:"week"`
}

// FunnelStages counts messages by where they stand: planned (no send
// started), sending (a send under way), retrying (the last send failed and
// the queue may try again), sent (the provider accepted it), delivered,
// failed (for good), bounced (the receiving server refused it), unknown (a
// send may have reached the provider before a crash) and dropped (it could
// not go out in time).
type FunnelStages struct {
	Planned   int `json:"planned"`
	Sending   int `json:"sending"`
	Retrying  int `json:"retrying"`
	Sent      int `json:"sent"`
	Delivered int `json:"delivered"`
	Failed    int `json:"failed"`
	Bounced   int `json:"bounced"`
	Unknown   int `json:"unknown"`
	Dropped   int `json:"dropped"`
}

// add counts n messages in message state st whose last delivery is in
// state dl ("" for none).
func (f *FunnelStages) add(st kigen.MessageState, dl kigen.DeliveryState, n int) {
	switch st {
	case kigen.MessagePlanned:
		switch dl {
		case "", kigen.DeliveryCreated:
			f.Planned += n
		case kigen.DeliveryFailed, kigen.DeliveryBounced:
			f.Retrying += n
		case kigen.DeliveryUnknown:
			f.Unknown += n
		default:
			f.Sending += n
		}
	case kigen.MessageSent:
		f.Sent += n
	case kigen.MessageDelivered:
		f.Delivered += n
	case kigen.MessageFailed:
		if dl == kigen.DeliveryBounced {
			f.Bounced += n
		} else {
			f.Failed += n
		}
	case kigen.MessageDropped:
		f.Dropped += n
	default: // unknown, and any state this desk does not know
		f.Unknown += n
	}
}

// Total is the number of messages counted.
func (f FunnelStages) Total() int {
	return f.Planned + f.Sending + f.Retrying + f.Sent + f.Delivered + f.Failed + f.Bounced + f.Unknown + f.Dropped
}

// OpsFailure is how many deliveries of a provider failed or bounced with
// an error code ("" when the provider gave none) over the last day and
// week.
type OpsFailure struct {
	Provider  string              `json:"provider"`
	Channel   kigen.Channel       `json:"channel"`
	State     kigen.DeliveryState `json:"state"`
	ErrorCode string              `json:"error_code"`
	Day       int                 `json:"day"`
	Week      int                 `json:"week"`
}

// OpsReport is the last report a provider's webhook sent.
type OpsReport struct {
	Provider  string    `json:"provider"`
	Status    string    `json:"status"`
	MessageID int64     `json:"message_id"`
	At        time.Time `json:"at"`
}

// OpsMunicipality names a municipality.
type OpsMunicipality struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// QueueDepther is the ability of a Queue to say how much work it holds
// (scheduler.Queue.Depth); the operators' page shows it when the desk's
// Queue has it.
type QueueDepther interface {
	Depth(ctx context.Context) (store.QueueDepth, error)
}

// OpsTick is a tick as operators see it.
type OpsTick struct {
	Date      kigen.Date `json:"date"`
	StartedAt time.Time  `json:"started_at"`
	// FinishedAt is zero while it runs (or if its process died); Duration
	// is then zero too.
	FinishedAt time.Time     `json:"finished_at,omitzero"`
	Duration   time.Duration `json:"duration"`
	Notices    int           `json:"notices"`
	Messages   int           `json:"messages"`
	TimeTravel bool          `json:"time_travel,omitempty"`
}

// OpsCount is how many of today's messages are in a state on a channel.
type OpsCount struct {
	Channel  kigen.Channel       `json:"channel"`
	State    kigen.MessageState  `json:"state"`
	Delivery kigen.DeliveryState `json:"delivery,omitempty"`
	N        int                 `json:"n"`
}

// Ops returns the operators' view of today (the ops page): operators only,
// audited as ops.view. The queue's depth is read first, outside the
// transaction (on SQLite the queue shares its one connection).
func (d *Desk) Ops(ctx context.Context, a auth.Actor) (*OpsView, error) {
	now := d.now()
	v := &OpsView{Date: kigen.DateOf(now), Messages: []OpsCount{}, Funnel: []FunnelRow{}, Failures: []OpsFailure{},
		Reports: []OpsReport{}, NoContact: []OpsMunicipality{}}
	if err := auth.Authorize(a, auth.OpsView, 0); err != nil {
		return nil, err
	}
	if q, ok := d.Queue.(QueueDepther); ok {
		depth, err := q.Depth(ctx)
		if err != nil {
			return nil, err
		}
		v.Queue = &depth
	}
	err := d.do(ctx, a, auth.OpsView, func(tx store.Tx, _ *store.AuditEntry) error {
		if err := auth.Authorize(a, auth.OpsView, 0); err != nil {
			return err
		}
		if err := opsWindows(ctx, tx, v, now); err != nil {
			return err
		}
		t, err := tx.LastTick(ctx)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return err
		default:
			v.Tick = &OpsTick{Date: t.Date, StartedAt: t.StartedAt, FinishedAt: t.FinishedAt,
				Notices: t.Notices, Messages: t.Messages, TimeTravel: t.TimeTravel}
			if !t.FinishedAt.IsZero() {
				v.Tick.Duration = t.FinishedAt.Sub(t.StartedAt)
			}
		}
		counts, err := tx.CountMessagesOn(ctx, v.Date)
		if err != nil {
			return err
		}
		for _, c := range counts {
			v.Messages = append(v.Messages, OpsCount{Channel: c.Channel, State: c.State, Delivery: c.Delivery, N: c.N})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// opsWindows fills in the funnel, the failures, the providers' last
// reports and the municipalities without a contact block.
func opsWindows(ctx context.Context, tx store.Tx, v *OpsView, now time.Time) error {
	week, day := now.Add(-OpsWeek), now.Add(-OpsDay)
	counts, err := tx.CountFunnel(ctx, week, day)
	if err != nil {
		return err
	}
	rows := map[[2]string]int{}
	for _, c := range counts {
		k := [2]string{string(c.Channel), c.Provider}
		i, ok := rows[k]
		if !ok {
			i = len(v.Funnel)
			rows[k] = i
			v.Funnel = append(v.Funnel, FunnelRow{Channel: c.Channel, Provider: c.Provider})
		}
		v.Funnel[i].Week.add(c.State, c.Delivery, c.N)
		v.Funnel[i].Day.add(c.State, c.Delivery, c.Recent)
	}
	fails, err := tx.CountFailures(ctx, week, day)
	if err != nil {
		return err
	}
	for _, f := range fails {
		v.Failures = append(v.Failures, OpsFailure{Provider: f.Provider, Channel: f.Channel, State: f.State,
			ErrorCode: f.ErrorCode, Day: f.Recent, Week: f.N})
	}
	reports, err := tx.ListProviderReports(ctx)
	if err != nil {
		return err
	}
	for _, r := range reports {
		v.Reports = append(v.Reports, OpsReport(r))
	}
	mus, err := tx.ListMunicipalities(ctx)
	if err != nil {
		return err
	}
	for _, mu := range mus {
		if mu.ContactPhone == "" && mu.ContactEmail == "" && mu.ContactURL == "" {
			v.NoContact = append(v.NoContact, OpsMunicipality{Code: mu.Code, Name: mu.Name})
		}
	}
	return nil
}
