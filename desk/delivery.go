package desk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"kigen"
	"kigen/auth"
	"kigen/store"
)

// DeliveryParams name a delivery (an attempt to send a message), by ID.
type DeliveryParams struct {
	ID int64 `json:"id"`
}

// ResolveParams settle an unknown send with what the provider says: Sent,
// it has the message; not Sent, it never got it.
type ResolveParams struct {
	ID   int64 `json:"id"`
	Sent bool  `json:"sent"`
}

// SettleResult is where a settled send and its message stand.
type SettleResult struct {
	DeliveryID    int64               `json:"delivery_id"`
	MessageID     int64               `json:"message_id"`
	DeliveryState kigen.DeliveryState `json:"delivery_state"`
	MessageState  kigen.MessageState  `json:"message_state"`
}

// settle runs fn on delivery id and its message, in one transaction with
// the audit entry, once it knows the delivery's outcome is unknown. A
// delivery the actor may not see is not found.
func (d *Desk) settle(ctx context.Context, a auth.Actor, id int64, fn func(tx store.Tx, dl *kigen.Delivery, msg *kigen.Message, e *store.AuditEntry) error) error {
	if err := mayTake(a, auth.DeliverySettle, ""); err != nil {
		return err
	}
	missing := kigen.Errorf(kigen.ENOTFOUND, "no delivery %d", id)
	return d.do(ctx, a, auth.DeliverySettle, func(tx store.Tx, e *store.AuditEntry) error {
		dl, err := tx.GetDelivery(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return missing
		} else if err != nil {
			return err
		}
		msg, err := d.message(ctx, tx, a, auth.DeliverySettle, dl.MessageID, e)
		if errors.Is(err, store.ErrNotFound) || kigen.ErrorCode(err) == kigen.ENOTFOUND {
			return missing
		} else if err != nil {
			return err
		}
		if dl.State != kigen.DeliveryUnknown {
			return kigen.Errorf(kigen.ECONFLICT, "delivery %d is %s: only an unknown send is settled by hand", id, dl.State)
		}
		return fn(tx, dl, msg, e)
	})
}

// message loads message id, checks that a may take act in its
// municipality (ENOTFOUND if not), and fills e in: the municipality, the
// resident's ref (if not erased since).
func (d *Desk) message(ctx context.Context, tx store.Tx, a auth.Actor, act auth.Action, id int64, e *store.AuditEntry) (*kigen.Message, error) {
	msg, err := tx.GetMessage(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := auth.Authorize(a, act, msg.MunicipalityID); err != nil {
		return nil, err
	}
	e.MunicipalityID = msg.MunicipalityID
	if msg.ResidentID != 0 {
		r, err := tx.GetResident(ctx, msg.MunicipalityID, msg.ResidentID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		} else if err == nil {
			e.ResidentRef = r.Ref
		}
	}
	return msg, nil
}

// ResendDelivery settles an unknown send by sending the message again, on
// an operator's or staff member's explicit decision: the delivery is
// failed ("resend"), the message planned again and its deliver job queued
// in the same transaction; the next tick (or kigen serve) sends it.
// Conflict: the send's outcome is known.
func (d *Desk) ResendDelivery(ctx context.Context, a auth.Actor, p DeliveryParams) (*SettleResult, error) {
	q, err := d.queue()
	if err != nil {
		return nil, err
	}
	var res *SettleResult
	err = d.settle(ctx, a, p.ID, func(tx store.Tx, dl *kigen.Delivery, msg *kigen.Message, e *store.AuditEntry) error {
		dl.State, dl.ErrorCode, dl.ErrorReason = kigen.DeliveryFailed, "resend", "an operator chose to send again"
		if err := tx.UpdateDelivery(ctx, dl); err != nil {
			return err
		}
		if err := tx.SetMessageState(ctx, msg.ID, kigen.MessagePlanned); err != nil {
			return err
		}
		e.Detail = fmt.Sprintf("delivery %d of message %d: resend", dl.ID, msg.ID)
		res = &SettleResult{DeliveryID: dl.ID, MessageID: msg.ID, DeliveryState: dl.State, MessageState: kigen.MessagePlanned}
		// The delivery's id is new for every resend of the message.
		return q.EnqueueResend(ctx, tx, msg.ID, dl.ID)
	})
	if err != nil {
		return nil, err
	}
	d.logger().Info("delivery resend", slog.Int64("delivery_id", res.DeliveryID), slog.Int64("message_id", res.MessageID))
	return res, nil
}

// ResolveDelivery settles an unknown send with what the provider says:
// sent (delivery accepted, message sent) or not sent (delivery and message
// failed: the resident goes on the follow-up list unless another channel
// is left). Conflict: the send's outcome is known.
func (d *Desk) ResolveDelivery(ctx context.Context, a auth.Actor, p ResolveParams) (*SettleResult, error) {
	res := &SettleResult{DeliveryID: p.ID, DeliveryState: kigen.DeliveryAccepted, MessageState: kigen.MessageSent}
	code, reason := "", ""
	if !p.Sent {
		res.DeliveryState, res.MessageState = kigen.DeliveryFailed, kigen.MessageFailed
		code, reason = "not_sent", "an operator found it was not sent"
	}
	err := d.settle(ctx, a, p.ID, func(tx store.Tx, dl *kigen.Delivery, msg *kigen.Message, e *store.AuditEntry) error {
		res.MessageID = msg.ID
		dl.State, dl.ErrorCode, dl.ErrorReason = res.DeliveryState, code, reason
		if err := tx.UpdateDelivery(ctx, dl); err != nil {
			return err
		}
		e.Detail = fmt.Sprintf("delivery %d of message %d: %s", dl.ID, msg.ID, dl.State)
		return tx.SetMessageState(ctx, msg.ID, res.MessageState)
	})
	if err != nil {
		return nil, err
	}
	d.logger().Info("delivery resolved", slog.Int64("delivery_id", p.ID), slog.Int64("message_id", res.MessageID),
		slog.String("delivery_state", string(res.DeliveryState)))
	return res, nil
}

// RetryParams name a message whose send the queue gave up on.
type RetryParams struct {
	MessageID int64 `json:"message_id"`
}

// RetryMessage queues a new deliver job for a message the queue gave up on
// (FollowupList.GivenUp): still planned, its job discarded, no other job.
// The job does what any deliver job does: it sends if nothing was sent,
// and records unknown (never a second send) if an attempt died in the
// provider call. Conflict: the message is not one the queue gave up on.
func (d *Desk) RetryMessage(ctx context.Context, a auth.Actor, p RetryParams) (*SettleResult, error) {
	if err := mayTake(a, auth.DeliveryRetry, ""); err != nil {
		return nil, err // before asking the queue
	}
	q, err := d.queue()
	if err != nil {
		return nil, err
	}
	givenUp, err := q.GivenUp(ctx)
	if err != nil {
		return nil, err
	}
	id := p.MessageID
	err = d.do(ctx, a, auth.DeliveryRetry, func(tx store.Tx, e *store.AuditEntry) error {
		msg, err := d.message(ctx, tx, a, auth.DeliveryRetry, id, e)
		if errors.Is(err, store.ErrNotFound) || kigen.ErrorCode(err) == kigen.ENOTFOUND {
			return kigen.Errorf(kigen.ENOTFOUND, "no message %d", id)
		} else if err != nil {
			return err
		}
		if msg.State != kigen.MessagePlanned || !slices.Contains(givenUp, id) {
			return kigen.Errorf(kigen.ECONFLICT, "message %d is %s and its delivery was not given up: only a send the queue gave up on is retried", id, msg.State)
		}
		e.Detail = fmt.Sprintf("message %d: queued again", id)
		return q.Enqueue(ctx, tx, []int64{id})
	})
	if err != nil {
		return nil, err
	}
	d.logger().Info("delivery retry", slog.Int64("message_id", id))
	return &SettleResult{MessageID: id, MessageState: kigen.MessagePlanned}, nil
}
