package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"kigen"
	"kigen/notify"
	"kigen/store"
)

// Sink applies verified provider reports to the store: delivery states,
// contacts that bounced or opted out, SMS keywords. It implements
// notify.EventSink and notify.InboundSink.
type Sink struct {
	Store  store.Store
	Logger *slog.Logger
	// Now returns the current time; "today" for re-planning is its date in
	// Asia/Tokyo.
	Now func() time.Time
	// Enqueue inserts deliver jobs in a store transaction (Queue.Enqueue).
	// With it, a message a permanent failure report fails is sent on the
	// resident's other channel (fallback); nil: it just stays failed.
	Enqueue EnqueueFunc
}

var (
	_ notify.EventSink   = (*Sink)(nil)
	_ notify.InboundSink = (*Sink)(nil)
)

func (s *Sink) today() kigen.Date {
	if s.Now == nil {
		return kigen.DateOf(time.Now())
	}
	return kigen.DateOf(s.Now())
}

func (s *Sink) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
}

// ApplyEvent records one provider event, idempotently and whatever the
// order events arrive in (notify.DeliveryState): the latest delivery of the
// message through that provider, if the event is about its send (the
// provider's id; else notify.ErrOtherSend and nothing changes), moves
// forward, the message takes the
// delivery's outcome, and a bounce, spam report or opt-out marks the
// resident's contact so that it is not used again until the resident
// confirms it (or the address changes). A permanent failure that fails the
// message sends it on the resident's other channel, if they have one
// (fallback). All of it in one transaction.
func (s *Sink) ApplyEvent(ctx context.Context, e notify.Event) error {
	today := s.today()
	var fb *fallbackResult
	err := s.Store.InTx(ctx, func(tx store.Tx) error {
		fb = nil
		m, err := tx.GetMessage(ctx, e.MessageID)
		if errors.Is(err, store.ErrNotFound) {
			return notify.ErrUnknownMessage
		} else if err != nil {
			return err
		}
		ds, err := tx.ListDeliveries(ctx, m.ID)
		if err != nil {
			return err
		}
		var d *kigen.Delivery
		for _, x := range ds {
			if x.Provider == e.Provider {
				d = x // oldest first: the last one wins
			}
		}
		if d == nil {
			return fmt.Errorf("message %d has no %s delivery: %w", m.ID, e.Provider, notify.ErrUnknownMessage)
		}
		if !sameSend(d, e) {
			return fmt.Errorf("message %d: delivery %d: %w", m.ID, d.ID, notify.ErrOtherSend)
		}
		// The provider's last report, for the operators' page.
		if err := tx.RecordProviderReport(ctx, store.ProviderReport{Provider: e.Provider, Status: string(e.Status), MessageID: m.ID}); err != nil {
			return err
		}
		failed := false
		if next, ok := notify.DeliveryState(d.State, e); ok {
			failed = next == kigen.DeliveryBounced || next == kigen.DeliveryFailed
			d.State = next
			if d.ProviderMessageID == "" {
				d.ProviderMessageID = e.ProviderMessageID
			}
			if next == kigen.DeliveryBounced || next == kigen.DeliveryFailed {
				d.ErrorCode, d.ErrorReason = e.Code, e.Reason
			}
			if err := tx.UpdateDelivery(ctx, d); err != nil {
				return err
			}
			if err := tx.SetMessageState(ctx, m.ID, messageState(next)); err != nil {
				return err
			}
		}
		if (e.ContactFailed || e.OptOut) && m.ResidentID != 0 {
			if err := markContact(ctx, tx, m, d, e, today); err != nil {
				return err
			}
		}
		if failed && e.Permanent {
			m.State = kigen.MessageFailed
			r, err := fallback(ctx, tx, s.Enqueue, m, e.OptOut, today)
			if err != nil {
				return err
			}
			fb = &r
		}
		return nil
	})
	if err != nil && notify.IgnoredReason(err) == "" {
		return fmt.Errorf("apply %s event for message %d: %w", e.Provider, e.MessageID, err)
	}
	if fb != nil {
		s.logger().InfoContext(ctx, "event: message failed for good",
			append([]any{slog.Int64("message_id", e.MessageID), slog.String("provider", e.Provider)}, fb.attrs()...)...)
	}
	return err
}

// sameSend reports whether e is about the send d recorded: the provider's
// id of the send is the event's. A delivery without one (its outcome was
// never recorded: unknown) takes the first event's, so that the report
// settles it; an event without one cannot be matched to any send.
func sameSend(d *kigen.Delivery, e notify.Event) bool {
	if e.ProviderMessageID == "" {
		return false
	}
	return d.ProviderMessageID == "" || d.ProviderMessageID == e.ProviderMessageID
}

// messageState is the message state a delivery state gives.
func messageState(d kigen.DeliveryState) kigen.MessageState {
	switch d {
	case kigen.DeliveryDelivered:
		return kigen.MessageDelivered
	case kigen.DeliveryBounced, kigen.DeliveryFailed:
		return kigen.MessageFailed
	case kigen.DeliveryUnknown:
		return kigen.MessageUnknown
	}
	return kigen.MessageSent
}

// markContact marks the resident's contact on the message's channel failed
// or opted out, then re-plans the resident (they may now be unreachable). A
// contact changed after the delivery was made may hold a new address: it is
// left alone, because the report is about the old one.
func markContact(ctx context.Context, tx store.Tx, m *kigen.Message, d *kigen.Delivery, e notify.Event, today kigen.Date) error {
	cs, err := tx.ListContacts(ctx, m.MunicipalityID, m.ResidentID)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if c.Channel != m.Channel || c.UpdatedAt.After(d.CreatedAt) {
			continue
		}
		if (!e.ContactFailed || c.Failed) && (!e.OptOut || c.OptedOut) {
			return nil // already marked: a duplicate report
		}
		c.Failed = c.Failed || e.ContactFailed
		c.OptedOut = c.OptedOut || e.OptOut
		if err := tx.UpsertContact(ctx, m.MunicipalityID, c); err != nil {
			return err
		}
		return store.Replan(ctx, tx, m.MunicipalityID, m.ResidentID, today)
	}
	return nil
}

// SetSMSOptOut switches SMS off (STOP) or back on (START) for every resident
// whose SMS contact is this number, in every municipality, and re-plans
// them. An unknown number is not an error.
func (s *Sink) SetSMSOptOut(ctx context.Context, phone string, optedOut bool) error {
	today := s.today()
	return s.Store.InTx(ctx, func(tx store.Tx) error {
		keys, err := tx.SetSMSOptOut(ctx, phone, optedOut)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := store.Replan(ctx, tx, k.MunicipalityID, k.ResidentID, today); err != nil {
				return err
			}
		}
		s.logger().Info("sms keyword applied", "opted_out", optedOut, "residents", len(keys))
		return nil
	})
}
