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
// audited as ops.view.
func (d *Desk) Ops(ctx context.Context, a auth.Actor) (*OpsView, error) {
	v := &OpsView{Date: d.today(), Messages: []OpsCount{}}
	err := d.do(ctx, a, auth.OpsView, func(tx store.Tx, _ *store.AuditEntry) error {
		if err := auth.Authorize(a, auth.OpsView, 0); err != nil {
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
