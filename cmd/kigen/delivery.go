package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"

	"kigen"
	"kigen/desk"
)

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

// parseID parses the delivery or message ID among the flags.
func parseID(fs *flag.FlagSet, args []string, what string) (int64, error) {
	arg, err := parseInterleaved(fs, args, what+" ID")
	if err != nil {
		return 0, err
	}
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || id <= 0 {
		return 0, usageErrorf("%s: %q is not a %s ID (kigen followup lists them)", fs.Name(), arg, what)
	}
	return id, nil
}

// settleError adds to "not found" where the IDs are listed.
func settleError(err error, list string) error {
	if kigen.ErrorCode(err) == kigen.ENOTFOUND {
		return fmt.Errorf("%s (kigen followup lists %s)", kigen.ErrorMessage(err), list)
	}
	return deskError(err)
}

// deliveryResend settles an unknown send by sending the message again
// (desk.ResendDelivery); the next tick (or kigen serve) sends it.
func deliveryResend(ctx context.Context, m *Main, args []string) error {
	fs := flag.NewFlagSet("delivery resend", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	id, err := parseID(fs, args, "delivery")
	if err != nil {
		return err
	}
	d, err := m.openDesk(ctx, actionLogger(m), true)
	if err != nil {
		return err
	}
	res, err := d.ResendDelivery(ctx, m.operator(), desk.DeliveryParams{ID: id})
	if err != nil {
		return settleError(err, "the unknown ones")
	}
	fmt.Fprintf(m.Stdout, "delivery %d: marked failed (resend); message %d is planned again and queued: the next kigen tick (or kigen serve) sends it\n", id, res.MessageID)
	return nil
}

// deliveryResolve settles an unknown send with what the operator learnt
// from the provider (desk.ResolveDelivery).
func deliveryResolve(ctx context.Context, m *Main, args []string) error {
	fs := flag.NewFlagSet("delivery resolve", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	sent := fs.Bool("sent", false, "the provider has the message: record it sent")
	notSent := fs.Bool("not-sent", false, "the provider never got the message: record it failed")
	id, err := parseID(fs, args, "delivery")
	if err != nil {
		return err
	}
	if *sent == *notSent {
		return usageErrorf("delivery resolve: give exactly one of --sent and --not-sent")
	}
	d, err := m.openDesk(ctx, actionLogger(m), false)
	if err != nil {
		return err
	}
	res, err := d.ResolveDelivery(ctx, m.operator(), desk.ResolveParams{ID: id, Sent: *sent})
	if err != nil {
		return settleError(err, "the unknown ones")
	}
	fmt.Fprintf(m.Stdout, "delivery %d: recorded %s; message %d is %s\n", id, res.DeliveryState, res.MessageID, res.MessageState)
	return nil
}

// deliveryRetry queues a new deliver job for a message the queue gave up on
// (desk.RetryMessage).
func deliveryRetry(ctx context.Context, m *Main, args []string) error {
	fs := flag.NewFlagSet("delivery retry", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	id, err := parseID(fs, args, "message")
	if err != nil {
		return err
	}
	d, err := m.openDesk(ctx, actionLogger(m), true)
	if err != nil {
		return err
	}
	if _, err := d.RetryMessage(ctx, m.operator(), desk.RetryParams{MessageID: id}); err != nil {
		return settleError(err, "the sends given up")
	}
	fmt.Fprintf(m.Stdout, "message %d: queued again; the next kigen tick (or kigen serve) delivers it\n", id)
	return nil
}
