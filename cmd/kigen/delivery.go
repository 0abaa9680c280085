package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"slices"
	"strconv"

	"kigen"
	"kigen/scheduler"
	"kigen/store"
)

// errNotUnknown refuses to settle a send whose outcome is known.
var errNotUnknown = errors.New("only an unknown send is settled by hand")

func runDelivery(ctx context.Context, m *Main, args []string) error {
	if len(args) == 0 {
		return usageErrorf("delivery: resend, resolve or retry")
	}
	switch args[0] {
	case "resend":
		return deliveryResend(ctx, m, args[1:])
	case "resolve":
		return deliveryResolve(ctx, m, args[1:])
	case "retry":
		return deliveryRetry(ctx, m, args[1:])
	}
	return usageErrorf("delivery: unknown subcommand %q (resend, resolve or retry)", args[0])
}

// parseDeliveryID parses the delivery ID among the flags.
func parseDeliveryID(fs *flag.FlagSet, args []string) (int64, error) {
	arg, err := parseInterleaved(fs, args, "delivery ID")
	if err != nil {
		return 0, err
	}
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || id <= 0 {
		return 0, usageErrorf("%s: %q is not a delivery ID (kigen followup lists them)", fs.Name(), arg)
	}
	return id, nil
}

// settle loads delivery id in a transaction, checks that its outcome is
// unknown, and runs fn on it and its message in the same transaction.
func settle(ctx context.Context, s store.Store, id int64, fn func(tx store.Tx, d *kigen.Delivery, msg *kigen.Message) error) error {
	err := s.InTx(ctx, func(tx store.Tx) error {
		d, err := tx.GetDelivery(ctx, id)
		if err != nil {
			return err
		}
		if d.State != kigen.DeliveryUnknown {
			return fmt.Errorf("delivery %d is %s: %w", id, d.State, errNotUnknown)
		}
		msg, err := tx.GetMessage(ctx, d.MessageID)
		if err != nil {
			return err
		}
		return fn(tx, d, msg)
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("no delivery %d (kigen followup lists the unknown ones)", id)
	case errors.Is(err, errNotUnknown):
		return err
	case err != nil:
		return envError(err)
	}
	return nil
}

// deliveryResend settles an unknown send by sending the message again, on
// an operator's explicit decision: the delivery is failed ("resend"), the
// message planned again, and its deliver job queued in the same
// transaction. The next tick (or kigen serve) sends it.
func deliveryResend(ctx context.Context, m *Main, args []string) error {
	fs := flag.NewFlagSet("delivery resend", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	id, err := parseDeliveryID(fs, args)
	if err != nil {
		return err
	}
	s, err := m.openMigratedStore(ctx)
	if err != nil {
		return err
	}
	q, err := queueFor(ctx, s, scheduler.QueueConfig{Logger: m.logger()})
	if err != nil {
		return err
	}
	var msgID int64
	err = settle(ctx, s, id, func(tx store.Tx, d *kigen.Delivery, msg *kigen.Message) error {
		msgID = msg.ID
		d.State, d.ErrorCode, d.ErrorReason = kigen.DeliveryFailed, "resend", "an operator chose to send again"
		if err := tx.UpdateDelivery(ctx, d); err != nil {
			return err
		}
		if err := tx.SetMessageState(ctx, msg.ID, kigen.MessagePlanned); err != nil {
			return err
		}
		// The delivery's id is new for every resend of the message.
		return q.EnqueueResend(ctx, tx, msg.ID, d.ID)
	})
	if err != nil {
		return err
	}
	actionLogger(m).Info("delivery resend", slog.Int64("delivery_id", id), slog.Int64("message_id", msgID))
	fmt.Fprintf(m.Stdout, "delivery %d: marked failed (resend); message %d is planned again and queued: the next kigen tick (or kigen serve) sends it\n", id, msgID)
	return nil
}

// deliveryResolve settles an unknown send with what the operator learnt
// from the provider: sent (delivery accepted, message sent) or not sent
// (delivery and message failed: the resident goes on the follow-up list
// unless another channel is left).
func deliveryResolve(ctx context.Context, m *Main, args []string) error {
	fs := flag.NewFlagSet("delivery resolve", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	sent := fs.Bool("sent", false, "the provider has the message: record it sent")
	notSent := fs.Bool("not-sent", false, "the provider never got the message: record it failed")
	id, err := parseDeliveryID(fs, args)
	if err != nil {
		return err
	}
	if *sent == *notSent {
		return usageErrorf("delivery resolve: give exactly one of --sent and --not-sent")
	}
	s, err := m.openMigratedStore(ctx)
	if err != nil {
		return err
	}
	dState, mState, code, reason := kigen.DeliveryAccepted, kigen.MessageSent, "", ""
	if *notSent {
		dState, mState, code, reason = kigen.DeliveryFailed, kigen.MessageFailed, "not_sent", "an operator found it was not sent"
	}
	var msgID int64
	err = settle(ctx, s, id, func(tx store.Tx, d *kigen.Delivery, msg *kigen.Message) error {
		msgID = msg.ID
		d.State, d.ErrorCode, d.ErrorReason = dState, code, reason
		if err := tx.UpdateDelivery(ctx, d); err != nil {
			return err
		}
		return tx.SetMessageState(ctx, msg.ID, mState)
	})
	if err != nil {
		return err
	}
	actionLogger(m).Info("delivery resolved", slog.Int64("delivery_id", id), slog.Int64("message_id", msgID),
		slog.String("delivery_state", string(dState)))
	fmt.Fprintf(m.Stdout, "delivery %d: recorded %s; message %d is %s\n", id, dState, msgID, mState)
	return nil
}

// deliveryRetry queues a new deliver job for a message the queue gave up on
// (kigen followup lists them under "sends given up"): still planned, its
// job discarded, no other job. The job does what any deliver job does: it
// sends if nothing was sent, and records unknown (never a second send) if
// an attempt died in the provider call.
func deliveryRetry(ctx context.Context, m *Main, args []string) error {
	fs := flag.NewFlagSet("delivery retry", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	arg, err := parseInterleaved(fs, args, "message ID")
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || id <= 0 {
		return usageErrorf("delivery retry: %q is not a message ID (kigen followup lists them)", arg)
	}
	s, err := m.openMigratedStore(ctx)
	if err != nil {
		return err
	}
	q, err := queueFor(ctx, s, scheduler.QueueConfig{Logger: m.logger()})
	if err != nil {
		return err
	}
	givenUp, err := q.GivenUp(ctx)
	if err != nil {
		return envError(err)
	}
	err = s.InTx(ctx, func(tx store.Tx) error {
		msg, err := tx.GetMessage(ctx, id)
		if err != nil {
			return err
		}
		if msg.State != kigen.MessagePlanned || !slices.Contains(givenUp, id) {
			return fmt.Errorf("message %d is %s and its delivery was not given up: %w", id, msg.State, errNotGivenUp)
		}
		return q.Enqueue(ctx, tx, []int64{id})
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("no message %d (kigen followup lists the sends given up)", id)
	case errors.Is(err, errNotGivenUp):
		return err
	case err != nil:
		return envError(err)
	}
	actionLogger(m).Info("delivery retry", slog.Int64("message_id", id))
	fmt.Fprintf(m.Stdout, "message %d: queued again; the next kigen tick (or kigen serve) delivers it\n", id)
	return nil
}

// errNotGivenUp refuses to retry a message the queue still handles.
var errNotGivenUp = errors.New("only a send the queue gave up on is retried")
